package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/closeknit/closeknit/engagement"
	"github.com/google/go-cmp/cmp"
)

// TestRequestsCommand opens a request and a nomination in a real Redis,
// decides one, and reads them back with `requests --json`: the shape the
// operations guide promises, newest first; then the table.
func TestRequestsCommand(t *testing.T) {
	t.Parallel()
	cs := newCLIStore(t, "requests")
	ctx := ctxT(t)
	cs.seat(ctx, t, "UALICE0001")
	own, err := cs.store.OpenRequest(ctx, cs.c, engagement.RequestSpec{User: "UGUEST0001", About: "I draw"}, "V1")
	if err != nil {
		t.Fatal(err)
	}
	nom, err := cs.store.OpenRequest(ctx, cs.c, engagement.RequestSpec{User: "UGUEST0002", NominatedBy: "UALICE0001", About: "helps"}, "T2")
	if err != nil {
		t.Fatal(err)
	}
	d, err := cs.store.DecideRequest(ctx, cs.c, own.Request.ID, "U0STAFF0001", true)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"requests", "--json", "--community", "acme"}, cs.getenv, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	stamp := func(r *engagement.SeatRequest, decided bool) string {
		if decided {
			return r.Decided.Format("2006-01-02T15:04:05.999999999Z07:00")
		}
		return r.Created.Format("2006-01-02T15:04:05.999999999Z07:00")
	}
	want := map[string]any{"community": "acme", "requests": []any{
		map[string]any{"id": "R2", "user": "UGUEST0002", "nominated_by": "UALICE0001", "status": "open",
			"created": stamp(nom.Request, false), "decided_by": "", "decided": nil},
		map[string]any{"id": "R1", "user": "UGUEST0001", "nominated_by": "", "status": "approved",
			"created": stamp(d.Request, false), "decided_by": "U0STAFF0001", "decided": stamp(d.Request, true), "outcome": "seat"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests --json (-want +got):\n%s", diff)
	}
	out.Reset()
	if err := run(ctx, []string{"requests"}, cs.getenv, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"Requests of acme:", "R2  UGUEST0002  UALICE0001", "R1  UGUEST0001  -", "approved", "U0STAFF0001", "seat"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("table lacks %q:\n%s", line, out.String())
		}
	}
}
