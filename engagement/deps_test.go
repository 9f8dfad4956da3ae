package engagement_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The dependency rule is cmd -> slackapp -> engagement: engagement is the
// domain and knows nothing of Slack or of the packages built on it, and
// slackapp never reaches up into cmd. TestDeps enforces it on the non-test
// import graph reported by `go list -deps`.

const module = "github.com/closeknit/closeknit"

// listedPackage is the part of `go list -json` output the test needs.
type listedPackage struct {
	ImportPath string
	Imports    []string
}

// moduleRoot is the directory holding go.mod, from `go env GOMOD`.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v%s", err, stderrOf(err))
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == "/dev/null" || gomod == "NUL" {
		t.Fatalf("go env GOMOD = %q: not inside the %s module", gomod, module)
	}
	return filepath.Dir(gomod)
}

// goListDeps returns every package in the transitive (non-test) import
// graph of pattern, keyed by import path.
func goListDeps(t *testing.T, root, pattern string) map[string]listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports", pattern)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v%s", pattern, err, stderrOf(err))
	}
	pkgs := map[string]listedPackage{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode go list output for %s: %v", pattern, err)
		}
		pkgs[p.ImportPath] = p
	}
	if len(pkgs) == 0 {
		t.Fatalf("go list -deps %s listed no packages", pattern)
	}
	return pkgs
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return "\n" + string(ee.Stderr)
	}
	return ""
}

// importChain returns the shortest import path from one of roots to
// target, e.g. "engagement -> x -> github.com/slack-go/slack".
func importChain(pkgs map[string]listedPackage, roots []string, target string) string {
	prev := map[string]string{}
	queue := []string{}
	for _, r := range roots {
		if _, ok := pkgs[r]; ok {
			prev[r] = ""
			queue = append(queue, r)
		}
	}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == target {
			var chain []string
			for p := cur; p != ""; p = prev[p] {
				chain = append([]string{p}, chain...)
			}
			return strings.Join(chain, " -> ")
		}
		for _, imp := range pkgs[cur].Imports {
			if _, seen := prev[imp]; !seen {
				prev[imp] = cur
				queue = append(queue, imp)
			}
		}
	}
	return target
}

// violations lists, for each package in pkgs at or below one of forbidden,
// the import chain that reaches it from roots.
func violations(pkgs map[string]listedPackage, roots, forbidden []string) []string {
	var out []string
	for p := range pkgs {
		for _, f := range forbidden {
			if p == f || strings.HasPrefix(p, f+"/") {
				out = append(out, importChain(pkgs, roots, p))
			}
		}
	}
	slices.Sort(out)
	return out
}

// rootsOf is root plus every listed package below it (subpackages matched
// by a "/..." pattern), so import chains can start from any of them.
func rootsOf(pkgs map[string]listedPackage, root string) []string {
	roots := []string{root}
	for p := range pkgs {
		if strings.HasPrefix(p, root+"/") {
			roots = append(roots, p)
		}
	}
	return roots
}

func TestDeps(t *testing.T) {
	root := moduleRoot(t)
	rules := []struct {
		pattern   string   // packages the rule applies to, with their deps
		root      string   // import path of the package the pattern names
		forbidden []string // import paths (and everything below them) it must not reach
		why       string
	}{
		{
			pattern:   "./engagement/...",
			root:      module + "/engagement",
			forbidden: []string{"github.com/slack-go/slack", module + "/slackapp", module + "/cmd"},
			why:       "engagement is the domain and must not depend on Slack, slackapp or cmd (rule: cmd -> slackapp -> engagement)",
		},
		{
			pattern:   "./slackapp",
			root:      module + "/slackapp",
			forbidden: []string{module + "/cmd"},
			why:       "slackapp must not import cmd (rule: cmd -> slackapp -> engagement)",
		},
	}
	for _, r := range rules {
		t.Run(r.pattern, func(t *testing.T) {
			pkgs := goListDeps(t, root, r.pattern)
			if _, ok := pkgs[r.root]; !ok {
				t.Fatalf("go list -deps %s did not list %s; has the package moved?", r.pattern, r.root)
			}
			for _, chain := range violations(pkgs, rootsOf(pkgs, r.root), r.forbidden) {
				t.Errorf("forbidden import: %s\n\t%s", chain, r.why)
			}
		})
	}
}

