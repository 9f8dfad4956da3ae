package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// configDoc is the operators' guide; its "## Configuration" section holds
// the one table of settings (relative to this package's directory).
const configDoc = "../../docs/operations.md"

// TestConfigDocMatchesServe checks the configuration table of
// docs/operations.md against what `serve` really reads, both ways, as the
// manifest test does for routes: every environment variable serve asks for
// and every flag it accepts is in the table, every variable and flag in the
// table is read, and a row pairing a variable with a flag matches the flag's
// own -h text. What serve reads is observed, not listed by hand: serve runs
// with a getenv that records each name and a context already cancelled, so
// it goes through all of its configuration and stops at the first Redis
// round trip; its flags come from its own -h output.
func TestConfigDocMatchesServe(t *testing.T) {
	t.Parallel()
	rows := configTable(t, configDoc)
	envRead := serveEnvReads(t)
	flags := serveFlags(t)

	docEnv := map[string]bool{}
	docFlag := map[string]configRow{}
	for _, r := range rows {
		for _, v := range r.vars {
			docEnv[v] = true
		}
		for _, f := range r.flags {
			docFlag[f] = r
		}
	}
	for _, v := range slices.Sorted(maps.Keys(envRead)) {
		if !docEnv[v] {
			t.Errorf("serve reads $%s, but the configuration table of %s does not list it", v, configDoc)
		}
	}
	for _, v := range slices.Sorted(maps.Keys(docEnv)) {
		if !envRead[v] {
			t.Errorf("%s documents $%s, but serve never reads it", configDoc, v)
		}
	}
	for _, f := range slices.Sorted(maps.Keys(flags)) {
		if _, ok := docFlag[f]; !ok {
			t.Errorf("serve has the flag -%s, but the configuration table of %s does not list it", f, configDoc)
		}
	}
	for _, f := range slices.Sorted(maps.Keys(docFlag)) {
		help, ok := flags[f]
		if !ok {
			t.Errorf("%s documents the flag -%s, but serve has no such flag", configDoc, f)
			continue
		}
		// The row's variable must be the one the flag overrides, which its
		// -h text names, e.g. "Redis key prefix (CLOSEKNIT_NAMESPACE)".
		for _, v := range docFlag[f].vars {
			if !regexp.MustCompile(`\(` + v + `[)=]`).MatchString(help) {
				t.Errorf("%s pairs -%s with $%s, but serve -h says: %s", configDoc, f, v, strings.TrimSpace(help))
			}
		}
	}
	if len(envRead) < 10 || len(flags) < 10 {
		// A broken observation (serve stopped early, -h printed nothing)
		// must not pass as "nothing to document".
		t.Errorf("observed only %d variables and %d flags of serve", len(envRead), len(flags))
	}
}

