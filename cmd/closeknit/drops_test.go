package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/cmd/closeknit/internal/child"
	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/redistest"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// TestDropCommands posts a drop from the command line (its card lands in
// the emulator's channel), claims it in a real Redis, and reads it back
// with `drops --json` and `drops export ID --csv`.
func TestDropCommands(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	srv.AddChannels("C05R8T2KLMN")
	ns := fmt.Sprintf("cktest-cmddrops-%d", os.Getpid())
	env := map[string]string{
		"SLACK_APP_TOKEN": srv.AppToken, "SLACK_BOT_TOKEN": srv.BotToken, "SLACK_API_URL": srv.APIURL(),
		"REDIS_URL": redistest.URL(), "CLOSEKNIT_NAMESPACE": ns, "CLOSEKNIT_COMMUNITY": "acme",
		"CLOSEKNIT_CHANNEL": "C05R8T2KLMN", "CLOSEKNIT_TIMEZONE": "UTC", "CLOSEKNIT_STAFF": "U0STAFF0001",
	}
	getenv := func(k string) string { return env[k] }
	rdb := redis.NewClient(mustParseRedis(t))
	t.Cleanup(func() { child.CleanNamespace(rdb, ns); rdb.Close() })
	ctx := ctxT(t)

	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"drop", "post", "--name", "=HYPERLINK(\"x\")", "--quantity", "1", "--closes", "24h", "--message", "Form: https://example.com/f"},
		getenv, &out, &errOut); err != nil {
		t.Fatalf("drop post: %v\n%s", err, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "Posted D1") {
		t.Errorf("drop post said %q", out.String())
	}
	var card []slacktest.Message
	for _, m := range srv.Messages("C05R8T2KLMN") {
		if strings.Contains(string(m.Blocks), "drop_claim") {
			card = append(card, m)
		}
	}
	if len(card) != 1 {
		t.Fatalf("%d drop cards in the channel, want 1", len(card))
	}

	c := &engagement.Community{ID: "acme", Channel: "C05R8T2KLMN", Location: time.UTC, Cap: 100}
	store := engagement.NewStore(rdb, engagement.Options{Namespace: ns})
	for _, u := range []string{"UALICE0001", "UBOB000001"} {
		rdb.ZAdd(ctx, ns+":{acme}:seats", redis.Z{Score: 1, Member: u})
		if _, err := store.ClaimDrop(ctx, c, "D1", u); err != nil {
			t.Fatal(err)
		}
	}
	d, _ := store.Drop(ctx, c, "D1")
	claims, _, _ := store.DropPeople(ctx, c, "D1")

	out.Reset()
	if err := run(ctx, []string{"drops", "--json"}, getenv, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	stamp := func(t time.Time) string { return t.Format(time.RFC3339Nano) }
	want := map[string]any{"community": "acme", "drops": []any{map[string]any{
		"id": "D1", "name": "=HYPERLINK(\"x\")", "quantity": 1.0, "claimed": 1.0, "status": "open",
		"opens": stamp(d.OpensAt), "closes": stamp(d.ClosesAt),
		"claims":  []any{map[string]any{"user": "UALICE0001", "at": stamp(claims[0].At)}},
		"waiting": []any{map[string]any{"user": "UBOB000001", "position": 1.0}},
	}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("drops --json (-want +got):\n%s", diff)
	}

	out.Reset()
	if err := run(ctx, []string{"drops", "export", "d1", "--csv"}, getenv, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	wantCSV := "community,drop,name,user,claimed_at\nacme,D1,\"'=HYPERLINK(\"\"x\"\")\",UALICE0001," + claims[0].At.Format(time.RFC3339) + "\n"
	if out.String() != wantCSV {
		t.Errorf("export:\n%s\nwant:\n%s", out.String(), wantCSV)
	}
	if err := run(ctx, []string{"drops", "export", "D9", "--csv"}, getenv, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("export of an unknown drop succeeded")
	}
}
