package engagement_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
)

func TestPromptQueue(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	ctx := context.Background()
	for _, q := range []string{"a", "b", "c", "d"} {
		if _, err := s.AddPrompt(ctx, c, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddPrompt(ctx, c, ""); !errors.Is(err, engagement.ErrInvalid) {
		t.Errorf("empty prompt: %v, want ErrInvalid", err)
	}
	if got, err := s.MovePrompt(ctx, c, 4, 1); err != nil || got != "d" {
		t.Fatalf("move 4 to 1: %q, %v", got, err)
	}
	if got, err := s.DropPrompt(ctx, c, 3); err != nil || got != "b" {
		t.Fatalf("drop 3: %q, %v", got, err)
	}
	if _, err := s.MovePrompt(ctx, c, 2, 99); err != nil { // past the end: to the end
		t.Fatal(err)
	}
	if _, err := s.DropPrompt(ctx, c, 7); !errors.Is(err, engagement.ErrNoPrompt) {
		t.Errorf("drop 7 of 3: %v, want ErrNoPrompt", err)
	}
	if q, err := s.PromptQueue(ctx, c); err != nil || !slices.Equal(q, []string{"d", "c", "a"}) {
		t.Errorf("queue %q, %v; want d, c, a", q, err)
	}
}

// A slot takes the queue's head once, however often it is claimed; an
// empty queue marks the slot empty (a prompt added later waits), and staff
// are warned of it once.
func TestPromptSlotClaimedOnce(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	ctx := context.Background()
	w := engagement.Week{Year: 2026, Num: 47}
	if _, err := s.AddPrompt(ctx, c, "What did you make this week?"); err != nil {
		t.Fatal(err)
	}
	first, err := s.ClaimPromptSlot(ctx, c, w)
	if err != nil || !first.Fresh || first.State != engagement.PromptSending || first.Text != "What did you make this week?" {
		t.Fatalf("first claim %+v, %v", first, err)
	}
	again, err := s.ClaimPromptSlot(ctx, c, w)
	if err != nil || again.Fresh || again.Text != first.Text {
		t.Fatalf("second claim %+v, %v: want the same, not fresh", again, err)
	}
	if err := s.MarkPromptPosted(ctx, c, w, "1795000000.000100"); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.ClaimPromptSlot(ctx, c, w); st.State != engagement.PromptSent || st.TS != "1795000000.000100" {
		t.Errorf("after posting: %+v", st)
	}
	next := engagement.WeekOf(w.End(c.Location).Add(time.Hour), c.Location)
	warn1, err1 := s.WarnEmptyPromptQueue(ctx, c, next)
	warn2, err2 := s.WarnEmptyPromptQueue(ctx, c, next)
	if err1 != nil || err2 != nil || !warn1 || warn2 {
		t.Errorf("empty-queue warning: %v %v (%v, %v), want once", warn1, warn2, err1, err2)
	}
	if st, err := s.ClaimPromptSlot(ctx, c, next); err != nil || st.State != engagement.PromptEmpty {
		t.Errorf("empty queue: %+v, %v", st, err)
	}
	if _, err := s.AddPrompt(ctx, c, "late"); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.ClaimPromptSlot(ctx, c, next); st.State != engagement.PromptEmpty {
		t.Errorf("a prompt added after an empty slot was claimed into it: %+v", st)
	}
}

// Replies in a prompt's thread and reactions on it are tallied, once per
// event; staff's and those on other messages are not.
func TestPromptTallies(t *testing.T) {
	t.Parallel()
	now := at
	s, _ := MustOpenStore(t, engagement.Options{Now: func() time.Time { return now }})
	c := testCommunity(t, "UTC")
	c.Staff = []string{"USTAFF001"}
	ctx := context.Background()
	w := engagement.WeekOf(at, c.Location)
	if _, err := s.AddPrompt(ctx, c, "Show us your desk"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimPromptSlot(ctx, c, w); err != nil {
		t.Fatal(err)
	}
	posted := at
	pts := tsAt(posted)
	if err := s.MarkPromptPosted(ctx, c, w, pts); err != nil {
		t.Fatal(err)
	}
	other := posted.Add(-time.Hour)
	r1 := reply(c, "Ev1", "UA0000001", posted.Add(10*time.Minute), posted, "UBOT")
	mustRecord(t, s,
		reply(c, "Ev2", "UB0000001", posted.Add(30*time.Minute), posted, "UBOT"),
		r1, r1, // redelivered
		reply(c, "Ev3", "UA0000001", posted.Add(40*time.Minute), posted, "UBOT"),
		reply(c, "Ev4", "USTAFF001", posted.Add(5*time.Minute), posted, "UBOT"), // staff: not counted
		react(c, "Ev5", "UC0000001", posted.Add(time.Hour), posted, "UBOT"),
		reply(c, "Ev6", "UD0000001", other.Add(time.Minute), other, "UA0000001"), // another thread
	)
	now = posted.Add(2 * time.Hour)
	p, err := s.PromptOfWeek(ctx, c, w)
	if err != nil || p == nil {
		t.Fatalf("prompt of the week: %v, %v", p, err)
	}
	want := engagement.PromptSummary{Week: w.String(), Text: "Show us your desk", TS: pts, Replies: 3, Reactions: 1, Participants: 3, FirstReplyAfter: 600}
	if *p != want {
		t.Errorf("tallies %+v, want %+v", *p, want)
	}
}