// TestConfigDocCommunityFile checks the CLOSEKNIT_CONFIG example of
// docs/operations.md: serve's loader accepts it (it rejects unknown keys),
// and it shows every key the loader knows, so a key added to the file format
// is documented too.
func TestConfigDocCommunityFile(t *testing.T) {
	t.Parallel()
	example := configYAML(t, configDoc)
	path := filepath.Join(t.TempDir(), "communities.yaml")
	if err := os.WriteFile(path, []byte(example), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadCommunities(path); err != nil {
		t.Errorf("the CLOSEKNIT_CONFIG example of %s does not load: %v", configDoc, err)
	}
	var doc struct {
		Communities []map[string]any `yaml:"communities"`
	}
	if err := yaml.Unmarshal([]byte(example), &doc); err != nil {
		t.Fatal(err)
	}
	shown := map[string]bool{}
	for _, c := range doc.Communities {
		for k := range c {
			shown[k] = true
		}
	}
	fields := reflect.TypeOf(communityFile{}.Communities).Elem()
	for i := range fields.NumField() {
		if key := fields.Field(i).Tag.Get("yaml"); !shown[key] {
			t.Errorf("the CLOSEKNIT_CONFIG example of %s does not show the key %q", configDoc, key)
		}
	}
}

// configYAML returns the first ```yaml block under "## Configuration".
func configYAML(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Configuration\n")
	section, _, _ = strings.Cut(section, "\n## ")
	_, block, ok2 := strings.Cut(section, "```yaml\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatalf("%s: no ```yaml block under \"## Configuration\"", path)
	}
	return block
}

// serveEnvReads runs serve with a recording getenv and returns every name
// it asked for. The values given make the configuration valid, so serve
// reads every setting and gets as far as Redis, which the cancelled
// context stops; GOGC is set so that serve leaves the test process's
// garbage collector alone.
func serveEnvReads(t *testing.T) map[string]bool {
	t.Helper()
	values := map[string]string{
		"SLACK_APP_TOKEN":   "xapp-doc-test",
		"SLACK_BOT_TOKEN":   "xoxb-doc-test",
		"CLOSEKNIT_CHANNEL": "C0DOCTEST",
		"REDIS_URL":         "redis://127.0.0.1:1/0", // never dialled: ctx is cancelled
		"GOGC":              "100",
	}
	read := map[string]bool{}
	getenv := func(key string) string {
		read[key] = true
		return values[key]
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := serve(ctx, nil, getenv, io.Discard, io.Discard)
	// Stopping at Redis proves the configuration was read to its end; any
	// other error means serve stopped before reading all it reads.
	if err == nil || !strings.HasPrefix(err.Error(), "REDIS_URL: redis at") {
		t.Fatalf("serve with a valid configuration and a cancelled context: %v; want it to stop at the Redis ping", err)
	}
	return read
}

// serveFlags returns serve's flags and each one's -h text, read from the
// output of `serve -h` in the flag package's format ("  -name type" then
// the usage on the next, tab-indented, line).
func serveFlags(t *testing.T) map[string]string {
	t.Helper()
	var out bytes.Buffer
	err := serve(context.Background(), []string{"-h"}, func(string) string { return "" }, io.Discard, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("serve -h: %v", err)
	}
	flags := map[string]string{}
	name := ""
	for _, line := range strings.Split(out.String(), "\n") {
		if m := flagLine.FindStringSubmatch(line); m != nil {
			name = m[1]
			flags[name] = ""
			continue
		}
		if name != "" && strings.HasPrefix(line, "    \t") {
			flags[name] += " " + strings.TrimSpace(line)
		}
	}
	return flags
}

// configRow is one row of the configuration table: the variables of its
// first column and the flags (without the dash) of its second.
type configRow struct {
	vars, flags []string
}

var (
	backtickedVar  = regexp.MustCompile("`([A-Za-z_][A-Za-z0-9_]*)`")
	backtickedFlag = regexp.MustCompile("`-([a-z0-9-]+)`")
	flagLine       = regexp.MustCompile(`^  -([a-z0-9-]+)`)
)

// configTable reads the first Markdown table under the "## Configuration"
// heading of path.
func configTable(t *testing.T, path string) []configRow {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []configRow
	inSection, inTable := false, false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			if inTable {
				return rows
			}
			inSection = strings.TrimSpace(line) == "## Configuration"
		case inSection && strings.HasPrefix(line, "|"):
			inTable = true
			cells := strings.Split(line, "|")
			if len(cells) < 4 || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") || strings.TrimSpace(cells[1]) == "Variable" {
				continue // the header and its separator
			}
			r := configRow{}
			for _, m := range backtickedVar.FindAllStringSubmatch(cells[1], -1) {
				r.vars = append(r.vars, m[1])
			}
			for _, m := range backtickedFlag.FindAllStringSubmatch(cells[2], -1) {
				r.flags = append(r.flags, m[1])
			}
			if len(r.vars) == 0 {
				t.Errorf("%s: a configuration row names no `VARIABLE` in its first column: %s", path, line)
			}
			rows = append(rows, r)
		case inTable:
			return rows // the first line after the table
		}
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no table under \"## Configuration\"", path)
	}
	return rows
}
