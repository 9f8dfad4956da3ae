package engagement_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
)

func (f *dropFixture) open(tb testing.TB, spec engagement.RequestSpec, token string) engagement.OpenResult {
	tb.Helper()
	r, err := f.s.OpenRequest(context.Background(), f.c, spec, token)
	if err != nil {
		tb.Fatalf("OpenRequest(%+v): %v", spec, err)
	}
	return r
}

// One open request per person; a repeat of the same asking finds it; a
// seated or waiting person cannot ask; a decline can be repeated after 30
// days and not before.
func TestSeatRequestOneOpenAndRepeat(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 2)
	ctx := context.Background()
	const guest, guest2 = "UGUEST0001", "UGUEST0002"

	r := f.open(t, engagement.RequestSpec{User: guest, About: "  I draw every day  "}, "V1")
	if !r.Created || r.Refusal != engagement.RequestAccepted || r.Request.ID != "R1" || r.Request.About != "I draw every day" || r.Request.Status != engagement.RequestOpen {
		t.Fatalf("first request: %+v %+v", r, r.Request)
	}
	if again := f.open(t, engagement.RequestSpec{User: guest, About: "I draw every day"}, "V1"); again.Created || again.Refusal != engagement.RequestAccepted || again.Request.ID != "R1" {
		t.Errorf("the same asking again: %+v", again)
	}
	// A nomination of someone with an open request changes nothing.
	nom := f.open(t, engagement.RequestSpec{User: guest, NominatedBy: member(0), About: "great feedback"}, "T2")
	if nom.Refusal != engagement.RequestAlreadyOpen || nom.Request.ID != "R1" || nom.Request.NominatedBy != "" {
		t.Errorf("nomination while open: %+v", nom)
	}
	if r := f.open(t, engagement.RequestSpec{User: member(1)}, "V3"); r.Refusal != engagement.RequestIsSeated {
		t.Errorf("a seated member asked: %+v", r)
	}
	if _, err := f.s.OpenRequest(ctx, f.c, engagement.RequestSpec{User: member(0), NominatedBy: member(0)}, "x"); !errors.Is(err, engagement.ErrInvalid) {
		t.Errorf("self-nomination: %v", err)
	}
	long := make([]rune, engagement.MaxRequestText+1)
	for i := range long {
		long[i] = 'a'
	}
	if _, err := f.s.OpenRequest(ctx, f.c, engagement.RequestSpec{User: guest2, About: string(long)}, "x"); !errors.Is(err, engagement.ErrInvalid) {
		t.Errorf("301 characters: %v", err)
	}

	f.clk.Add(90 * time.Minute)
	d, err := f.s.DecideRequest(ctx, f.c, "r1", "U0STAFF0001", false)
	if err != nil || !d.Decided || d.Request.Status != engagement.RequestDeclined || d.Request.Wait() != 90*time.Minute {
		t.Fatalf("decline: %+v %v", d, err)
	}
	// The second decision (another staff member approving) changes nothing.
	d2, err := f.s2.DecideRequest(ctx, f.c, "R1", "U0STAFF0002", true)
	if err != nil || d2.Decided || d2.Request.Status != engagement.RequestDeclined || d2.Request.DecidedBy != "U0STAFF0001" {
		t.Errorf("second decision: %+v %v", d2, err)
	}
	if _, err := f.s.DecideRequest(ctx, f.c, "R99", "U0STAFF0001", true); !errors.Is(err, engagement.ErrNoRequest) {
		t.Errorf("unknown request: %v", err)
	}
	f.clk.Add(29 * 24 * time.Hour)
	late := f.open(t, engagement.RequestSpec{User: guest}, "V4")
	if late.Refusal != engagement.RequestDeclinedLate || !late.Until.Equal(d.Request.Decided.Add(engagement.RequestRepeatAfter)) {
		t.Errorf("asked again after 29 days: %+v", late)
	}
	f.clk.Add(24*time.Hour + time.Minute)
	again := f.open(t, engagement.RequestSpec{User: guest, NominatedBy: member(0), About: "she should be here"}, "V5")
	if !again.Created || again.Request.ID != "R2" || again.Request.NominatedBy != member(0) {
		t.Errorf("asked again after 30 days: %+v", again)
	}
}

