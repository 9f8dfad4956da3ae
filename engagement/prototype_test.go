package engagement_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/google/go-cmp/cmp"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func slackTS(t time.Time) string { return engagement.FormatTS(t) }

var protoEvSeq atomic.Int64

func evID() string { return fmt.Sprintf("EvP%08d", protoEvSeq.Add(1)) }

func testSpec() engagement.PrototypeSpec {
	return engagement.PrototypeSpec{
		Name: "Cloud Paint 2.0", Description: "Layers and brushes", Question: "Would you use it?",
		Reactions: engagement.DefaultReactions, OpenFor: engagement.DefaultOpenFor, Author: "U0STAFF0001",
	}
}

// protoFixture is a store with a clock and one posted prototype.
type protoFixture struct {
	s     *engagement.Store
	r     *testRedis
	clk   *clock
	c     *engagement.Community
	p     *engagement.Prototype
	later time.Time // a moment while the prototype is open
}

func newProtoFixture(t *testing.T, spec engagement.PrototypeSpec) *protoFixture {
	t.Helper()
	clk := &clock{t: at}
	s, r := MustOpenStore(t, engagement.Options{Now: clk.Now})
	c := testCommunity(t, "UTC")
	c.Staff = []string{"U0STAFF0001"}
	p, err := s.CreatePrototype(context.Background(), c, spec, time.Time{}, c.Channel, slackTS(at.Add(-time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	r.seat(t, c, seatedMembers...)
	return &protoFixture{s: s, r: r, clk: clk, c: c, p: p, later: at.Add(time.Hour)}
}

// seatedMembers hold a seat in every prototype fixture's community.
var seatedMembers = []string{"UALICE001", "UBOB00001", "UCAROL001", "UDAVE0001", "UOPTOUT01", "UOPT00001", "UFILL0001", "UEXACT001"}

func (f *protoFixture) react(kind engagement.Kind, user, emoji string, t time.Time) engagement.Event {
	return reaction(f.c, evID(), kind, user, f.p.TS, emoji, t)
}

func (f *protoFixture) reply(user string, t time.Time) engagement.Event {
	return engagement.Event{ID: evID(), Community: f.c, Kind: engagement.KindMessage, User: user, At: t,
		Reply: true, TS: slackTS(t), ThreadTS: f.p.TS}
}

func (f *protoFixture) results(t *testing.T, seated int) *engagement.PrototypeResults {
	t.Helper()
	r, err := f.s.PrototypeResultsByID(context.Background(), f.c, f.p.ID, seated)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPrototypeSpecValidation(t *testing.T) {
	t.Parallel()
	ok := testSpec()
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid spec: %v", err)
	}
	tests := []struct {
		field  string
		mutate func(*engagement.PrototypeSpec)
	}{
		{engagement.FieldName, func(p *engagement.PrototypeSpec) { p.Name = "  " }},
		{engagement.FieldQuestion, func(p *engagement.PrototypeSpec) { p.Question = "" }},
		{engagement.FieldImageURL, func(p *engagement.PrototypeSpec) { p.ImageURL = "not a url" }},
		{engagement.FieldImageURL, func(p *engagement.PrototypeSpec) { p.ImageURL = "http://example.com/a.png" }},
		{engagement.FieldLink, func(p *engagement.PrototypeSpec) { p.Link = "ftp://example.com" }},
		{engagement.FieldReactions, func(p *engagement.PrototypeSpec) { p.Reactions = nil }},
		{engagement.FieldReactions, func(p *engagement.PrototypeSpec) { p.Reactions = []engagement.ReactionWeight{{"+1", 2}} }},
		{engagement.FieldReactions, func(p *engagement.PrototypeSpec) { p.Reactions = []engagement.ReactionWeight{{"no spaces", 0}} }},
		// issue 11 A5: NaN passed the range check and broke the JSON outputs
		{engagement.FieldReactions, func(p *engagement.PrototypeSpec) { p.Reactions = []engagement.ReactionWeight{{"+1", math.NaN()}} }},
		{engagement.FieldReactions, func(p *engagement.PrototypeSpec) { p.Reactions = []engagement.ReactionWeight{{"+1", math.Inf(-1)}} }},
		{engagement.FieldOptions, func(p *engagement.PrototypeSpec) { p.Options = []string{"only one"} }},
		{engagement.FieldOptions, func(p *engagement.PrototypeSpec) { p.Options = []string{"a", "A"} }},
		{engagement.FieldOpenFor, func(p *engagement.PrototypeSpec) { p.OpenFor = 31 * 24 * time.Hour }},
	}
	for _, tt := range tests {
		spec := testSpec()
		tt.mutate(&spec)
		err := spec.Validate()
		var se engagement.SpecErrors
		if !errors.As(err, &se) || se[tt.field] == "" || !errors.Is(err, engagement.ErrInvalid) {
			t.Errorf("%s: Validate = %v, want an error on %s", tt.field, err, tt.field)
		}
	}
	rs, err := engagement.ParseReactions(":heart_eyes:=1, +1=0.5\nthinking_face, -1=-1")
	want := []engagement.ReactionWeight{{"heart_eyes", 1}, {"+1", 0.5}, {"thinking_face", 0}, {"-1", -1}}
	if err != nil || !cmp.Equal(rs, want) {
		t.Errorf("ParseReactions = %v, %v; want %v", rs, err, want)
	}
	for _, bad := range []string{"+1=lots", "+1=NaN", "+1=nan", "+1=Inf", "+1=-infinity"} {
		if _, err := engagement.ParseReactions(bad); err == nil {
			t.Errorf("ParseReactions(%q) accepted a weight that is not a finite number", bad)
		}
	}
	if got := engagement.FormatReactions(want); got != "heart_eyes=1, +1=0.5, thinking_face=0, -1=-1" {
		t.Errorf("FormatReactions = %q", got)
	}
}

func TestCreatePrototypeOnceAndNotLate(t *testing.T) {
	t.Parallel()
	f := newProtoFixture(t, testSpec())
	ctx := context.Background()
	if f.p.ID != "P1" || f.p.Status != engagement.StatusOpen || !f.p.ClosesAt.Equal(at.Add(7*24*time.Hour)) {
		t.Errorf("created %+v", f.p)
	}
	again, err := f.s.CreatePrototype(ctx, f.c, testSpec(), time.Time{}, f.c.Channel, f.p.TS)
	if err != nil || again.ID != "P1" {
		t.Errorf("recording the same card again: %v, %v; want P1", again, err)
	}
	if _, err := f.s.CreatePrototype(ctx, f.c, testSpec(), time.Time{}, f.c.Channel, slackTS(at.Add(-2*time.Minute))); !errors.Is(err, engagement.ErrInvalid) {
		t.Errorf("card posted two minutes ago: %v, want ErrInvalid", err)
	}
	bad := testSpec()
	bad.Name = ""
	if _, err := f.s.CreatePrototype(ctx, f.c, bad, time.Time{}, f.c.Channel, slackTS(at)); !errors.Is(err, engagement.ErrInvalid) {
		t.Errorf("bad spec: %v, want ErrInvalid", err)
	}
	if _, err := f.s.PrototypeByID(ctx, f.c, "p1"); err != nil {
		t.Errorf("lower-case ID: %v", err)
	}
	if _, err := f.s.PrototypeByID(ctx, f.c, "P9"); !errors.Is(err, engagement.ErrNoPrototype) {
		t.Errorf("unknown ID: %v", err)
	}
}

func TestPrototypeReactionTallies(t *testing.T) {
	t.Parallel()
	f := newProtoFixture(t, testSpec())
	add, rm := engagement.KindReactionAdded, engagement.KindReactionRemoved
	t0 := f.later
	first := f.react(add, "UALICE001", "heart_eyes", t0)
	mustRecord(t, f.s,
		first,
		f.react(add, "UALICE001", "+1", t0.Add(time.Second)),
		f.react(add, "UBOB00001", "+1::skin-tone-3", t0.Add(2*time.Second)), // a skin tone is the same opinion
		f.react(add, "UCAROL001", "-1", t0.Add(3*time.Second)),
		f.react(add, "U0STAFF0001", "heart_eyes", t0.Add(4*time.Second)), // staff are not feedback
		f.react(add, "UDAVE0001", "tada", t0.Add(5*time.Second)),         // outside the set: tallied, no weight
	)
	// Carol changes her mind: removes 👎, adds it back, removes it again.
	mustRecord(t, f.s, f.react(rm, "UCAROL001", "-1", t0.Add(10*time.Second)))
	mustRecord(t, f.s, f.react(add, "UCAROL001", "-1", t0.Add(11*time.Second)))
	mustRecord(t, f.s, f.react(rm, "UCAROL001", "-1", t0.Add(12*time.Second)))
	// Bob re-adds after removing.
	mustRecord(t, f.s, f.react(rm, "UBOB00001", "+1", t0.Add(13*time.Second)), f.react(add, "UBOB00001", "+1", t0.Add(14*time.Second)))
	// A redelivery of Alice's first reaction changes nothing.
	if got := mustRecord(t, f.s, first); got[0] != engagement.Duplicate {
		t.Errorf("redelivery: %v", got[0])
	}

	r := f.results(t, 20)
	want := engagement.PrototypeSummary{
		ID: "P1", Name: "Cloud Paint 2.0", Channel: f.c.Channel, TS: f.p.TS, Status: "open", ClosesAt: f.p.ClosesAt,
		Reactions:    map[string]int64{"heart_eyes": 1, "+1": 2, "tada": 1},
		Participants: 3, // Alice, Bob, Dave; Carol took hers back
		Yield:        0.15,
		// (1*1 + 0.5*2) / 3 reactions in the set
		Sentiment: 0.667,
	}
	if diff := cmp.Diff(want, r.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func TestPrototypeReactionRemovalBeforeAdd(t *testing.T) {
	t.Parallel()
	f := newProtoFixture(t, testSpec())
	add := f.react(engagement.KindReactionAdded, "UALICE001", "heart_eyes", f.later)
	rm := f.react(engagement.KindReactionRemoved, "UALICE001", "heart_eyes", f.later.Add(time.Second))
	// Two workers recorded them out of order.
	mustRecord(t, f.s, rm)
	mustRecord(t, f.s, add)
	if r := f.results(t, 0); len(r.Summary.Reactions) != 0 || r.Summary.Participants != 0 {
		t.Errorf("after an add and its removal recorded in reverse: %+v", r.Summary)
	}
}

func TestPrototypeComments(t *testing.T) {
	t.Parallel()
	f := newProtoFixture(t, testSpec())
	a := f.reply("UALICE001", f.later)
	mustRecord(t, f.s, a, f.reply("UALICE001", f.later.Add(time.Minute)), f.reply("UBOB00001", f.later.Add(2*time.Minute)),
		f.reply("U0STAFF0001", f.later.Add(3*time.Minute)), // the team answering is not feedback
		f.react(engagement.KindReactionAdded, "UBOB00001", "+1", f.later))
	mustRecord(t, f.s, a) // redelivered
	s := f.results(t, 0).Summary
	if s.Comments != 3 || s.Commenters != 2 || s.Participants != 2 {
		t.Errorf("comments %d, commenters %d, participants %d; want 3, 2, 2", s.Comments, s.Commenters, s.Participants)
	}
	// A reply to some other thread is not a comment.
	other := engagement.Event{ID: evID(), Community: f.c, Kind: engagement.KindMessage, User: "UCAROL001", At: f.later,
		Reply: true, TS: slackTS(f.later), ThreadTS: slackTS(at.Add(-time.Hour))}
	mustRecord(t, f.s, other)
	if got := f.results(t, 0).Summary.Comments; got != 3 {
		t.Errorf("comments after an unrelated reply: %d", got)
	}
}

func TestPrototypeOptedOutCountOnlyInTotals(t *testing.T) {
	t.Parallel()
	f := newProtoFixture(t, testSpec())
	ctx := context.Background()
	f.r.SAdd(ctx, f.r.ns+":{acme}:optout", "UOPTOUT01")
	mustRecord(t, f.s,
		f.react(engagement.KindReactionAdded, "UOPTOUT01", "heart_eyes", f.later),
		f.react(engagement.KindReactionAdded, "UALICE001", "heart_eyes", f.later),
		f.reply("UOPTOUT01", f.later))
	s := f.results(t, 0).Summary
	// Opted-out members are participants too (counted by pseudonym), never named.
	if s.Reactions["heart_eyes"] != 2 || s.Comments != 1 || s.Commenters != 0 || s.Participants != 2 {
		t.Errorf("with an opted-out member: %+v", s)
	}
	_, rows, err := f.s.ExportPrototype(ctx, f.c, f.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []engagement.ExportRow{
		{User: "UALICE001", Kind: "reaction", Value: "heart_eyes", Count: 1},
		{User: engagement.OptedOutUser, Kind: "reaction", Value: "heart_eyes", Count: 1},
		{User: engagement.OptedOutUser, Kind: "comments", Count: 1},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("export (-want +got):\n%s", diff)
	}
	for _, k := range f.r.keys(t, "{acme}:p:*") { // the weekly counters are the roster's business
		if v, _ := f.r.Type(ctx, k).Result(); v == "hash" {
			h, _ := f.r.HGetAll(ctx, k).Result()
			for field := range h {
				if strings.Contains(field, "UOPTOUT01") {
					t.Errorf("per-person record of an opted-out member: %s field %s", k, field)
				}
			}
		}
		if v, _ := f.r.Type(ctx, k).Result(); v == "set" && k != f.r.ns+":{acme}:optout" {
			if ok, _ := f.r.SIsMember(ctx, k, "UOPTOUT01").Result(); ok {
				t.Errorf("per-person record of an opted-out member in set %s", k)
			}
		}
	}
	// Their removal takes the anonymous count back off.
	mustRecord(t, f.s, f.react(engagement.KindReactionRemoved, "UOPTOUT01", "heart_eyes", f.later.Add(time.Minute)))
	if got := f.results(t, 0).Summary.Reactions["heart_eyes"]; got != 1 {
		t.Errorf("after the opted-out member's removal: %d", got)
	}
}

func TestPrototypeCloseOnceAndLateFeedback(t *testing.T) {
	t.Parallel()
	f := newProtoFixture(t, testSpec())
	ctx := context.Background()
	mustRecord(t, f.s, f.react(engagement.KindReactionAdded, "UALICE001", "heart_eyes", f.later))
	if closed, err := f.s.CloseDue(ctx, f.c); err != nil || len(closed) != 0 {
		t.Fatalf("CloseDue before the deadline: %v, %v", closed, err)
	}
	f.clk.Add(7*24*time.Hour + time.Second)
	// Eight callers race (replicas, retries): exactly one closes it.
	var wg sync.WaitGroup
	var wins atomic.Int64
	for range 8 {
		wg.Go(func() {
			closed, err := f.s.CloseDue(ctx, f.c)
			if err != nil {
				t.Error(err)
			}
			wins.Add(int64(len(closed)))
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d callers closed it, want exactly 1", wins.Load())
	}
	// Feedback after the deadline is late: kept apart, not counted.
	late := f.p.ClosesAt.Add(time.Minute)
	mustRecord(t, f.s,
		f.react(engagement.KindReactionAdded, "UBOB00001", "heart_eyes", late),
		f.react(engagement.KindReactionRemoved, "UALICE001", "heart_eyes", late),
		f.reply("UBOB00001", late))
	r := f.results(t, 0)
	if r.Status != engagement.StatusClosed || r.Summary.Reactions["heart_eyes"] != 1 || r.Summary.Comments != 0 ||
		r.LateReactions != 2 || r.LateComments != 1 {
		t.Errorf("after closing: status %s, %+v, late %d reactions %d comments", r.Status, r.Summary, r.LateReactions, r.LateComments)
	}
	// Announcements: claimed by one holder at a time, done once.
	a1, err := f.s.ClaimAnnouncements(ctx, f.c, "replica-1", time.Minute)
	if err != nil || len(a1) != 1 || a1[0].TS != f.p.TS {
		t.Fatalf("claim: %v, %v", a1, err)
	}
	if a2, _ := f.s.ClaimAnnouncements(ctx, f.c, "replica-2", time.Minute); len(a2) != 0 {
		t.Errorf("second claimant got %v", a2)
	}
	if err := f.s.MarkCardUpdated(ctx, f.c, f.p.TS); err != nil {
		t.Fatal(err)
	}
	if err := f.s.ReleaseAnnouncement(ctx, f.c, f.p.TS); err != nil {
		t.Fatal(err)
	}
	a3, _ := f.s.ClaimAnnouncements(ctx, f.c, "replica-2", time.Minute)
	if len(a3) != 1 || !a3[0].CardUpdated || a3[0].SummaryTS != "" {
		t.Errorf("after a half-done announcement: %+v", a3)
	}
	f.s.MarkSummaryPosted(ctx, f.c, f.p.TS, "1.2")
	if err := f.s.FinishAnnouncement(ctx, f.c, f.p.TS); err != nil {
		t.Fatal(err)
	}
	// Its keys now expire a retention after closing, like a week's.
	for _, key := range []string{f.r.ns + ":{acme}:p:" + f.p.TS, f.r.ns + ":{acme}:p:" + f.p.TS + ":rx:heart_eyes", f.r.ns + ":{acme}:p:" + f.p.TS + ":part"} {
		ttl, err := f.r.ExpireTime(ctx, key).Result()
		if err != nil || ttl <= 0 {
			t.Errorf("%s: expire time %v, %v; want one set", key, ttl, err)
		}
	}
	if a4, _ := f.s.ClaimAnnouncements(ctx, f.c, "replica-1", time.Minute); len(a4) != 0 {
		t.Errorf("finished announcement claimed again: %v", a4)
	}
	if _, closed, err := f.s.ClosePrototype(ctx, f.c, f.p.ID); err != nil || closed {
		t.Errorf("closing a closed prototype: %v, %v", closed, err)
	}
	if _, err := f.s.ExtendPrototype(ctx, f.c, f.p.ID, time.Hour); !errors.Is(err, engagement.ErrPrototypeClosed) {
		t.Errorf("extending a closed prototype: %v", err)
	}
}

func TestPrototypeCloseEarlyAndExtend(t *testing.T) {
	t.Parallel()
	f := newProtoFixture(t, testSpec())
	ctx := context.Background()
	p, err := f.s.ExtendPrototype(ctx, f.c, f.p.ID, 3*24*time.Hour)
	if err != nil || !p.ClosesAt.Equal(f.p.ClosesAt.Add(3*24*time.Hour)) {
		t.Fatalf("extend: %v, %v", p, err)
	}
	if _, err := f.s.ExtendPrototype(ctx, f.c, f.p.ID, 30*24*time.Hour); !errors.Is(err, engagement.ErrInvalid) {
		t.Errorf("extending beyond 30 days: %v", err)
	}
	if n, _ := f.s.OpenPrototypes(ctx, f.c); n != 1 {
		t.Errorf("open prototypes: %d", n)
	}
	f.clk.Add(time.Hour)
	p, closed, err := f.s.ClosePrototype(ctx, f.c, f.p.ID)
	if err != nil || !closed || p.Status != engagement.StatusClosed || !p.ClosesAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("close early: %+v, %v, %v", p, closed, err)
	}
	if n, _ := f.s.OpenPrototypes(ctx, f.c); n != 0 {
		t.Errorf("open prototypes after closing: %d", n)
	}
	// A reaction from before the early close, delivered after it, is late.
	mustRecord(t, f.s, f.react(engagement.KindReactionAdded, "UALICE001", "+1", at.Add(2*time.Hour)))
	if r := f.results(t, 0); r.LateReactions != 1 || len(r.Summary.Reactions) != 0 {
		t.Errorf("after an early close: %+v late %d", r.Summary, r.LateReactions)
	}
}

func TestPollVotes(t *testing.T) {
	t.Parallel()
	spec := testSpec()
	spec.Reactions = nil
	spec.Options = []string{"Blue", "Green", "Red"}
	spec.HideResults = true
	f := newProtoFixture(t, spec)
	ctx := context.Background()
	f.r.SAdd(ctx, f.r.ns+":{acme}:optout", "UOPTOUT01")
	vote := func(user string, option int) engagement.VoteResult {
		t.Helper()
		v, err := f.s.Vote(ctx, f.c, f.p.TS, user, option)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := vote("UALICE001", 1); !v.Recorded || v.Previous != 0 {
		t.Errorf("first vote: %+v", v)
	}
	if v := vote("UALICE001", 2); !v.Recorded || v.Previous != 1 {
		t.Errorf("changed vote: %+v", v)
	}
	if v := vote("UALICE001", 2); v.Recorded {
		t.Errorf("same vote again: %+v", v)
	}
	vote("UBOB00001", 2)
	vote("UOPTOUT01", 3)
	vote("UOPTOUT01", 1) // changeable for opted-out members too
	if _, err := f.s.Vote(ctx, f.c, f.p.TS, "UBOB00001", 4); !errors.Is(err, engagement.ErrInvalid) {
		t.Errorf("vote for option 4 of 3: %v", err)
	}
	s := f.results(t, 10).Summary
	if diff := cmp.Diff(map[string]int64{"Blue": 1, "Green": 2, "Red": 0}, s.Votes); diff != "" || s.Participants != 3 || s.Yield != 0.3 {
		t.Errorf("votes (-want +got):\n%s participants %d yield %v", diff, s.Participants, s.Yield)
	}
	_, rows, err := f.s.ExportPrototype(ctx, f.c, f.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []engagement.ExportRow{
		{User: "UALICE001", Kind: "vote", Value: "Green", Count: 1},
		{User: "UBOB00001", Kind: "vote", Value: "Green", Count: 1},
		{User: engagement.OptedOutUser, Kind: "vote", Value: "Blue", Count: 1},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("export (-want +got):\n%s", diff)
	}
	f.clk.Add(8 * 24 * time.Hour)
	if v := vote("UCAROL001", 1); !v.Late {
		t.Errorf("vote after the deadline: %+v", v)
	}
	if r := f.results(t, 0); r.LateVotes != 1 || r.Summary.Votes["Blue"] != 1 {
		t.Errorf("late vote counted: %+v late %d", r.Summary.Votes, r.LateVotes)
	}
}

// TestPrototypeIndexAcrossReplicas: a replica whose card index was loaded
// before another replica posted a prototype still counts feedback on it;
// feedback on ordinary old messages skips the script entirely.
func TestPrototypeIndexAcrossReplicas(t *testing.T) {
	t.Parallel()
	clk := &clock{t: at}
	s1, r := MustOpenStore(t, engagement.Options{Now: clk.Now})
	c := testCommunity(t, "UTC")
	r.seat(t, c, seatedMembers...)
	ctx := context.Background()
	// Replica 1 loads its (empty) index by recording a reaction.
	old := slackTS(at.Add(-time.Hour))
	mustRecord(t, s1, reaction(c, "EvOLD00001", engagement.KindReactionAdded, "UALICE001", old, "+1", at))
	if keys := r.keys(t, "*:ev:EvOLD00001:proto"); len(keys) != 0 {
		t.Errorf("a reaction on an old ordinary message ran the prototype script: %v", keys)
	}
	// Replica 2 (same Redis and namespace) posts a prototype.
	s2 := engagement.NewStore(r.UniversalClient, engagement.Options{Namespace: r.ns, Now: clk.Now})
	clk.Add(10 * time.Second)
	p, err := s2.CreatePrototype(ctx, c, testSpec(), time.Time{}, c.Channel, slackTS(clk.Now()))
	if err != nil {
		t.Fatal(err)
	}
	// Replica 1's index is fresh (loaded 10 s ago) and does not hold the card.
	clk.Add(time.Second)
	mustRecord(t, s1, reaction(c, evID(), engagement.KindReactionAdded, "UBOB00001", p.TS, "heart_eyes", clk.Now()))
	// Much later, after many refreshes, still counted.
	clk.Add(time.Hour)
	mustRecord(t, s1, reaction(c, evID(), engagement.KindReactionAdded, "UCAROL001", p.TS, "heart_eyes", clk.Now()))
	res, err := s2.PrototypeResultsByID(ctx, c, p.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Reactions["heart_eyes"] != 2 {
		t.Errorf("reactions seen through replica 1: %v, want heart_eyes 2", res.Summary.Reactions)
	}
}

func TestPrototypesList(t *testing.T) {
	t.Parallel()
	f := newProtoFixture(t, testSpec())
	ctx := context.Background()
	f.clk.Add(time.Minute)
	spec := testSpec()
	spec.Name = "Second"
	if _, err := f.s.CreatePrototype(ctx, f.c, spec, time.Time{}, f.c.Channel, slackTS(f.clk.Now())); err != nil {
		t.Fatal(err)
	}
	list, err := f.s.Prototypes(ctx, f.c)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "P2" || list[1].ID != "P1" || list[0].Reactions == nil {
		t.Errorf("Prototypes = %+v, want P2 then P1", list)
	}
}

// TestPrototypeYieldAndForget: yield is participants over the roster's
// seats, and forget finds every per-person prototype record.
func TestPrototypeYieldAndForget(t *testing.T) {
	t.Parallel()
	spec := testSpec()
	f := newProtoFixture(t, spec)
	ctx := context.Background()
	for _, u := range []string{"UALICE001", "UBOB00001", "UCAROL001", "UDAVE0001"} {
		if _, _, err := f.s.Invite(ctx, f.c, u, at); err != nil {
			t.Fatal(err)
		}
	}
	mustRecord(t, f.s,
		f.react(engagement.KindReactionAdded, "UALICE001", "heart_eyes", f.later),
		f.react(engagement.KindReactionRemoved, "UALICE001", "+1", f.later), // a tombstone record
		f.reply("UALICE001", f.later),
		f.react(engagement.KindReactionAdded, "UBOB00001", "+1", f.later))
	list, err := f.s.Prototypes(ctx, f.c)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Yield != 0.25 || list[0].Participants != 2 {
		t.Fatalf("Prototypes = %+v, want yield 0.25 (2 of the fixture's 8 seated)", list)
	}
	if _, err := f.s.Forget(ctx, f.c, "UALICE001"); err != nil {
		t.Fatal(err)
	}
	recs, err := f.s.Personal(ctx, f.c, "UALICE001")
	if err != nil || len(recs) != 0 {
		t.Errorf("after forget, records of UALICE001: %v, %v", recs, err)
	}
	_, rows, err := f.s.ExportPrototype(ctx, f.c, f.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.User == "UALICE001" {
			t.Errorf("forgotten member still exported: %+v", r)
		}
	}
	// Her participation stays under her pseudonym (she still reacts in
	// Slack, and a later removal must find it); nothing names her.
	if s := f.results(t, 0).Summary; s.Participants != 2 || s.Commenters != 0 || s.Comments != 1 {
		t.Errorf("after forget: %+v (totals keep her reply, per-person figures lose her)", s)
	}
}
