package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/closeknit/closeknit/engagement"
)

// requestJSON is one seat request in `closeknit requests --json`.
// NominatedBy is "" for a person's own request; User is "" once they were
// forgotten; DecidedBy and Decided are "" and null while it is open.
type requestJSON struct {
	ID          string     `json:"id"`
	User        string     `json:"user"`
	NominatedBy string     `json:"nominated_by"`
	Status      string     `json:"status"`
	Created     time.Time  `json:"created"`
	DecidedBy   string     `json:"decided_by"`
	Decided     *time.Time `json:"decided"`
	Outcome     string     `json:"outcome,omitempty"`
	Position    int        `json:"position,omitempty"`
}

// requests is `closeknit requests [--json] [--community C]`: every seat
// request and nomination, newest first, open or decided. With several
// communities, one JSON object (or table) per community.
func requests(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return listByCommunity(ctx, "requests", args, getenv, stdout, stderr, func(ctx context.Context, store *engagement.Store, c *engagement.Community) (any, func(io.Writer), error) {
		list, err := store.Requests(ctx, c)
		if err != nil {
			return nil, nil, err
		}
		out := struct {
			Community string        `json:"community"`
			Requests  []requestJSON `json:"requests"`
		}{Community: c.ID, Requests: []requestJSON{}}
		for _, r := range list {
			j := requestJSON{ID: r.ID, User: r.User, NominatedBy: r.NominatedBy, Status: r.Status, Created: r.Created,
				DecidedBy: r.DecidedBy, Outcome: r.Outcome}
			if !r.Decided.IsZero() {
				j.Decided = &r.Decided
			}
			if r.Outcome == engagement.RequestWaitlist {
				j.Position = r.Position
			}
			out.Requests = append(out.Requests, j)
		}
		return out, func(w io.Writer) { printRequests(w, list) }, nil
	})
}

// printRequests writes requests as a table a person can read.
func printRequests(w io.Writer, list []*engagement.SeatRequest) {
	if len(list) == 0 {
		fmt.Fprintln(w, "No seat requests yet.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tuser\tnominated by\tstatus\tcreated\tdecided by\tdecided\toutcome")
	day := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format("2006-01-02 15:04")
	}
	for _, r := range list {
		outcome := r.Outcome
		if r.Outcome == engagement.RequestWaitlist {
			outcome = fmt.Sprintf("waitlist #%d", r.Position)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, cmp.Or(r.User, "(forgotten)"), cmp.Or(r.NominatedBy, "-"), r.Status,
			day(r.Created), cmp.Or(r.DecidedBy, "-"), day(r.Decided), cmp.Or(outcome, "-"))
	}
	tw.Flush()
}
