package engagement_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/closeknit/closeknit/engagement"
)

// TestDropCooldown: with drop_cooldown 1, the 5 winners of the last drop
// press the next one at the same instant as 15 others, through two
// replicas: exactly 5 units go, all to members who did not win the last
// drop; the recent winners wait behind everyone else. On a drop with units
// left when it closes, they go to the waiting recent winners in order.
// Winners of a drop before the last K are not held back.
func TestDropCooldown(t *testing.T) {
	ctx := context.Background()
	f := newDropFixture(t, 40)
	f.c.DropCooldown = 1
	first := f.create(t, 5)
	for i := range 5 {
		if r := f.claim(t, first.ID, member(i)); r.Outcome != engagement.ClaimWon {
			t.Fatalf("first drop: %s got %v", member(i), r.Outcome)
		}
	}
	second := f.create(t, 6) // 6 units, 5 members 0-4 hold back: see below
	var wg sync.WaitGroup
	results := make([]engagement.ClaimResult, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := f.s
			if i%2 == 1 {
				s = f.s2
			}
			r, err := s.ClaimDrop(ctx, f.c, second.ID, member(i))
			if err != nil {
				t.Error(err)
			}
			results[i] = r
		}()
	}
	wg.Wait()
	winners, waiting := f.people(t, second.ID)
	if len(winners) != 6 {
		t.Fatalf("%d winners of 6 units: %v", len(winners), winners)
	}
	for i := range 5 {
		if slices.Contains(winners, member(i)) || results[i].Outcome != engagement.ClaimCooling {
			t.Errorf("%s won the last drop yet got %v on this one", member(i), results[i].Outcome)
		}
	}
	if len(waiting) != 14 {
		t.Fatalf("%d waiting, want 14: %v", len(waiting), waiting)
	}
	for _, u := range waiting[:9] {
		if idx := slices.Index([]string{member(0), member(1), member(2), member(3), member(4)}, u); idx >= 0 {
			t.Errorf("recent winner %s waits ahead of members who did not win: %v", u, waiting)
		}
	}

	// A drop with units to spare: the others win, the recent winners wait,
	// and at closing the spare units go to them in line order.
	third := f.create(t, 8)
	for _, u := range winners[:6] {
		if r := f.claim(t, third.ID, u); r.Outcome != engagement.ClaimCooling {
			t.Fatalf("second drop's winner %s on the third: %v", u, r.Outcome)
		}
	}
	for i := range 5 { // won the first drop, two back: not held back with K = 1
		if r := f.claim(t, third.ID, member(i)); r.Outcome != engagement.ClaimWon {
			t.Errorf("%s (won two drops ago) on the third: %v, want won", member(i), r.Outcome)
		}
	}
	if _, err := f.s.CloseDrop(ctx, f.c, third.ID); err != nil {
		t.Fatal(err)
	}
	got, line := f.people(t, third.ID)
	if len(got) != 8 || !slices.Equal(got[5:], winners[:3]) || !slices.Equal(line, winners[3:6]) {
		t.Errorf("after closing: winners %v, line %v; want members 0-4 then %v, and %v in line", got, line, winners[:3], winners[3:6])
	}
	notices, err := f.s.TakeDropNotices(ctx, f.c, third.ID, 0, 100)
	if err != nil || len(notices) != 8 {
		t.Errorf("%d winners to DM after closing (%v), want 8", len(notices), err)
	}
}
