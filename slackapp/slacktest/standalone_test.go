package slacktest

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRepositoryStandsAlone checks that a fresh clone tests on its own: no
// source, test, document or deployment file names a path above the
// repository (such as a sibling "shared" folder with payload samples), and
// the samples this package's tests read are in its testdata.
func TestRepositoryStandsAlone(t *testing.T) {
	root := filepath.Join("..", "..") // the module root, from this package
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	// Written so that this file does not match itself.
	outside := regexp.MustCompile(`\.\./(\.\./)*` + `shared/`)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") && path != root {
				return filepath.SkipDir // .git, editor folders, the Node peer's packages
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".md", ".yaml", ".yml", ".json", ".sh", "":
		default:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.IndexByte(b, 0) >= 0 {
			return nil // a binary, such as the closeknit the README builds here
		}
		for i, line := range strings.Split(string(b), "\n") {
			if outside.MatchString(line) {
				t.Errorf("%s:%d names a path outside the repository: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Clean(payloadDir), "testdata") {
		t.Errorf("payloadDir %q is not under this package's testdata", payloadDir)
	}
	sampleEnvelopes(t) // fails if the samples are missing
}
