package engagement_test

import (
	"context"
	"testing"

	"github.com/closeknit/closeknit/engagement"
)

// The parent post of the idea thread is claimed by one caller across
// replicas; a refusal frees the claim, a deletion drops the parent (only
// the one deleted), and a parent recorded for another channel is none.
func TestIdeaParentClaimedOnce(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 0)
	ctx := context.Background()
	claim := func(token string) (string, bool) {
		t.Helper()
		ts, ok, err := f.s.ClaimIdeaParent(ctx, f.c, token)
		if err != nil {
			t.Fatal(err)
		}
		return ts, ok
	}
	if ts, ok := claim("a"); ts != "" || !ok {
		t.Fatalf("first claim: %q, %v; want claimed", ts, ok)
	}
	// Another replica meanwhile: neither a parent nor the claim.
	if ts, ok, err := f.s2.ClaimIdeaParent(ctx, f.c, "b"); ts != "" || ok || err != nil {
		t.Fatalf("second claim: %q, %v, %v; want to wait", ts, ok, err)
	}
	// Slack refused: released, and a later idea claims it.
	if err := f.s.ReleaseIdeaParent(ctx, f.c, "b"); err != nil { // not b's: nothing happens
		t.Fatal(err)
	}
	if _, ok := claim("c"); ok {
		t.Fatal("a claim released by a caller not holding it was freed")
	}
	if err := f.s.ReleaseIdeaParent(ctx, f.c, "a"); err != nil {
		t.Fatal(err)
	}
	if _, ok := claim("c"); !ok {
		t.Fatal("released claim not taken again")
	}
	if err := f.s.SetIdeaParent(ctx, f.c, "1767225600.000100", "c"); err != nil {
		t.Fatal(err)
	}
	if ts, ok := claim("d"); ts != "1767225600.000100" || ok {
		t.Fatalf("after the post: %q, %v; want the parent's ts", ts, ok)
	}
	// A late deletion of another message leaves it; its own drops it.
	if dropped, err := f.s.DropIdeaParent(ctx, f.c, "1767225599.000100"); dropped || err != nil {
		t.Fatalf("dropping another ts: %v, %v", dropped, err)
	}
	if dropped, err := f.s.DropIdeaParent(ctx, f.c, "1767225600.000100"); !dropped || err != nil {
		t.Fatalf("dropping the parent: %v, %v", dropped, err)
	}
	if ts, ok := claim("e"); ts != "" || !ok {
		t.Fatalf("after the deletion: %q, %v; want a new claim", ts, ok)
	}
	if err := f.s.SetIdeaParent(ctx, f.c, "1767225601.000100", "e"); err != nil {
		t.Fatal(err)
	}
	// The community moved to another channel: that parent is not its.
	moved := &engagement.Community{ID: f.c.ID, Channel: "C0MOVED0001", Location: f.c.Location, Cap: f.c.Cap}
	if ts, ok, err := f.s.ClaimIdeaParent(ctx, moved, "f"); ts != "" || !ok || err != nil {
		t.Fatalf("in another channel: %q, %v, %v; want a new claim", ts, ok, err)
	}
}
