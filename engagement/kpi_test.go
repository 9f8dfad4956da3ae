package engagement_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// kpiFixture is a community in Los Angeles with 12 weeks of history whose
// KPIs for 2026-W47 are worked out by hand in TestKPIsHandComputed.
type kpiFixture struct {
	c    *engagement.Community
	loc  *time.Location
	asOf time.Time
	seq  int
	evs  []engagement.Event
}

const (
	uA, uB, uC, uD = "UA0000001", "UB0000001", "UC0000001", "UD0000001"
	uStaff         = "USTAFF001"
	uOpt           = "UOPT00001"
)

func (f *kpiFixture) id() string { f.seq++; return fmt.Sprintf("Ev%04d", f.seq) }

// day is the local time on day d (Monday=0) of week n of 2026 at hh:mm.
func (f *kpiFixture) day(n, d, hh, mm int) time.Time {
	s := engagement.Week{Year: 2026, Num: n}.Start(f.loc)
	return time.Date(s.Year(), s.Month(), s.Day()+d, hh, mm, 0, 0, f.loc)
}

func (f *kpiFixture) posts(n int, users ...string) {
	for i, u := range users {
		f.evs = append(f.evs, post(f.c, f.id(), u, f.day(n, 2, 12, i)))
	}
}

func newKPIFixture(t *testing.T) *kpiFixture {
	loc := mustLoc(t, "America/Los_Angeles")
	f := &kpiFixture{loc: loc}
	f.c = &engagement.Community{ID: "acme", Channel: "C05R8T2KLMN", Location: loc, Cap: 100, Staff: []string{uStaff}}
	f.asOf = f.day(48, 0, 9, 0) // Monday 23 Nov 09:00, when the W47 digest goes out
	// History, one top-level post per name at Wednesday noon.
	f.posts(35, "UOLD00001")
	f.posts(36, "UEXACT001", "UOLD00001")
	f.posts(37, "UEXACT001", "UOLD00001")
	f.posts(38, "UEXACT001", "UOLD00001", "ULAPSE002")
	f.posts(39, "UEXACT001", "ULAPSE002")
	f.posts(40, "ULAPSE001", uOpt, "ULAPSE002")
	f.posts(41, "ULAPSE001", uOpt)
	f.posts(42, "ULAPSE001", uOpt, "UFILL0001")
	f.posts(43, "ULAPSE001", uOpt)
	f.posts(44, "UFEW00001", "UFILL0001", "UFILL0001", "UFILL0001", "UFILL0001", "UFILL0001")
	f.posts(45, "ULAPSE001", "UFEW00001", "UFILL0001", "UFILL0001")
	f.posts(46, uA, uA, uB, uC, uStaff, "ULAPSE002")
	// Seats: three regulars and the opted-out member long ago, uD and
	// UNEW00001 during W47; uD's first post after joining is an intro.
	join := func(u string, at time.Time) {
		f.evs = append(f.evs, engagement.Event{ID: f.id(), Community: f.c, Kind: engagement.KindMemberJoined, User: u, At: at})
	}
	for _, u := range []string{uA, uB, uC, uOpt} {
		join(u, f.day(30, 0, 12, 0))
	}
	join("UNEW00001", f.day(47, 1, 8, 0))
	join(uD, f.day(47, 6, 10, 0))
	// Week 47.
	p1, p2, p3, p4 := f.day(47, 0, 10, 0), f.day(47, 1, 10, 0), f.day(47, 2, 9, 0), f.day(47, 6, 20, 0)
	p5, p6, p7, p8 := f.day(47, 3, 15, 0), f.day(47, 4, 8, 0), f.day(47, 4, 9, 0), f.day(47, 5, 11, 0)
	c := f.c
	f.evs = append(f.evs,
		post(c, f.id(), uA, p1), post(c, f.id(), uA, p2), post(c, f.id(), uB, p3), post(c, f.id(), uD, p4),
		post(c, f.id(), uC, p5), post(c, f.id(), uOpt, p6), post(c, f.id(), uStaff, p7), post(c, f.id(), uA, p8),
		reply(c, f.id(), uStaff, f.day(47, 2, 12, 0), p2, uA), // p2 answered after 26 h
		reply(c, f.id(), uB, p3.Add(5*time.Minute), p3, uB),   // own thread: no answer
		reply(c, f.id(), uA, p3.Add(20*time.Minute), p3, uB),  // p3 answered after 1200 s
		react(c, f.id(), uB, p1.Add(30*time.Minute), p1, uA),  // p1 answered after 1800 s
		react(c, f.id(), uC, p8.Add(time.Hour), p8, uA),       // p8 answered after 3600 s
		react(c, f.id(), uC, p5.Add(time.Hour), p5, uC),       // own post: no answer
	)
	return f
}

