package engagement

import (
	"context"
	"time"
)

// The members' voice in the weekly digest: the ideas posted in the week
// with their votes, the ideas whose status changed, and the drops open in
// the week with how fast they sold out. The field names are the contract
// of `closeknit digest --format json`.

// NewIdea is an idea posted during the week. Title is "" once its author
// was forgotten.
type NewIdea struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Votes int    `json:"votes"`
}

// IdeaStatusChange is an idea whose status staff changed during the week
// (its status as of now).
type IdeaStatusChange struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"`
}

// DropSummary is a drop open at some time during the week.
type DropSummary struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
	Claimed  int    `json:"claimed"`
	// SoldOutSeconds is how long after opening the last unit went; null
	// while units are left.
	SoldOutSeconds *float64 `json:"sold_out_seconds"`
}

// addVoice fills the week's ideas and drops, and marks the drop weeks of
// the chart's history.
func (s *Store) addVoice(ctx context.Context, c *Community, out *KPIs) error {
	ideas, err := s.Ideas(ctx, c) // most votes first
	if err != nil {
		return err
	}
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(out.Start) && t.Before(out.End) }
	for _, i := range ideas {
		if in(i.Created) && i.Status != IdeaMerged {
			out.IdeasNew = append(out.IdeasNew, NewIdea{ID: i.ID, Title: i.Title, Votes: i.Votes})
		}
		if in(i.StatusAt) && i.Status != IdeaMerged {
			out.IdeasStatusChanged = append(out.IdeasStatusChanged, IdeaStatusChange{ID: i.ID, Title: i.Title, Status: i.Status})
		}
	}
	drops, err := s.Drops(ctx, c) // newest first
	if err != nil {
		return err
	}
	for _, d := range drops {
		if d.openDuring(out.Start, out.End) {
			sum := DropSummary{ID: d.ID, Name: d.Name, Quantity: d.Quantity, Claimed: d.Claimed}
			if !d.SoldOutAt.IsZero() {
				secs := d.SoldOutAt.Sub(d.OpensAt).Seconds()
				sum.SoldOutSeconds = &secs
			}
			out.Drops = append(out.Drops, sum)
		}
		for i, h := range out.History {
			wk, err := ParseWeek(h.Week)
			if err == nil && d.openDuring(wk.Start(c.Location), wk.End(c.Location)) {
				out.History[i].Drops++
			}
		}
	}
	return nil
}

// openDuring reports whether the drop's claim window overlaps [start, end).
func (d *Drop) openDuring(start, end time.Time) bool {
	closed := d.ClosesAt
	if !d.ClosedAt.IsZero() && d.ClosedAt.Before(closed) {
		closed = d.ClosedAt // closed early by staff
	}
	return d.OpensAt.Before(end) && !closed.Before(start)
}