// An approval takes a free seat through the membership logic (the outbox
// invites them); with none free, a waitlist place. Two staff deciding at
// once decide once.
func TestSeatRequestApproveSeatOrWaitlist(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 1)
	ctx := context.Background()
	if _, err := f.s.SetCap(ctx, f.c, 2, f.clk.Now()); err != nil {
		t.Fatal(err)
	}
	a := f.open(t, engagement.RequestSpec{User: "UGUEST0001"}, "V1").Request
	b := f.open(t, engagement.RequestSpec{User: "UGUEST0002", NominatedBy: member(0), About: "helps everyone"}, "V2").Request

	// Two staff press Approve on a at the same instant, on two replicas.
	var wg sync.WaitGroup
	decisions := make([]engagement.Decision, 2)
	for i, s := range []*engagement.Store{f.s, f.s2} {
		wg.Go(func() {
			d, err := s.DecideRequest(ctx, f.c, a.ID, []string{"U0STAFF0001", "U0STAFF0002"}[i], i == 0)
			if err != nil {
				t.Error(err)
			}
			decisions[i] = d
		})
	}
	wg.Wait()
	if decisions[0].Decided == decisions[1].Decided {
		t.Fatalf("both or neither decided: %+v", decisions)
	}
	won := decisions[0]
	if decisions[1].Decided {
		won = decisions[1]
	}
	if won.Request.Status == engagement.RequestApproved {
		if won.Request.Outcome != engagement.RequestSeat {
			t.Errorf("approved with a free seat: %+v", won.Request)
		}
		if seated, _ := f.s.IsSeated(ctx, f.c, a.User); !seated {
			t.Error("approved but not seated")
		}
	} else if seated, _ := f.s.IsSeated(ctx, f.c, a.User); seated {
		t.Error("declined but seated")
	}
	// Fill the cap, then approve b: a waitlist place.
	if seated, _ := f.s.IsSeated(ctx, f.c, a.User); !seated {
		f.seatMany(t, 2) // the second seat goes to member(1)
	}
	d, err := f.s.DecideRequest(ctx, f.c, b.ID, "U0STAFF0001", true)
	if err != nil || !d.Decided || d.Request.Outcome != engagement.RequestWaitlist || d.Request.Position != 1 {
		t.Fatalf("approved when full: %+v %v", d.Request, err)
	}
	r, err := f.s.Roster(ctx, f.c)
	if err != nil || len(r.Waitlist) != 1 || r.Waitlist[0].User != b.User {
		t.Errorf("waitlist after approval: %+v %v", r, err)
	}
	if open, _ := f.s.OpenRequestOf(ctx, f.c, b.User); open != nil {
		t.Errorf("still open after the decision: %+v", open)
	}
	// Notices are to do until each is done.
	ids, err := f.s.TakeRequestNotices(ctx, f.c)
	if err != nil || len(ids) != 2 {
		t.Fatalf("notices to do: %v %v", ids, err)
	}
	for _, n := range []string{engagement.NoticeCard, engagement.NoticeUser, engagement.NoticeNominator} {
		if err := f.s.RequestNoticeDone(ctx, f.c, b.ID, n); err != nil {
			t.Fatal(err)
		}
	}
	f.clk.Add(time.Hour)
	if ids, _ := f.s.TakeRequestNotices(ctx, f.c); len(ids) != 1 || ids[0] != a.ID {
		t.Errorf("notices still to do: %v, want only %s", ids, a.ID)
	}
}

// The digest's figures: opened, approved, declined in the week, and the
// median wait of the week's decisions.
func TestSeatRequestStats(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 0)
	ctx := context.Background()
	start := f.clk.Now()
	var ids []string
	for _, u := range []string{"UGUEST0001", "UGUEST0002", "UGUEST0003", "UGUEST0004"} {
		ids = append(ids, f.open(t, engagement.RequestSpec{User: u}, "V"+u).Request.ID)
	}
	for i, wait := range []time.Duration{time.Hour, 2 * time.Hour, 4 * time.Hour} {
		f.clk.Add(wait)
		if _, err := f.s.DecideRequest(ctx, f.c, ids[i], "U0STAFF0001", i != 1); err != nil {
			t.Fatal(err)
		}
	}
	// Decided after 1 h, 3 h and 7 h: the median is 3 h.
	st, err := f.s.RequestStatsBetween(ctx, f.c, start, start.Add(7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := engagement.RequestStats{Opened: 4, Approved: 2, Declined: 1, Open: 1, MedianWait: 3 * time.Hour, DecidedCount: 3}
	if st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	// The digest's KPIs carry the same, for the week.
	k, err := f.s.KPIs(ctx, f.c, engagement.WeekOf(start, f.c.Location), engagement.KPIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k.SeatRequests, (engagement.SeatRequestWeek{Opened: 4, Approved: 2, Declined: 1, Open: 1, DecisionMedianSeconds: 3 * 3600}); got == nil || *got != want {
		t.Errorf("KPIs.SeatRequests = %+v, want %+v", got, want)
	}
	// The week before saw nothing.
	if st, _ := f.s.RequestStatsBetween(ctx, f.c, start.Add(-7*24*time.Hour), start); st.Opened != 0 || st.DecidedCount != 0 {
		t.Errorf("previous week: %+v", st)
	}
}

// Forget takes the person's text and their name off their requests, and
// a nominator's name off the nominations.
func TestSeatRequestForget(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 1)
	ctx := context.Background()
	r := f.open(t, engagement.RequestSpec{User: "UGUEST0001", NominatedBy: member(0), About: "knows the product inside out"}, "V1").Request
	if _, err := f.s.Forget(ctx, f.c, "UGUEST0001"); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.Request(ctx, f.c, r.ID)
	if err != nil || got.User != "" || got.About != "" || got.NominatedBy != member(0) {
		t.Errorf("after the person's forget: %+v %v", got, err)
	}
	if open, _ := f.s.OpenRequestOf(ctx, f.c, "UGUEST0001"); open != nil {
		t.Errorf("open request after forget: %+v", open)
	}
	if _, err := f.s.Forget(ctx, f.c, member(0)); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.s.Request(ctx, f.c, r.ID); got.NominatedBy != "" {
		t.Errorf("after the nominator's forget: %+v", got)
	}
}
