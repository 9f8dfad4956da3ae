package engagement_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
)

// TestDropConfirmDeadline: winners of a drop asking for confirmation have
// a day from their DM; one who confirms keeps the unit, one who does not
// loses it to the next in line (exactly once, whichever replica looks),
// and a press of Confirm after the deadline is too late even before the
// job has run.
func TestDropConfirmDeadline(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 6)
	ctx := context.Background()
	d, err := f.s.CreateDrop(ctx, f.c, engagement.DropSpec{Name: "Serum", Quantity: 3, Window: 72 * time.Hour,
		ConfirmWithin: 24 * time.Hour}, "confirm-1")
	if err != nil || d.ConfirmWithin != 24*time.Hour {
		t.Fatalf("CreateDrop = %+v, %v; want ConfirmWithin 24h", d, err)
	}
	for i := range 6 {
		f.claim(t, d.ID, member(i)) // 0, 1, 2 win; 3, 4, 5 wait
	}
	// A winner confirming before their DM went out keeps the unit; the DM
	// marked sent afterwards starts no clock.
	if r, err := f.s.ConfirmDrop(ctx, f.c, d.ID, member(2)); err != nil || r.Outcome != engagement.Confirmed {
		t.Fatalf("early confirm = %+v, %v", r, err)
	}
	for _, u := range []string{member(0), member(1), member(2)} {
		by, err := f.s.DropNoticeSent(ctx, f.c, d.ID, u)
		if err != nil {
			t.Fatal(err)
		}
		want := at.Add(24 * time.Hour)
		if u == member(2) {
			want = time.Time{}
		}
		if !by.Equal(want) {
			t.Errorf("deadline of %s = %v, want %v", u, by, want)
		}
	}
	// A DM sent twice keeps the first deadline.
	f.clk.Add(time.Hour)
	if by, _ := f.s.DropNoticeSent(ctx, f.c, d.ID, member(0)); !by.Equal(at.Add(24 * time.Hour)) {
		t.Errorf("deadline after a second DM = %v, want the first", by)
	}

	if r, err := f.s.ConfirmDrop(ctx, f.c, d.ID, member(0)); err != nil || r.Outcome != engagement.Confirmed {
		t.Errorf("confirm = %+v, %v", r, err)
	}
	if r, _ := f.s.ConfirmDrop(ctx, f.c, d.ID, member(0)); r.Outcome != engagement.ConfirmedBefore {
		t.Errorf("second confirm = %+v, want ConfirmedBefore", r)
	}
	if r, _ := f.s.ConfirmDrop(ctx, f.c, d.ID, member(3)); r.Outcome != engagement.ConfirmNotWinner {
		t.Errorf("confirm by someone waiting = %+v, want ConfirmNotWinner", r)
	}

	// Nothing expires before the deadline.
	if got, err := f.s.ExpireDropConfirms(ctx, f.c); err != nil || len(got) != 0 {
		t.Fatalf("expired before the deadline: %v, %v", got, err)
	}
	f.clk.Add(23 * time.Hour)
	// Two replicas look at once: member(1)'s unit passes on exactly once.
	var all []engagement.DropExpiry
	for _, s := range []*engagement.Store{f.s, f.s2, f.s} {
		got, err := s.ExpireDropConfirms(ctx, f.c)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, got...)
	}
	if want := []engagement.DropExpiry{{Drop: d.ID, User: member(1), Next: member(3)}}; !slices.Equal(all, want) {
		t.Fatalf("expiries = %+v, want %+v", all, want)
	}
	winners, waiting := f.people(t, d.ID)
	if !slices.Equal(winners, []string{member(0), member(2), member(3)}) || !slices.Equal(waiting, []string{member(4), member(5)}) {
		t.Errorf("after the expiry: winners %v waiting %v", winners, waiting)
	}
	if r := f.claim(t, d.ID, member(1)); r.Outcome != engagement.ClaimReleased {
		t.Errorf("a winner who let the deadline pass presses Claim again: %v, want refused", r.Outcome)
	}
	if r, _ := f.s.ConfirmDrop(ctx, f.c, d.ID, member(1)); r.Outcome != engagement.ConfirmNotWinner {
		t.Errorf("confirm after losing the unit = %+v", r)
	}
	// The new winner is DMed (the notify queue) and gets their own day.
	if users, _ := f.s.TakeDropNotices(ctx, f.c, d.ID, time.Minute, 10); !slices.Equal(users, []string{member(3)}) {
		t.Errorf("to DM after the expiry: %v, want %s", users, member(3))
	}
	if by, _ := f.s.DropNoticeSent(ctx, f.c, d.ID, member(3)); !by.Equal(f.clk.Now().Add(24 * time.Hour)) {
		t.Errorf("the next winner's deadline = %v", by)
	}
	// Pressing Confirm a moment after the deadline, before any job ran:
	// too late, and the unit goes on at once.
	f.clk.Add(24*time.Hour + time.Second)
	r, err := f.s.ConfirmDrop(ctx, f.c, d.ID, member(3))
	if err != nil || r.Outcome != engagement.ConfirmTooLate || r.Next != member(4) {
		t.Errorf("late confirm = %+v, %v; want too late, passed to %s", r, err, member(4))
	}
	if got, _ := f.s.Drop(ctx, f.c, d.ID); got.Claimed != 3 || got.Confirmed != 2 {
		t.Errorf("drop: claimed %d confirmed %d, want 3 and 2", got.Claimed, got.Confirmed)
	}
	cs, _, err := f.s.DropPeople(ctx, f.c, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Confirmed != (c.User == member(0) || c.User == member(2)) {
			t.Errorf("%s confirmed = %v", c.User, c.Confirmed)
		}
	}
	// A staff release of a confirmed winner clears the confirmation.
	if _, err := f.s.ReleaseDrop(ctx, f.c, d.ID, member(0)); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.s.Drop(ctx, f.c, d.ID); got.Confirmed != 1 {
		t.Errorf("confirmed after a release = %d, want 1", got.Confirmed)
	}
	if _, err := f.s.ConfirmDrop(ctx, f.c, "D999", member(0)); !errors.Is(err, engagement.ErrNoDrop) {
		t.Errorf("confirm of an unknown drop: %v", err)
	}
}

// TestDropWithoutConfirmKeepsUnits: a drop not asking for confirmation
// starts no clock, and nothing ever expires.
func TestDropWithoutConfirmKeepsUnits(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 2)
	ctx := context.Background()
	d := f.create(t, 1)
	f.claim(t, d.ID, member(0))
	f.claim(t, d.ID, member(1))
	if by, err := f.s.DropNoticeSent(ctx, f.c, d.ID, member(0)); err != nil || !by.IsZero() {
		t.Errorf("deadline = %v, %v; want none", by, err)
	}
	f.clk.Add(30 * 24 * time.Hour)
	if got, err := f.s.ExpireDropConfirms(ctx, f.c); err != nil || len(got) != 0 {
		t.Errorf("expiries = %v, %v; want none", got, err)
	}
	if winners, _ := f.people(t, d.ID); !slices.Equal(winners, []string{member(0)}) {
		t.Errorf("winners = %v", winners)
	}
}