func TestKPIsHandComputed(t *testing.T) {
	t.Parallel()
	f := newKPIFixture(t)
	s, rdb := MustOpenStore(t, engagement.Options{Now: func() time.Time { return f.asOf }})
	if err := rdb.SAdd(context.Background(), rdb.ns+":{acme}:optout", uOpt).Err(); err != nil {
		t.Fatal(err)
	}
	// One at a time, in order: in a batch, a NOSCRIPT retry (another test
	// flushing the script cache) could record a join after the post it
	// should precede.
	for _, e := range f.evs {
		mustRecord(t, s, e)
	}
	// Prototypes: one open during W47 (listed), one closed in W45 and one
	// posted after W47 (not listed). Cards are recorded as they are posted.
	for _, p := range []struct {
		name   string
		posted time.Time
		open   time.Duration
	}{{"Old idea", f.day(45, 1, 10, 0), 24 * time.Hour}, {"Trail bottle", f.day(47, 1, 10, 0), 7 * 24 * time.Hour}, {"Next one", f.asOf.Add(-time.Minute), 24 * time.Hour}} {
		ps := engagement.NewStore(rdb.UniversalClient, engagement.Options{Namespace: rdb.ns, Now: func() time.Time { return p.posted }})
		spec := engagement.PrototypeSpec{Name: p.name, Question: "What do you think?", Reactions: engagement.DefaultReactions, OpenFor: p.open, Author: uStaff}
		if _, err := ps.CreatePrototype(context.Background(), f.c, spec, time.Time{}, f.c.Channel, tsAt(p.posted)); err != nil {
			t.Fatal(err)
		}
	}
	// Staff lower the cap to the 6 seated; two more people wait.
	if _, err := s.SetCap(context.Background(), f.c, 6, f.asOf); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"UWAIT0001", "UWAIT0002"} {
		if _, _, err := s.AddToWaitlist(context.Background(), f.c, u, f.asOf); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.KPIs(context.Background(), f.c, engagement.Week{Year: 2026, Num: 47}, engagement.KPIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ts := func(n, d, hh int) string { return tsAt(f.day(n, d, hh, 0)) }
	want := &engagement.KPIs{
		Community: "acme", Channel: "C05R8T2KLMN", Timezone: "America/Los_Angeles", Week: "2026-W47",
		Start: f.day(47, 0, 0, 0), End: f.day(48, 0, 0, 0), AsOf: f.asOf,
		// 8 top-level posts and 3 replies; 4 weeks before: 2, 6, 4, 6.
		Messages: 11, MessagesPrevWeek: 6, MessagesChange: 5.0 / 6, Messages4wAvg: 4.5, MessagesVs4wAvg: 6.5 / 4.5,
		ThreadReplies: 3, Reactions: 3,
		ActivePosters: 6, ActiveParticipants: 6, PrevActivePosters: 5, // W46: uA, uB, uC, staff, ULAPSE002
		// 6 seated; 5 customers posted (uA, uB, uC, uD, uOpt) and wrote 9
		// messages (11 less staff's 2). The top 10% of 6 members is 1: uA, 4.
		Seated: 6, Cap: 6, Waitlist: 2, ParticipationRate: 5.0 / 6, MessagesPerMember: 9.0 / 6,
		Top10Share: 4.0 / 9,
		// p1..p6 and p8 (p7 is staff's). Answered: 1200, 1800, 3600, 93600 s.
		// Ripe (24 h old): all but p4; within 24 h: p1, p3, p8.
		TopLevelPosts: 7, ResponseTimeMedianSeconds: 2700, ResponseRate24h: 3.0 / 6,
		// Staff replied only to p2, after 26 h (TestStaffResponseKPIs has more).
		StaffResponseTimeMedianSeconds: 93600, StaffResponseRate24h: 0,
		Unanswered: []engagement.Unanswered{
			// The post's ts, in the channel above: links are the app's to make.
			{User: uC, TS: ts(47, 3, 15)},
			{User: "", TS: ts(47, 4, 8)},
		},
		// Customers posting in W46: uA, uB, uC, ULAPSE002; back in W47: 3.
		Retention: 0.75,
		// At least 4 of W36..W47 and none in W46, W47. UOLD's W35 is outside
		// the window; UFILL has 3; ULAPSE002 posted in W46; uOpt is never named.
		Lapsing: []engagement.Lapsing{{User: "ULAPSE001", LastActiveWeek: "2026-W45"}, {User: "UEXACT001", LastActiveWeek: "2026-W39"}},
		// uC before uD: same messages, uC reacted once.
		TopContributors: []engagement.Contributor{{User: uA, Messages: 4}, {User: uB, Messages: 2}, {User: uC, Messages: 1}, {User: uD, Messages: 1}},
		// No thanks; uA's reply was the first to uB's p3 (staff's to p2 is staff's).
		MostThanked: []engagement.Candidate{}, Helpers: []engagement.Candidate{{User: uA, FirstAnswers: 1}},
		NewMembers: []engagement.NewMember{
			{User: "UNEW00001", Joined: f.day(47, 1, 8, 0).UTC(), Intro: false},
			{User: uD, Joined: f.day(47, 6, 10, 0).UTC(), Intro: true},
		},
		Prototypes: []engagement.PrototypeSummary{},
		IdeasNew:   []engagement.NewIdea{}, IdeasStatusChanged: []engagement.IdeaStatusChange{}, Drops: []engagement.DropSummary{},
		// Participation: customers who posted ÷ seated then. No week has a
		// seats snapshot (W47 was not current when computed), so seats are
		// those seated today who were by the week's end: uA, uB, uC and uOpt
		// until W46 (4); W47 is the headline figure, 5 of 6. Prototypes:
		// Old idea open in W45, Trail bottle in W47.
		History: []engagement.WeekPoint{
			{Week: "2026-W36", Messages: 2, ActiveParticipants: 2, ParticipationRate: 2.0 / 4, Seated: 4},
			{Week: "2026-W37", Messages: 2, ActiveParticipants: 2, ParticipationRate: 2.0 / 4, Seated: 4},
			{Week: "2026-W38", Messages: 3, ActiveParticipants: 3, ParticipationRate: 3.0 / 4, Seated: 4},
			{Week: "2026-W39", Messages: 2, ActiveParticipants: 2, ParticipationRate: 2.0 / 4, Seated: 4},
			{Week: "2026-W40", Messages: 3, ActiveParticipants: 3, ParticipationRate: 3.0 / 4, Seated: 4},
			{Week: "2026-W41", Messages: 2, ActiveParticipants: 2, ParticipationRate: 2.0 / 4, Seated: 4},
			{Week: "2026-W42", Messages: 3, ActiveParticipants: 3, ParticipationRate: 3.0 / 4, Seated: 4},
			{Week: "2026-W43", Messages: 2, ActiveParticipants: 2, ParticipationRate: 2.0 / 4, Seated: 4},
			{Week: "2026-W44", Messages: 6, ActiveParticipants: 2, ParticipationRate: 2.0 / 4, Seated: 4},
			{Week: "2026-W45", Messages: 4, ActiveParticipants: 3, ParticipationRate: 3.0 / 4, Seated: 4, Prototypes: 1},
			{Week: "2026-W46", Messages: 6, ActiveParticipants: 5, ParticipationRate: 4.0 / 4, Seated: 4},
			{Week: "2026-W47", Messages: 11, ThreadReplies: 3, ActiveParticipants: 6, ParticipationRate: 5.0 / 6, Seated: 6, Prototypes: 1},
		},
	}
	if len(got.Prototypes) != 1 || got.Prototypes[0].Name != "Trail bottle" || got.Prototypes[0].Status != "open" {
		t.Errorf("prototypes %+v, want only Trail bottle, open", got.Prototypes)
	} else if p := got.Prototypes[0]; p.Channel != f.c.Channel || p.TS == "" || p.Permalink != "" {
		t.Errorf("prototype card at %q %q, link %q: want the card's channel and ts, no link", p.Channel, p.TS, p.Permalink)
	}
	got.Prototypes = []engagement.PrototypeSummary{} // checked above; its figures are issue 4's
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("KPIs (-want +got):\n%s", diff)
	}
	if got.Quiet() {
		t.Errorf("a week with 11 messages is not quiet")
	}
	// Lapsing depends on the threshold: at 5 weeks only ULAPSE001 is left.
	got5, err := s.KPIs(context.Background(), f.c, engagement.Week{Year: 2026, Num: 47}, engagement.KPIOptions{LapsingMinWeeks: 5, TopContributors: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got5.Lapsing) != 1 || got5.Lapsing[0].User != "ULAPSE001" || len(got5.TopContributors) != 2 {
		t.Errorf("min 5 weeks, 2 contributors: lapsing %v, top %v", got5.Lapsing, got5.TopContributors)
	}
}

func TestKPIsQuietWeek(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "Pacific/Auckland")
	got, err := s.KPIs(context.Background(), c, engagement.Week{Year: 2026, Num: 47}, engagement.KPIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Quiet() || got.Messages != 0 || got.MessagesChange != 0 || got.ResponseRate24h != 0 || len(got.History) != 12 {
		t.Errorf("empty week: %+v", got)
	}
}

// TestKPIsResponseTimesOfABusyWeek reads a week with more top-level posts
// than one chunk (responseKPIs scans the posts hash in chunks): every post
// is accounted for once, whatever the chunking.
func TestKPIsResponseTimesOfABusyWeek(t *testing.T) {
	t.Parallel()
	w := engagement.Week{Year: 2026, Num: 47}
	c := testCommunity(t, "UTC")
	start := w.Start(c.Location)
	asOf := start.Add(6 * 24 * time.Hour)
	s, rdb := MustOpenStore(t, engagement.Options{Now: func() time.Time { return asOf }})
	ctx := context.Background()
	week := rdb.ns + ":{" + c.ID + "}:w:" + w.String()
	const n = 2500
	posts, answers := map[string]any{}, map[string]any{}
	for i := range n {
		at := start.Add(time.Duration(i) * time.Minute)
		ts := engagement.FormatTS(at) // whole minutes: ".000000"
		posts[ts] = fmt.Sprintf("U%07d", i%50)
		if i%2 == 0 { // every other post answered, after i seconds
			answers[ts] = strconv.FormatInt(at.Add(time.Duration(i)*time.Second).UnixMicro(), 10)
		}
	}
	if err := rdb.HSet(ctx, week+":posts", posts).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.HSet(ctx, week+":answers", answers).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := s.KPIs(ctx, c, w, engagement.KPIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Answered posts: i = 0, 2, ..., 2498 after i seconds; median of 1250
	// values = mean of the 625th and 626th: (1248 + 1250) / 2.
	// All posts are older than 24 h at asOf except those of the last day.
	ripe := 0
	for i := range n {
		if !start.Add(time.Duration(i) * time.Minute).Add(24 * time.Hour).After(asOf) {
			ripe++
		}
	}
	if got.TopLevelPosts != n || got.ResponseTimeMedianSeconds != 1249 || len(got.Unanswered) != ripe/2 {
		t.Errorf("posts %d, median %v s, unanswered %d; want %d, 1249 s, %d",
			got.TopLevelPosts, got.ResponseTimeMedianSeconds, len(got.Unanswered), n, ripe/2)
	}
	if want := float64(ripe/2) / float64(ripe); got.ResponseRate24h != want {
		t.Errorf("response rate %v, want %v", got.ResponseRate24h, want)
	}
}

// The chart's history: weeks before the first with data are marked NoData
// (a quiet week after it is a real 0), and a week's participation divides
// by the seats of then, snapshotted while the week was current.
func TestKPIsHistoryBlankBeforeDataAndSeatsOfThen(t *testing.T) {
	t.Parallel()
	f := &kpiFixture{loc: mustLoc(t, "America/Los_Angeles")}
	f.c = &engagement.Community{ID: "acme", Channel: "C05R8T2KLMN", Location: f.loc, Cap: 100}
	now := f.day(47, 3, 9, 0)
	s, rdb := MustOpenStore(t, engagement.Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	for _, u := range []string{uA, uB, uC, uD} {
		mustRecord(t, s, engagement.Event{ID: f.id(), Community: f.c, Kind: engagement.KindMemberJoined, User: u, At: f.day(40, 0, 12, 0)})
	}
	mustRecord(t, s, post(f.c, f.id(), uA, f.day(45, 2, 12, 0)), post(f.c, f.id(), uA, f.day(47, 2, 12, 0)), post(f.c, f.id(), uB, f.day(47, 2, 13, 0)))
	k47, err := s.KPIs(ctx, f.c, engagement.Week{Year: 2026, Num: 47}, engagement.KPIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range k47.History {
		if want := i < 4; p.NoData != want { // W36..W39 before the first data (the joins of W40); W46 is quiet, not blank
			t.Errorf("%s: NoData %v, want %v", p.Week, p.NoData, want)
		}
	}
	if p := k47.History[11]; p.ParticipationRate != 0.5 {
		t.Errorf("W47 while current: participation %v, want 2 of 4", p.ParticipationRate)
	}
	// In W48 uD leaves. W47 keeps its 4 seats (its snapshot), W45 has none
	// and counts those seated today who were then: 3.
	now = f.day(48, 1, 9, 0)
	mustRecord(t, s, engagement.Event{ID: f.id(), Community: f.c, Kind: engagement.KindMemberLeft, User: uD, At: f.day(48, 0, 12, 0)})
	k48, err := s.KPIs(ctx, f.c, engagement.Week{Year: 2026, Num: 48}, engagement.KPIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := k48.History[10].ParticipationRate; got != 0.5 {
		t.Errorf("W47 afterwards: participation %v, want 2 of the 4 seated then", got)
	}
	if got := k48.History[8].ParticipationRate; got != 1.0/3 {
		t.Errorf("W45 (no snapshot): participation %v, want 1 of the 3 seated today who were then", got)
	}
	// W48 has a hash (uD's leave) and got its snapshot; a week with nothing
	// recorded gets no hash (it would have no expiry).
	if n, err := rdb.HGet(ctx, rdb.ns+":{acme}:w:2026-W48", "seated").Int(); err != nil || n != 3 {
		t.Errorf("W48 seats snapshot %d, %v; want 3", n, err)
	}
	now = f.day(49, 1, 9, 0)
	if _, err := s.KPIs(ctx, f.c, engagement.Week{Year: 2026, Num: 49}, engagement.KPIOptions{}); err != nil {
		t.Fatal(err)
	}
	if n, err := rdb.Exists(ctx, rdb.ns+":{acme}:w:2026-W49").Result(); err != nil || n != 0 {
		t.Errorf("a week without data got a hash (%d, %v)", n, err)
	}
}

// Staff responsiveness, worked out by hand: the first thread reply by
// staff to each customer's top-level post of the week.
func TestStaffResponseKPIs(t *testing.T) {
	t.Parallel()
	f := &kpiFixture{loc: mustLoc(t, "America/Los_Angeles")}
	const uStaff2 = "USTAFF002"
	f.c = &engagement.Community{ID: "acme", Channel: "C05R8T2KLMN", Location: f.loc, Cap: 100, Staff: []string{uStaff, uStaff2}}
	f.asOf = f.day(48, 0, 9, 0)
	s, _ := MustOpenStore(t, engagement.Options{Now: func() time.Time { return f.asOf }})
	c := f.c
	q1, q2, q3, q4 := f.day(47, 0, 10, 0), f.day(47, 1, 10, 0), f.day(47, 2, 9, 0), f.day(47, 6, 20, 0)
	q5, q6, q7 := f.day(47, 3, 15, 0), f.day(47, 4, 9, 0), f.day(47, 4, 11, 0)
	late := reply(c, f.id(), uStaff, q3.Add(20*time.Minute), q3, uC)
	for _, e := range []engagement.Event{
		post(c, f.id(), uA, q1), post(c, f.id(), uB, q2), post(c, f.id(), uC, q3), post(c, f.id(), uD, q4),
		post(c, f.id(), uA, q5), post(c, f.id(), uStaff, q6), post(c, f.id(), uB, q7),
		reply(c, f.id(), uB, q1.Add(5*time.Minute), q1, uA),      // q1: first answer 300 s, by a member
		reply(c, f.id(), uStaff, q1.Add(2*time.Hour), q1, uA),    // q1: staff 7200 s
		react(c, f.id(), uStaff, q2.Add(10*time.Minute), q2, uB), // q2: first answer 600 s; a reaction is not a staff reply
		reply(c, f.id(), uStaff2, q2.Add(30*time.Hour), q2, uB),  // q2: staff 108000 s, too late
		reply(c, f.id(), uStaff2, q3.Add(3*time.Hour), q3, uC),   // q3: a later staff reply arrives first...
		late, late, // ...then the earlier one, twice: staff 1200 s
		reply(c, f.id(), uStaff, q4.Add(time.Hour), q4, uD),          // q4: staff 3600 s, not 24 h old yet
		reply(c, f.id(), uStaff2, q6.Add(5*time.Minute), q6, uStaff), // staff's own post: not counted
		reply(c, f.id(), uB, q7.Add(time.Minute), q7, uB),            // own thread: no answer
		react(c, f.id(), uC, q7.Add(time.Hour), q7, uB),              // q7: first answer 3600 s; staff never
	} {
		mustRecord(t, s, e)
	}
	got, err := s.KPIs(context.Background(), c, engagement.Week{Year: 2026, Num: 47}, engagement.KPIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Customers' posts q1-q5 and q7; ripe (24 h old): all but q4.
	// Staff replies: 1200, 3600, 7200, 108000 s: median 5400; within 24 h
	// and ripe: q1, q3 of 5. Any answer: 300, 600, 1200, 3600 (q4), 3600
	// (q7): median 1200; ripe and in time: q1, q2, q3, q7 of 5. Waiting: q5.
	type figures struct {
		Posts                  int
		Median, Rate           float64
		StaffMedian, StaffRate float64
		Waiting                []string
	}
	var waiting []string
	for _, u := range got.Unanswered {
		waiting = append(waiting, u.TS)
	}
	want := figures{6, 1200, 4.0 / 5, 5400, 2.0 / 5, []string{tsAt(q5)}}
	have := figures{got.TopLevelPosts, got.ResponseTimeMedianSeconds, got.ResponseRate24h, got.StaffResponseTimeMedianSeconds, got.StaffResponseRate24h, waiting}
	if diff := cmp.Diff(want, have, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("response figures (-want +got):\n%s", diff)
	}
}

// TestKPIsAnswersUnreadable: when the answers of the week's posts cannot be
// read (here the key holds the wrong type; in production, a scrape's
// deadline running out between the two reads), KPIs returns the error
// instead of panicking, which took the whole /metrics page down with it.
func TestKPIsAnswersUnreadable(t *testing.T) {
	t.Parallel()
	s, rdb := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	post := msg(c, "Ev1", "UALICE001", at, false)
	post.TS = engagement.FormatTS(at)
	mustRecord(t, s, post)
	ctx := context.Background()
	if err := rdb.Set(ctx, rdb.ns+":{acme}:w:2026-W47:answers", "not a hash", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.KPIs(ctx, c, engagement.Week{Year: 2026, Num: 47}, engagement.KPIOptions{}); err == nil {
		t.Error("KPIs = nil error with unreadable answers, want the error")
	}
}
