package engagement_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
)

// Issue 11: feedback that no member action can move, and privacy commands
// that do exactly what they say.

func mustOptOut(t *testing.T, s *engagement.Store, c *engagement.Community, user string, out bool) {
	t.Helper()
	if err := s.SetOptOut(context.Background(), c, user, out); err != nil {
		t.Fatal(err)
	}
}

// A1: optout -> react -> optin -> un-react, five times, leaves nothing on
// the card or in the week (old main: the card at 5 and the week at 5).
func TestOptoutTogglesNeverInflate(t *testing.T) {
	t.Parallel()
	f := newProtoFixture(t, testSpec())
	const u = "UALICE001"
	when := f.later
	for range 5 {
		mustOptOut(t, f.s, f.c, u, true)
		mustRecord(t, f.s, f.react(engagement.KindReactionAdded, u, "-1", when))
		mustOptOut(t, f.s, f.c, u, false)
		mustRecord(t, f.s, f.react(engagement.KindReactionRemoved, u, "-1", when.Add(time.Second)))
		when = when.Add(time.Minute)
	}
	if s := f.results(t, 0).Summary; s.Reactions["-1"] != 0 {
		t.Errorf("card after 5 optout-react-optin-unreact cycles: %v, want no -1", s.Reactions)
	}
	// and the other way round: react opted in, opt out, un-react
	for range 3 {
		mustRecord(t, f.s, f.react(engagement.KindReactionAdded, u, "-1", when))
		mustOptOut(t, f.s, f.c, u, true)
		mustRecord(t, f.s, f.react(engagement.KindReactionRemoved, u, "-1", when.Add(time.Second)))
		mustOptOut(t, f.s, f.c, u, false)
		when = when.Add(time.Minute)
	}
	if s := f.results(t, 0).Summary; s.Reactions["-1"] != 0 || s.Participants != 0 {
		t.Errorf("card after toggling with no reaction left in Slack: %+v", s)
	}
	r := mustReport(t, f.s, f.c, "2026-W47")
	if r.Reactions != 0 {
		t.Errorf("week's reactions after toggling: %d, want 0", r.Reactions)
	}
	for _, m := range r.Members {
		if m.User == u && m.Reactions != 0 {
			t.Errorf("%s's own reactions after toggling: %d, want 0", u, m.Reactions)
		}
	}
}

// A1: forget -> un-react -> react does not add to the week's total (old
// main: forget deleted the reaction marker, so the removal found nothing
// and the new add counted again).
func TestForgetTogglesNeverInflate(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	ctx := context.Background()
	const u = "UALICE001"
	mustRecord(t, s, reaction(c, "EvG0", engagement.KindReactionAdded, u, "1.1", "tada", at))
	when := at
	for i := range 3 {
		if _, err := s.Forget(ctx, c, u); err != nil {
			t.Fatal(err)
		}
		id := "EvG" + string(rune('a'+i))
		mustRecord(t, s, reaction(c, id+"1", engagement.KindReactionRemoved, u, "1.1", "tada", when.Add(time.Second)))
		mustRecord(t, s, reaction(c, id+"2", engagement.KindReactionAdded, u, "1.1", "tada", when.Add(2*time.Second)))
		when = when.Add(time.Minute)
	}
	if r := mustReport(t, s, c, "2026-W47"); r.Reactions != 1 {
		t.Errorf("week's reactions after 3 forget cycles: %d, want 1 (one reaction in Slack)", r.Reactions)
	}
}

// A2: one vote per member per poll, whatever they toggle (old main:
// vote -> optout -> vote counted 2).
func TestVoteOncePerMemberAcrossOptout(t *testing.T) {
	t.Parallel()
	spec := testSpec()
	spec.Reactions, spec.Options = nil, []string{"Red", "Green", "Blue"}
	f := newProtoFixture(t, spec)
	ctx := context.Background()
	const u = "UALICE001"
	for i, out := range []bool{false, true, false, true} {
		mustOptOut(t, f.s, f.c, u, out)
		if _, err := f.s.Vote(ctx, f.c, f.p.TS, u, 1+i%2); err != nil {
			t.Fatal(err)
		}
	}
	s := f.results(t, 0).Summary
	if total := s.Votes["Red"] + s.Votes["Green"] + s.Votes["Blue"]; total != 1 || s.Votes["Green"] != 1 || s.Participants != 1 {
		t.Errorf("votes after toggling: %v, participants %d; want one vote for Green", s.Votes, s.Participants)
	}
}

