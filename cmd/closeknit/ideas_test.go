package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/closeknit/closeknit/cmd/closeknit/internal/child"
	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/redistest"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// TestIdeasCommand records ideas and votes in a real Redis and reads them
// back with `ideas --json`: most votes first, an opted-out author empty.
func TestIdeasCommand(t *testing.T) {
	t.Parallel()
	ns := fmt.Sprintf("cktest-cmdideas-%d", os.Getpid())
	env := map[string]string{
		"REDIS_URL": redistest.URL(), "CLOSEKNIT_NAMESPACE": ns, "CLOSEKNIT_COMMUNITY": "acme",
		"CLOSEKNIT_CHANNEL": "C05R8T2KLMN", "CLOSEKNIT_TIMEZONE": "UTC", "CLOSEKNIT_STAFF": "U0STAFF0001",
	}
	getenv := func(k string) string { return env[k] }
	rdb := redis.NewClient(mustParseRedis(t))
	t.Cleanup(func() { child.CleanNamespace(rdb, ns); rdb.Close() })
	ctx := ctxT(t)
	c := &engagement.Community{ID: "acme", Channel: "C05R8T2KLMN", Location: time.UTC, Cap: 100, Staff: []string{"U0STAFF0001"}}
	store := engagement.NewStore(rdb, engagement.Options{Namespace: ns})
	for _, u := range []string{"UALICE0001", "UBOB000001"} {
		rdb.ZAdd(ctx, ns+":{acme}:seats", redis.Z{Score: 1, Member: u})
	}
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
	rdb.SAdd(ctx, ns+":{acme}:optout", "UALICE0001")

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
