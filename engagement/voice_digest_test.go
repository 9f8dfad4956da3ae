package engagement_test

import (
	"context"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
)

// The digest's members' voice: ideas posted in the week with their votes
// (a merged duplicate left out), ideas whose status changed in the week,
// drops open in the week with how fast they sold out, and the drop's week
// marked in the chart's history; nothing of the week before.
func TestKPIsIdeasAndDrops(t *testing.T) {
	ctx := context.Background()
	f := newDropFixture(t, 5)
	w := engagement.WeekOf(at, f.c.Location)
	idea := func(author, title, token string) *engagement.Idea {
		i, err := f.s.CreateIdea(ctx, f.c, engagement.IdeaSpec{Title: title, Author: author}, token)
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	f.clk.Add(-7 * 24 * time.Hour) // the week before
	old := idea(member(0), "Last week's idea", "v0")
	f.clk.Add(7 * 24 * time.Hour)
	kept, dup := idea(member(1), "Travel size", "v1"), idea(member(2), "Travel size, please", "v2")
	for _, u := range []string{member(0), member(1), member(3)} {
		if _, err := f.s.VoteIdea(ctx, f.c, kept.ID, u, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.s.MergeIdeas(ctx, f.c, dup.ID, kept.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.SetIdeaStatus(ctx, f.c, old.ID, engagement.IdeaPlanned, "spring"); err != nil {
		t.Fatal(err)
	}
	sold, left := f.create(t, 2), f.create(t, 3)
	f.clk.Add(90 * time.Second)
	for i := range 3 {
		if _, err := f.s.ClaimDrop(ctx, f.c, sold.ID, member(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.s.ClaimDrop(ctx, f.c, left.ID, member(0)); err != nil {
		t.Fatal(err)
	}

	k, err := f.s.KPIs(ctx, f.c, w, engagement.KPIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(k.IdeasNew) != 1 || k.IdeasNew[0] != (engagement.NewIdea{ID: kept.ID, Title: "Travel size", Votes: 3}) {
		t.Errorf("ideas_new %+v, want only %s with 3 votes", k.IdeasNew, kept.ID)
	}
	if len(k.IdeasStatusChanged) != 1 || k.IdeasStatusChanged[0] != (engagement.IdeaStatusChange{ID: old.ID, Title: "Last week's idea", Status: "planned"}) {
		t.Errorf("ideas_status_changed %+v, want %s planned", k.IdeasStatusChanged, old.ID)
	}
	if len(k.Drops) != 2 {
		t.Fatalf("drops %+v, want 2", k.Drops)
	}
	for _, d := range k.Drops {
		switch d.ID {
		case sold.ID:
			if d.Claimed != 2 || d.Quantity != 2 || d.SoldOutSeconds == nil || *d.SoldOutSeconds != 90 {
				t.Errorf("sold-out drop %+v, want 2 of 2 sold out in 90 s", d)
			}
		case left.ID:
			if d.Claimed != 1 || d.SoldOutSeconds != nil {
				t.Errorf("drop with units left %+v, want 1 claimed and no sell-out time", d)
			}
		}
	}
	h := k.History
	if h[len(h)-1].Drops != 2 || h[len(h)-2].Drops != 0 {
		t.Errorf("chart history marks %d drops this week and %d the week before, want 2 and 0", h[len(h)-1].Drops, h[len(h)-2].Drops)
	}
	if k.Quiet() {
		t.Error("a week with ideas and drops is not quiet")
	}

	prev, err := f.s.KPIs(ctx, f.c, w.Prev(), engagement.KPIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(prev.IdeasNew) != 1 || prev.IdeasNew[0].ID != old.ID || len(prev.IdeasStatusChanged) != 0 || len(prev.Drops) != 0 {
		t.Errorf("the week before: %+v %+v %+v, want only %s new", prev.IdeasNew, prev.IdeasStatusChanged, prev.Drops, old.ID)
	}
}

// A card's update turn goes to one caller a second across replicas, by
// Redis's clock, for drops and ideas apart.
func TestCardTurns(t *testing.T) {
	ctx := context.Background()
	f := newDropFixture(t, 0)
	ok, _, err := f.s.TakeCardTurn(ctx, f.c, "D1")
	if err != nil || !ok {
		t.Fatalf("first turn: %v %v", ok, err)
	}
	ok, wait, err := f.s2.TakeCardTurn(ctx, f.c, "D1")
	if err != nil || ok || wait <= 0 || wait > time.Second {
		t.Fatalf("second replica within the second: %v, wait %v, %v; want no turn, a wait of at most a second", ok, wait, err)
	}
	if ok, _, err := f.s2.TakeIdeaCardTurn(ctx, f.c, "D1"); err != nil || !ok {
		t.Fatalf("an idea card's turn is its own: %v %v", ok, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, wait, err = f.s2.TakeCardTurn(ctx, f.c, "D1")
		if err != nil || ok || time.Now().After(deadline) {
			break
		}
		time.Sleep(wait)
	}
	if err != nil || !ok {
		t.Fatalf("the next turn never came: %v", err)
	}
}
