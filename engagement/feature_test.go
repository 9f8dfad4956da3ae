package engagement

import (
	"slices"
	"testing"
)

// TestFeatureOrder pins the features and their order. A feature's name is
// part of its dedupe markers (ev:<event_id>:<name>, keys.go), so renaming
// one would count events again that were already recorded.
func TestFeatureOrder(t *testing.T) {
	var names []string
	for _, f := range features {
		names = append(names, f.name)
	}
	if want := []string{"seats", "proto", "prompt", "thanks"}; !slices.Equal(names, want) {
		t.Errorf("features = %v, want %v", names, want)
	}
}
