package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/google/go-cmp/cmp"
)

// TestIdeasCommand records ideas and votes in a real Redis and reads them
// back with `ideas --json`: most votes first, an opted-out author empty.
func TestIdeasCommand(t *testing.T) {
	t.Parallel()
	cs := newCLIStore(t, "ideas")
	ctx, c, store, getenv := ctxT(t), cs.c, cs.store, cs.getenv
	cs.seat(ctx, t, "UALICE0001", "UBOB000001")
	a, err := store.CreateIdea(ctx, c, engagement.IdeaSpec{Title: "Refills", Author: "UALICE0001"}, "V1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.CreateIdea(ctx, c, engagement.IdeaSpec{Title: "Travel size", Author: "UBOB000001"}, "V2")
	if err != nil {
		t.Fatal(err)
	}
	store.SetIdeaCard(ctx, c, b.ID, c.Channel, "1.2", "https://acme.slack.com/archives/C05R8T2KLMN/p12")
	for _, u := range []string{"UALICE0001", "UBOB000001", "U0STAFF0001"} {
		if _, err := store.VoteIdea(ctx, c, b.ID, u, true); err != nil {
			t.Fatal(err)
		}
	}
	b, _ = store.Idea(ctx, c, b.ID)
	cs.optOut(ctx, t, "UALICE0001")

	var out bytes.Buffer
	if err := run(ctx, []string{"ideas", "--json"}, getenv, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	stamp := func(t time.Time) string { return t.Format(time.RFC3339Nano) }
	want := map[string]any{"community": "acme", "ideas": []any{
		map[string]any{"id": b.ID, "title": "Travel size", "author": "UBOB000001", "status": "new", "votes": 2.0, "staff_votes": 1.0,
			"created": stamp(b.Created), "updated": stamp(b.Updated), "permalink": "https://acme.slack.com/archives/C05R8T2KLMN/p12"},
		map[string]any{"id": a.ID, "title": "Refills", "author": "", "status": "new", "votes": 0.0, "staff_votes": 0.0,
			"created": stamp(a.Created), "updated": stamp(a.Updated), "permalink": ""},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ideas --json (-want +got):\n%s", diff)
	}
}