// TestFeaturePackagesStandApart checks the rooms under slackapp: a feature
// package (slackapp/membership, slackapp/prototype, …) reaches the Slack
// core's contract (slackapp/feature) and the domain, never another
// feature package, so each can be read, and moved, on its own; the
// contract and the emulator reach no feature package at all. Packages
// under slackapp/internal are leaves any of them may use (jsonwalk).
// (A feature package cannot import slackapp itself: slackapp wires it,
// and Go refuses the cycle.)
func TestFeaturePackagesStandApart(t *testing.T) {
	pkgs := goListDeps(t, moduleRoot(t), "./slackapp/...")
	base := module + "/slackapp/"
	for p, lp := range pkgs {
		room, ok := strings.CutPrefix(p, base)
		if !ok {
			continue
		}
		for _, imp := range lp.Imports {
			if strings.HasPrefix(room, "internal/") && strings.HasPrefix(imp, module+"/") {
				t.Errorf("forbidden import: %s -> %s\n\tpackages under slackapp/internal are leaves", p, imp)
				continue
			}
			other, ok := strings.CutPrefix(imp, base)
			if !ok || other == room || other == "feature" && room != "slacktest" || strings.HasPrefix(other, "internal/") {
				continue
			}
			t.Errorf("forbidden import: %s -> %s\n\tfeature packages reach only slackapp/feature, slackapp/internal and engagement", p, imp)
		}
	}
}

// TestCodeInTheFixedFolders: the repository's top level is fixed (cmd,
// slackapp, engagement, deploy, docs, bench and the project files), and
// every Go package lives under cmd/, slackapp/ or engagement/.
func TestCodeInTheFixedFolders(t *testing.T) {
	for p := range goListDeps(t, moduleRoot(t), "./...") {
		rel, ok := strings.CutPrefix(p, module+"/")
		if !ok {
			continue // the standard library and modules
		}
		if top, _, _ := strings.Cut(rel, "/"); top != "cmd" && top != "slackapp" && top != "engagement" {
			t.Errorf("package %s: Go code belongs under cmd/, slackapp/ or engagement/", p)
		}
	}
}

// TestDepsCheckCanFail makes sure violations detects an import that is
// there: slackapp does reach github.com/slack-go/slack.
func TestDepsCheckCanFail(t *testing.T) {
	pkgs := goListDeps(t, moduleRoot(t), "./slackapp")
	got := violations(pkgs, rootsOf(pkgs, module+"/slackapp"), []string{"github.com/slack-go/slack"})
	want := module + "/slackapp -> github.com/slack-go/slack"
	if !slices.Contains(got, want) {
		t.Errorf("violations did not report the direct import %q; got %q", want, got)
	}
}

// TestFilesNamedAfterNouns keeps the layout a newcomer reads: in the core
// slackapp package and in engagement, a non-test file is named after what it holds
// (drop.go, scheduler.go), never with a feature prefix
// (prototype_handlers.go); a feature's Slack side is a package of its own
// under slackapp/.
func TestFilesNamedAfterNouns(t *testing.T) {
	root := moduleRoot(t)
	for _, dir := range []string{"engagement", "slackapp"} {
		files, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, f := range files {
			name := filepath.Base(f)
			if !strings.HasSuffix(name, "_test.go") && strings.Contains(name, "_") {
				t.Errorf("%s/%s: name it after what it holds, without a feature prefix", dir, filepath.Base(f))
			}
		}
	}
}
