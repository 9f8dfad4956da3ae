package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/redistest"
	"github.com/google/go-cmp/cmp"
)

// TestPrototypesCommand records a prototype and its feedback in a real
// Redis, then reads it back with `prototypes --json` and `prototypes
// export ID --csv`.
func TestPrototypesCommand(t *testing.T) {
	t.Parallel()
	cs := newCLIStore(t, "proto")
	ctx, c, store, getenv := ctxT(t), cs.c, cs.store, cs.getenv
	now := time.Now()
	cardTS := engagement.FormatTS(now)
	spec := engagement.PrototypeSpec{Name: "Cloud Paint 2.0", Question: "Would you use it?",
		Reactions: engagement.DefaultReactions, OpenFor: 7 * 24 * time.Hour}
	p, err := store.CreatePrototype(ctx, c, spec, time.Time{}, c.Channel, cardTS)
	if err != nil {
		t.Fatal(err)
	}
	cs.optOut(ctx, t, "UOPTOUT001")
	cs.seat(ctx, t, "UALICE0001", "UBOB000001", "UOPTOUT001") // only seated members' feedback counts
	react := func(id, user, emoji string) engagement.Event {
		return engagement.Event{ID: id, Community: c, Kind: engagement.KindReactionAdded, User: user, At: now, ItemTS: cardTS, Reaction: emoji}
	}
	if _, err := store.Record(ctx, []engagement.Event{
		react("Ev1", "UALICE0001", "heart_eyes"), react("Ev2", "UBOB000001", "+1"), react("Ev3", "UALICE0001", "+1"),
		react("Ev4", "UOPTOUT001", "-1"),
		{ID: "Ev5", Community: c, Kind: engagement.KindMessage, User: "UBOB000001", At: now, Reply: true, TS: cardTS + "1", ThreadTS: cardTS},
	}); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := run(ctx, []string{"prototypes", "--json"}, getenv, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var got map[string][]map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	want := map[string][]map[string]any{"prototypes": {{
		"id": "P1", "name": "Cloud Paint 2.0", "channel": "C05R8T2KLMN", "ts": cardTS, "status": "open",
		"closes_at":    p.ClosesAt.Format(time.RFC3339),
		"reactions":    map[string]any{"heart_eyes": 1.0, "+1": 2.0, "-1": 1.0},
		"participants": 3.0, "comments": 1.0, "commenters": 1.0, "yield": 1.0, // three seated, all took part (the opted-out one unnamed)
		"sentiment": 0.25, // (1 + 0.5*2 - 1) / 4
	}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("prototypes --json (-want +got):\n%s", diff)
	}

	out.Reset()
	if err := run(ctx, []string{"prototypes"}, getenv, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "P1") || !strings.Contains(out.String(), "+1 2, -1 1, heart_eyes 1") {
		t.Errorf("prototypes table:\n%s", out.String())
	}

	out.Reset()
	if err := run(ctx, []string{"prototypes", "export", "p1", "--csv"}, getenv, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	wantCSV := `community,prototype,user,kind,value,count
acme,P1,UALICE0001,reaction,+1,1
acme,P1,UALICE0001,reaction,heart_eyes,1
acme,P1,UBOB000001,comments,,1
acme,P1,UBOB000001,reaction,+1,1
acme,P1,(opted-out members),reaction,-1,1
`
	if out.String() != wantCSV {
		t.Errorf("export:\n%s\nwant:\n%s", out.String(), wantCSV)
	}
	if strings.Contains(out.String(), "UOPTOUT001") {
		t.Error("an opted-out member is named in the export")
	}
	for _, args := range [][]string{{"prototypes", "export", "P9", "--csv"}, {"prototypes", "export"}, {"prototypes", "extra"}} {
		if err := run(ctx, args, getenv, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestSpreadsheetSafe(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")", "@SUM(A1)": "'@SUM(A1)", "+1": "+1", "-1": "-1", "Ocean blue": "Ocean blue", "": "",
		// issue 11 A7: a leading + or - is a formula too, unless the whole value is a number
		"+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0", "-2+3": "'-2+3", "-HYPERLINK(\"x\")": "'-HYPERLINK(\"x\")", "+1.5": "+1.5", "-0.25": "-0.25", "+": "'+"} {
		if got := spreadsheetSafe(in); got != want {
			t.Errorf("spreadsheetSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestForgetTakesOnlyAUserID: `closeknit forget w` deleted every weekly
// key (the argument was matched inside key names). Anything but a user ID
// is refused and changes nothing; every key of the namespace is compared.
func TestForgetTakesOnlyAUserID(t *testing.T) {
	t.Parallel()
	cs := newCLIStore(t, "forget")
	ctx, c, store, getenv, rdb, ns := ctxT(t), cs.c, cs.store, cs.getenv, cs.rdb, cs.ns
	now := time.Now()
	if _, err := store.Record(ctx, []engagement.Event{
		{ID: "Ev1", Community: c, Kind: engagement.KindMessage, User: "UALICE0001", At: now},
		{ID: "Ev2", Community: c, Kind: engagement.KindReactionAdded, User: "UBOB000001", At: now, ItemTS: "1.1", Reaction: "tada"},
	}); err != nil {
		t.Fatal(err)
	}
	dump := func() []string {
		keys, err := redistest.ScanKeys(ctx, rdb, ns+":*")
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(keys)
		return keys
	}
	before := dump()
	if len(before) < 4 {
		t.Fatalf("keys before: %v", before)
	}
	for _, arg := range []string{"w", "*", "U*", "UALICE*", "ALICE0001", "ev", "acme", ""} {
		if err := run(ctx, []string{"forget", arg}, getenv, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "not a user ID") {
			t.Errorf("forget %q: err = %v, want it refused as not a user ID", arg, err)
		}
	}
	if after := dump(); !slices.Equal(before, after) {
		t.Errorf("refused forgets changed the keys:\nbefore %v\nafter  %v", before, after)
	}
}
