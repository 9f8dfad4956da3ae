package engagement_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/google/go-cmp/cmp"
)

const (
	alice, bob, carol, dave = "UALICE001", "UBOB00001", "UCAROL001", "UDAVE0001"
	staff1, staff2          = "U0STAFF001", "U0STAFF002"
)

func thanksCommunity(tb testing.TB, tz string) *engagement.Community {
	c := testCommunity(tb, tz)
	c.Staff = []string{staff1, staff2}
	return c
}

func mustThank(tb testing.TB, s *engagement.Store, c *engagement.Community, id, giver, receiver string, t time.Time) engagement.ThanksResult {
	tb.Helper()
	r, err := s.Thank(context.Background(), c, engagement.Thanks{ID: id, Giver: giver, Receiver: receiver, At: t})
	if err != nil {
		tb.Fatalf("Thank(%s, %s -> %s): %v", id, giver, receiver, err)
	}
	return r
}

func appreciation(tb testing.TB, s *engagement.Store, c *engagement.Community, weeks ...engagement.Week) *engagement.Appreciation {
	tb.Helper()
	a, err := s.Appreciation(context.Background(), c, weeks, 5)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

var w47 = engagement.Week{Year: 2026, Num: 47}

// One thanks per giver, receiver and day counts; self, staff-to-staff,
// strangers and bots do not; the same command handled twice answers what
// the first did.
func TestThanksLimits(t *testing.T) {
	t.Parallel()
	s, rdb := MustOpenStore(t, engagement.Options{})
	c := thanksCommunity(t, "UTC")
	rdb.seat(t, c, alice, bob, carol, dave)
	if err := s.SetKind(context.Background(), c, dave, "bot"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		id, giver, receiver string
		at                  time.Time
		want                engagement.ThanksResult
	}{
		{"c1", alice, bob, at, engagement.ThanksResult{Outcome: engagement.ThanksCounted}},
		{"c1", alice, bob, at, engagement.ThanksResult{Outcome: engagement.ThanksCounted, Repeat: true}},       // redelivered
		{"c2", alice, bob, at.Add(time.Hour), engagement.ThanksResult{Outcome: engagement.ThanksAlreadyToday}}, // same day
		{"c3", carol, bob, at, engagement.ThanksResult{Outcome: engagement.ThanksCounted}},                     // another giver
		{"c4", bob, alice, at, engagement.ThanksResult{Outcome: engagement.ThanksCounted}},                     // the other way round
		{"c5", alice, bob, at.Add(9 * time.Hour), engagement.ThanksResult{Outcome: engagement.ThanksCounted}},  // Thursday 00:04
		{"c6", alice, alice, at, engagement.ThanksResult{Outcome: engagement.ThanksSelf}},
		{"c7", staff1, staff2, at, engagement.ThanksResult{Outcome: engagement.ThanksStaffToStaff}},
		{"c8", staff1, alice, at, engagement.ThanksResult{Outcome: engagement.ThanksCounted}}, // staff need no seat
		{"c9", carol, staff2, at, engagement.ThanksResult{Outcome: engagement.ThanksCounted}},
		{"c10", "UNOSEAT01", alice, at, engagement.ThanksResult{Outcome: engagement.ThanksGiverNotMember}},
		{"c11", alice, "UNOSEAT01", at, engagement.ThanksResult{Outcome: engagement.ThanksReceiverNotMember}},
		{"c12", dave, alice, at, engagement.ThanksResult{Outcome: engagement.ThanksBot}},
	}
	for _, tc := range cases {
		if got := mustThank(t, s, c, tc.id, tc.giver, tc.receiver, tc.at); got != tc.want {
			t.Errorf("%s %s -> %s: %+v, want %+v", tc.id, tc.giver, tc.receiver, got, tc.want)
		}
	}
	a := appreciation(t, s, c, w47)
	want := []engagement.Candidate{{User: bob, Thanks: 3}, {User: alice, Thanks: 2}}
	if diff := cmp.Diff(want, a.MostThanked); diff != "" || a.Thanks != 6 {
		t.Errorf("thanks %d (want 6: staff count in the total, never named); most thanked (-want +got):\n%s", a.Thanks, diff)
	}
}

// "Today" is the community's day: in Los Angeles, 23:30 and 00:30 the next
// morning are two days, while 07:30 and 08:30 UTC the same night are one.
func TestThanksDayIsTheCommunitysDay(t *testing.T) {
	t.Parallel()
	s, rdb := MustOpenStore(t, engagement.Options{})
	c := thanksCommunity(t, "America/Los_Angeles")
	rdb.seat(t, c, alice, bob)
	late := time.Date(2026, 11, 18, 23, 30, 0, 0, c.Location)
	if r := mustThank(t, s, c, "c1", alice, bob, late); r.Outcome != engagement.ThanksCounted {
		t.Fatalf("first: %+v", r)
	}
	if r := mustThank(t, s, c, "c2", alice, bob, late.Add(time.Hour)); r.Outcome != engagement.ThanksCounted {
		t.Errorf("after local midnight: %+v, want counted", r)
	}
	if r := mustThank(t, s, c, "c3", alice, bob, late.Add(2*time.Hour)); r.Outcome != engagement.ThanksAlreadyToday {
		t.Errorf("the same local day: %+v, want already today", r)
	}
	// The day's marker names nobody and goes after two days.
	for _, k := range rdb.keys(t, "{acme}:thanks:day:*") {
		if ttl := rdb.TTL(context.Background(), k).Val(); ttl <= 0 || ttl > 48*time.Hour {
			t.Errorf("%s expires in %v", k, ttl)
		}
	}
}

// The thanks reaction on a member's post counts, redelivered or not; any
// other reaction, a reaction on one's own post, a removal, or a second one
// the same day adds nothing. A skin tone is the same reaction.
func TestThanksReaction(t *testing.T) {
	t.Parallel()
	s, rdb := MustOpenStore(t, engagement.Options{})
	c := thanksCommunity(t, "UTC")
	c.ThanksReaction = "pray"
	rdb.seat(t, c, alice, bob, carol)
	var mu sync.Mutex
	seen := map[string]int{}
	s.SetThanksObserver(func(community, via string) { mu.Lock(); seen[via]++; mu.Unlock() })
	item := at.Add(-time.Hour)
	rx := func(id string, kind engagement.Kind, user, itemUser, emoji string, t time.Time) engagement.Event {
		return engagement.Event{ID: id, Community: c, Kind: kind, User: user, At: t, ItemTS: tsAt(item), ItemUser: itemUser, Reaction: emoji}
	}
	add, rm := engagement.KindReactionAdded, engagement.KindReactionRemoved
	ev1 := rx("Ev1", add, alice, bob, "pray", at)
	mustRecord(t, s, ev1, ev1) // delivered twice in one batch
	mustRecord(t, s,
		ev1, // and again later
		rx("Ev2", add, carol, bob, "raised_hands", at), // not this community's thanks reaction
		rx("Ev3", add, bob, bob, "pray", at),           // on one's own post
		rx("Ev4", rm, alice, bob, "pray", at.Add(time.Minute)),
		rx("Ev5", add, alice, bob, "pray", at.Add(2*time.Minute)), // added again the same day
		rx("Ev6", add, staff1, carol, "pray::skin-tone-2", at),
		rx("Ev7", add, carol, "", "pray", at), // the author is not known
	)
	a := appreciation(t, s, c, w47)
	want := []engagement.Candidate{{User: bob, Thanks: 1}, {User: carol, Thanks: 1}}
	if diff := cmp.Diff(want, a.MostThanked); diff != "" {
		t.Errorf("most thanked (-want +got):\n%s", diff)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen[engagement.ThanksViaReaction] != 2 || seen[engagement.ThanksViaCommand] != 0 {
		t.Errorf("observer saw %v, want 2 reactions", seen)
	}
	// The reactions still count as reactions.
	if r := mustReport(t, s, c, "2026-W47"); r.Reactions != 5 {
		t.Errorf("reactions %d, want 5 (6 people's reactions, one removed and added again)", r.Reactions)
	}
}

// Helpers: who wrote the first thread reply to a customer's post, the
// author and staff posts apart; opted-out and forgotten members are never
// named, and their thanks leave with them.
func TestHelpersAndPrivacy(t *testing.T) {
	t.Parallel()
	s, rdb := MustOpenStore(t, engagement.Options{})
	c := thanksCommunity(t, "UTC")
	ctx := context.Background()
	rdb.seat(t, c, alice, bob, carol, dave)
	p1, p2, p3, p4, p5 := at, at.Add(time.Hour), at.Add(2*time.Hour), at.Add(3*time.Hour), at.Add(4*time.Hour)
	mustRecord(t, s, post(c, "Ev1", alice, p1), post(c, "Ev2", bob, p2), post(c, "Ev3", staff1, p3), post(c, "Ev4", alice, p4),
		post(c, "Ev5", dave, p5))
	mustRecord(t, s,
		// p1: carol's reply after 5 min, delivered after bob's after 9; a reaction before both.
		reply(c, "Ev10", bob, p1.Add(9*time.Minute), p1, alice),
		react(c, "Ev11", dave, p1.Add(time.Minute), p1, alice),
		reply(c, "Ev12", carol, p1.Add(5*time.Minute), p1, alice),
		// p2: the author first, then carol: carol helped.
		reply(c, "Ev13", bob, p2.Add(time.Minute), p2, bob),
		reply(c, "Ev14", carol, p2.Add(2*time.Minute), p2, bob),
		// p3: staff's post answered by bob: not a customer's post.
		reply(c, "Ev15", bob, p3.Add(time.Minute), p3, staff1),
		// p4: staff first, then bob: the first answer was staff's.
		reply(c, "Ev16", staff1, p4.Add(time.Minute), p4, alice),
		reply(c, "Ev17", bob, p4.Add(2*time.Minute), p4, alice),
		// p5: bob first.
		reply(c, "Ev18", bob, p5.Add(time.Minute), p5, dave),
	)
	a := appreciation(t, s, c, w47)
	want := []engagement.Candidate{{User: carol, FirstAnswers: 2}, {User: bob, FirstAnswers: 1}}
	if diff := cmp.Diff(want, a.Helpers); diff != "" {
		t.Errorf("helpers (-want +got):\n%s", diff)
	}
	mustThank(t, s, c, "c1", alice, carol, at)
	mustThank(t, s, c, "c2", bob, carol, at)
	mustThank(t, s, c, "c3", carol, bob, at)

	// Opted out, carol is named nowhere; thanks she receives from then on
	// count under nobody's name.
	mustOptOut(t, s, c, carol, true)
	mustThank(t, s, c, "c4", dave, carol, at)
	a = appreciation(t, s, c, w47)
	if len(a.MostThanked) != 1 || a.MostThanked[0].User != bob || len(a.Helpers) != 1 || a.Helpers[0].User != bob || a.Thanks != 4 {
		t.Errorf("after carol opted out: %+v, want bob alone named, 4 thanks in all", a)
	}
	tally, _ := rdb.ZRangeWithScores(ctx, rdb.ns+":{acme}:thanks:2026-W47", 0, -1).Result()
	got := map[string]float64{}
	for _, z := range tally {
		got[z.Member.(string)] = z.Score
	}
	if diff := cmp.Diff(map[string]float64{carol: 2, bob: 1, "-": 1}, got); diff != "" {
		t.Errorf("the week's tally (-want +got):\n%s", diff)
	}
	// Forgotten, bob's thanks and first answers are gone.
	if _, err := s.Forget(ctx, c, bob); err != nil {
		t.Fatal(err)
	}
	a = appreciation(t, s, c, w47)
	if len(a.MostThanked) != 0 || len(a.Helpers) != 0 || a.Thanks != 3 {
		t.Errorf("after forgetting bob: %+v, want nobody named, 3 thanks left", a)
	}
	recs, err := s.Personal(ctx, c, bob)
	if err != nil || len(recs) != 0 {
		t.Errorf("records of bob after forget: %+v, %v", recs, err)
	}
	// The KPIs carry the same lists.
	k, err := s.KPIs(ctx, c, w47, engagement.KPIOptions{})
	if err != nil || k.Thanks != 3 || len(k.MostThanked) != 0 || len(k.Helpers) != 0 {
		t.Errorf("KPIs: thanks %d, %+v, %+v, %v", k.Thanks, k.MostThanked, k.Helpers, err)
	}
}

// One spotlight per community and month: a second claim, by the same or
// another staff member, finds the first; a claim whose poster stopped is
// taken over after its lease, keeping its member; a refused post gives the
// month back.
func TestSpotlightOncePerMonth(t *testing.T) {
	t.Parallel()
	var offset time.Duration
	var mu sync.Mutex
	s, _ := MustOpenStore(t, engagement.Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return at.Add(offset) }})
	c := thanksCommunity(t, "UTC")
	ctx := context.Background()
	month := engagement.SpotlightMonth(at, c)
	if month != "2026-11" {
		t.Fatalf("month %q", month)
	}
	claim := func(user, by string) engagement.Spotlight {
		sp, err := s.ClaimSpotlight(ctx, c, month, user, by)
		if err != nil {
			t.Fatal(err)
		}
		return sp
	}
	if sp := claim(alice, staff1); !sp.Post || !sp.Fresh || sp.User != alice {
		t.Fatalf("first claim: %+v", sp)
	}
	if sp := claim(bob, staff2); sp.Post || sp.User != alice || sp.State != engagement.SpotlightSending {
		t.Errorf("second claim while the first posts: %+v", sp)
	}
	mu.Lock()
	offset = engagement.SpotlightLease + time.Second
	mu.Unlock()
	if sp := claim(bob, staff2); !sp.Post || sp.Fresh || sp.User != alice {
		t.Errorf("claim after the lease: %+v, want a takeover of alice's", sp)
	}
	if err := s.MarkSpotlightPosted(ctx, c, month, "1.000200"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	offset = time.Hour
	mu.Unlock()
	if sp := claim(bob, staff2); sp.Post || sp.State != engagement.SpotlightSent || sp.TS != "1.000200" || sp.User != alice || sp.By != staff1 {
		t.Errorf("claim after the post: %+v", sp)
	}
	// Next month is another one; a refused post is released.
	next := engagement.SpotlightMonth(at.AddDate(0, 1, 0), c)
	if sp, _ := s.ClaimSpotlight(ctx, c, next, bob, staff1); !sp.Fresh {
		t.Errorf("next month: %+v", sp)
	}
	if err := s.ReleaseSpotlight(ctx, c, next); err != nil {
		t.Fatal(err)
	}
	if sp, _ := s.ClaimSpotlight(ctx, c, next, carol, staff2); !sp.Fresh || sp.User != carol {
		t.Errorf("after a release: %+v", sp)
	}
}

// TestHelpersUnreadable: when the posts' authors cannot be read (here the
// posts key is not a hash; in production, the metrics scrape's deadline
// passing mid-read), Appreciation and the KPIs fail with the error instead
// of panicking, which made /metrics answer 500 in a soak.
func TestHelpersUnreadable(t *testing.T) {
	t.Parallel()
	s, rdb := MustOpenStore(t, engagement.Options{})
	c := thanksCommunity(t, "UTC")
	ctx := context.Background()
	rdb.seat(t, c, alice, bob)
	mustRecord(t, s, post(c, "Ev1", alice, at))
	mustRecord(t, s, reply(c, "Ev2", bob, at.Add(time.Minute), at, alice))
	if err := rdb.Set(ctx, rdb.ns+":{acme}:w:2026-W47:posts", "not a hash", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Appreciation(ctx, c, []engagement.Week{w47}, 5); err == nil {
		t.Error("Appreciation = nil error with unreadable posts, want the error")
	}
}
