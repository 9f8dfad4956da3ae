package main

import (
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestDeployCommunityFilesLoad loads the community config shipped in
// deploy/ (compose's communities.yaml and the Kubernetes ConfigMap's copy)
// with the same loader serve uses, so an example that would stop start-up
// fails here instead.
func TestDeployCommunityFilesLoad(t *testing.T) {
	t.Parallel()
	if cs, err := loadCommunities("../../deploy/communities.yaml"); err != nil || len(cs) == 0 {
		t.Errorf("deploy/communities.yaml: %v (%d communities)", err, len(cs))
	}
	b, err := os.ReadFile("../../deploy/kubernetes/configmap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal(b, &cm); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "communities.yaml")
	if err := os.WriteFile(path, []byte(cm.Data["communities.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	if cs, err := loadCommunities(path); err != nil || len(cs) == 0 {
		t.Errorf("ConfigMap communities.yaml: %v (%d communities)", err, len(cs))
	}
}