// A3: only members holding a seat count on cards and polls; the rest are
// ignored and reported (old main: waitlisted and never-joined users'
// feedback counted, yield above 100%).
func TestOnlySeatedMembersCount(t *testing.T) {
	t.Parallel()
	f := newProtoFixture(t, testSpec())
	var mu sync.Mutex
	kinds := map[string]int{}
	f.s.SetFeedbackObserver(func(_, kind string) { mu.Lock(); kinds[kind]++; mu.Unlock() })
	const outsider = "UOUTSIDE1" // never joined, or waitlisted: no seat
	mustRecord(t, f.s,
		f.react(engagement.KindReactionAdded, outsider, "heart_eyes", f.later),
		f.react(engagement.KindReactionAdded, outsider, "+1", f.later),
		f.reply(outsider, f.later),
		f.react(engagement.KindReactionAdded, "UBOB00001", "+1", f.later))
	s := f.results(t, 1).Summary
	if s.Reactions["heart_eyes"] != 0 || s.Reactions["+1"] != 1 || s.Comments != 0 || s.Participants != 1 || s.Yield != 1 {
		t.Errorf("with an outsider's feedback: %+v; want only Bob's +1", s)
	}
	spec := testSpec()
	spec.Reactions, spec.Options, spec.Name = nil, []string{"Red", "Green"}, "Poll"
	ctx := context.Background()
	p, err := f.s.CreatePrototype(ctx, f.c, spec, time.Time{}, f.c.Channel, slackTS(f.clk.Now()))
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.s.Vote(ctx, f.c, p.TS, outsider, 1)
	if err != nil || !v.NotSeated || v.Recorded {
		t.Errorf("outsider's vote: %+v, %v; want not seated", v, err)
	}
	r, err := f.s.PrototypeResultsByTS(ctx, f.c, p.TS, 0)
	if err != nil || r.Summary.Votes["Red"] != 0 {
		t.Errorf("poll after an outsider's vote: %+v, %v", r, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if kinds[engagement.FeedbackNotSeated] != 4 {
		t.Errorf("feedback observed %v; want 4 %s", kinds, engagement.FeedbackNotSeated)
	}
}

// B4: after optout, nothing new names the member: not the reaction
// markers (rx:), not the distinct-member sets, not the card (old main:
// rx:<user>:… keys and the active and posters sets held the ID).
func TestOptedOutNothingNewNamesThem(t *testing.T) {
	t.Parallel()
	f := newProtoFixture(t, testSpec())
	const u = "UOPTOUT01"
	mustOptOut(t, f.s, f.c, u, true)
	before := dumpAll(t, f.r)
	mustRecord(t, f.s,
		msg(f.c, "EvB1", u, f.later, false),
		msg(f.c, "EvB2", u, f.later, true),
		reaction(f.c, "EvB3", engagement.KindReactionAdded, u, "1.1", "tada", f.later),
		reaction(f.c, "EvB4", engagement.KindReactionRemoved, u, "1.2", "tada", f.later),
		f.react(engagement.KindReactionAdded, u, "heart_eyes", f.later),
		f.reply(u, f.later))
	after := dumpAll(t, f.r)
	if strings.Count(after, u) != strings.Count(before, u) {
		t.Errorf("records written after optout name %s:\n%s", u, after)
	}
	r := mustReport(t, f.s, f.c, "2026-W47")
	if r.Messages != 3 || r.Reactions != 2 || r.ActivePosters != 1 || r.ActiveParticipants != 1 {
		t.Errorf("totals of an opted-out member: %+v; want them counted, unnamed", r)
	}
}

// A6: forget deletes only records that hold the ID, never staff-written
// text that mentions the member (old main: the card lost its name and
// could no longer render). The whole namespace is dumped before and after.
func TestForgetKeepsStaffText(t *testing.T) {
	t.Parallel()
	spec := testSpec()
	const u = "UALICE001"
	spec.Name = "Idea from <@" + u + ">"
	spec.Description = "Suggested by " + u + " in the thread"
	f := newProtoFixture(t, spec)
	ctx := context.Background()
	mustRecord(t, f.s, f.react(engagement.KindReactionAdded, u, "heart_eyes", f.later), f.reply(u, f.later))
	if _, err := f.s.Forget(ctx, f.c, u); err != nil {
		t.Fatal(err)
	}
	p, err := f.s.PrototypeByID(ctx, f.c, f.p.ID)
	if err != nil || p.Name != spec.Name || p.Description != spec.Description {
		t.Fatalf("after forget: %+v, %v; want the staff's text intact", p, err)
	}
	// Every other mention of the ID is gone.
	dump := dumpAll(t, f.r)
	dump = strings.ReplaceAll(dump, spec.Name, "")
	dump = strings.ReplaceAll(dump, spec.Description, "")
	if holdsID(dump, u) {
		t.Errorf("after forget, Redis still holds %s:\n%s", u, dump)
	}
	if s := f.results(t, 0).Summary; s.Reactions["heart_eyes"] != 1 || s.Comments != 1 {
		t.Errorf("totals after forget: %+v", s)
	}
}

// A8: staff from the user group are never named in the KPIs (old main:
// only the listed staff were hidden).
func TestKPIsNeverNameGroupStaff(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{Now: func() time.Time { return at.Add(7 * 24 * time.Hour) }})
	c := testCommunity(t, "UTC")
	c.StaffGroup = "S0614TZR7"
	const staff, member = "UGROUP001", "UALICE001"
	c.SetGroupStaff([]string{staff})
	var evs []engagement.Event
	for i := range 6 { // active for weeks, then quiet: a lapsing candidate
		wk := at.Add(-time.Duration(i+2) * 7 * 24 * time.Hour)
		evs = append(evs, msg(c, "EvK"+string(rune('a'+i)), staff, wk, false))
	}
	evs = append(evs, msg(c, "EvKp", member, at, false), reply(c, "EvKr", staff, at.Add(time.Minute), at, member))
	for i := range 5 {
		evs = append(evs, msg(c, "EvKs"+string(rune('a'+i)), staff, at, false))
	}
	mustRecord(t, s, evs...)
	w, _ := engagement.ParseWeek("2026-W47")
	k, err := s.KPIs(context.Background(), c, w, engagement.KPIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range k.TopContributors {
		if tc.User == staff {
			t.Errorf("group staff named among top contributors: %+v", k.TopContributors)
		}
	}
	for _, u := range k.Unanswered {
		if u.User == staff {
			t.Errorf("group staff named among unanswered: %+v", k.Unanswered)
		}
	}
	w2, _ := engagement.ParseWeek("2026-W47")
	k2, err := s.KPIs(context.Background(), c, w2, engagement.KPIOptions{LapsingMinWeeks: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range k2.Lapsing {
		if l.User == staff {
			t.Errorf("group staff named as lapsing: %+v", k2.Lapsing)
		}
	}
}

// A4: reactions from bots, apps, workflows and Slackbot never count, not
// as reactions, participants or answers; a known bot joining takes no seat
// and is not a join (old main: all counted; Slackbot was seated).
func TestBotsNeverCount(t *testing.T) {
	t.Parallel()
	f := newProtoFixture(t, testSpec())
	ctx := context.Background()
	const bot = "UWORKFLOW1"
	if err := f.s.SetKind(ctx, f.c, bot, "bot"); err != nil {
		t.Fatal(err)
	}
	f.r.seat(t, f.c, bot) // even one that somehow holds a seat
	var evs []engagement.Event
	for i, u := range []string{bot, "USLACKBOT"} {
		id := "EvBot" + string(rune('a'+i))
		evs = append(evs,
			reaction(f.c, id+"1", engagement.KindReactionAdded, u, "1.1", "tada", f.later),
			f.react(engagement.KindReactionAdded, u, "heart_eyes", f.later),
			engagement.Event{ID: id + "3", Community: f.c, Kind: engagement.KindMemberJoined, User: u, At: f.later})
	}
	mustRecord(t, f.s, evs...)
	r := mustReport(t, f.s, f.c, "2026-W47")
	if r.Reactions != 0 || r.ActiveParticipants != 0 || r.Joins != 0 {
		t.Errorf("week after bots' reactions and joins: %d reactions, %d participants, %d joins; want none", r.Reactions, r.ActiveParticipants, r.Joins)
	}
	if s := f.results(t, 0).Summary; s.Reactions["heart_eyes"] != 0 || s.Participants != 0 {
		t.Errorf("card after bots' reactions: %+v", s)
	}
	roster, err := f.s.Roster(ctx, f.c)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range roster.Seated {
		if st.User == "USLACKBOT" {
			t.Errorf("Slackbot took a seat: %+v", roster.Seated)
		}
	}
}
