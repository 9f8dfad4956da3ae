package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/google/go-cmp/cmp"
)

// TestDropCommands posts a drop from the command line (its card lands in
// the emulator's channel), claims it in a real Redis, and reads it back
// with `drops --json` and `drops export ID --csv`.
func TestDropCommands(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	srv.AddChannels("C05R8T2KLMN")
	cs := newCLIStore(t, "drops")
	cs.env["SLACK_APP_TOKEN"], cs.env["SLACK_BOT_TOKEN"], cs.env["SLACK_API_URL"] = srv.AppToken, srv.BotToken, srv.APIURL()
	ctx, c, store, getenv := ctxT(t), cs.c, cs.store, cs.getenv

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

	cs.seat(ctx, t, "UALICE0001", "UBOB000001")
	for _, u := range []string{"UALICE0001", "UBOB000001"} {
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
	wantCSV := "community,drop,name,user,claimed_at,confirmed\nacme,D1,\"'=HYPERLINK(\"\"x\"\")\",UALICE0001," + claims[0].At.Format(time.RFC3339) + ",\n"
	if out.String() != wantCSV {
		t.Errorf("export:\n%s\nwant:\n%s", out.String(), wantCSV)
	}
	if err := run(ctx, []string{"drops", "export", "D9", "--csv"}, getenv, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("export of an unknown drop succeeded")
	}

	// A drop asking winners to confirm: the JSON and the export say who did.
	if err := run(ctx, []string{"drop", "post", "--name", "Serum", "--quantity", "2", "--closes", "24h", "--confirm", "48h"},
		getenv, &bytes.Buffer{}, &errOut); err != nil {
		t.Fatalf("drop post --confirm: %v\n%s", err, errOut.String())
	}
	for _, u := range []string{"UALICE0001", "UBOB000001"} {
		if _, err := store.ClaimDrop(ctx, c, "D2", u); err != nil {
			t.Fatal(err)
		}
	}
	by, err := store.DropNoticeSent(ctx, c, "D2", "UALICE0001")
	if err != nil || by.IsZero() {
		t.Fatalf("DropNoticeSent = %v, %v; want a deadline", by, err)
	}
	if r, err := store.ConfirmDrop(ctx, c, "D2", "UBOB000001"); err != nil || r.Outcome != engagement.Confirmed {
		t.Fatalf("ConfirmDrop = %+v, %v", r, err)
	}
	out.Reset()
	if err := run(ctx, []string{"drops", "--json"}, getenv, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Drops []struct {
			ID     string           `json:"id"`
			Claims []map[string]any `json:"claims"`
		} `json:"drops"`
	}
	if err := json.Unmarshal(out.Bytes(), &list); err != nil || len(list.Drops) != 2 || list.Drops[0].ID != "D2" {
		t.Fatalf("drops --json: %v\n%s", err, out.String())
	}
	wantClaims := map[string]map[string]any{
		"UALICE0001": {"confirmed": false, "confirm_by": by.Format(time.RFC3339Nano)},
		"UBOB000001": {"confirmed": true},
	}
	for _, cl := range list.Drops[0].Claims {
		u := cl["user"].(string)
		delete(cl, "user")
		delete(cl, "at")
		if diff := cmp.Diff(wantClaims[u], cl); diff != "" {
			t.Errorf("D2 claim of %s (-want +got):\n%s", u, diff)
		}
	}
	out.Reset()
	if err := run(ctx, []string{"drops", "export", "D2", "--csv"}, getenv, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), ",UALICE0001,") || !strings.Contains(out.String(), "Z,no\n") || !strings.Contains(out.String(), "Z,yes\n") {
		t.Errorf("export of D2 lacks the confirmed column:\n%s", out.String())
	}
}
