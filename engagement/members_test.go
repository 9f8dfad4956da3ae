package engagement_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/google/go-cmp/cmp"
)

func capped(tb testing.TB, n int, policy string) *engagement.Community {
	c := testCommunity(tb, "Europe/London")
	c.Cap, c.FullPolicy = n, policy
	c.Staff = []string{"USTAFF001"}
	c.Defaults()
	return c
}

var evSeq atomic.Int64

func join(c *engagement.Community, user string, t time.Time) engagement.Event {
	return engagement.Event{ID: fmt.Sprintf("EvJ%d%s", evSeq.Add(1), user), Community: c, Kind: engagement.KindMemberJoined, User: user, At: t}
}

func leave(c *engagement.Community, user string, t time.Time) engagement.Event {
	return engagement.Event{ID: fmt.Sprintf("EvL%d%s", evSeq.Add(1), user), Community: c, Kind: engagement.KindMemberLeft, User: user, At: t}
}

func user(i int) string { return fmt.Sprintf("UMEM%05d", i) }

func mustRoster(tb testing.TB, s *engagement.Store, c *engagement.Community) *engagement.Roster {
	tb.Helper()
	r, err := s.Roster(context.Background(), c)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func seated(r *engagement.Roster) []string  { return r.SeatedUsers() }
func waiting(r *engagement.Roster) []string { return r.WaitingUsers() }

// drainJobs takes every job from the outbox and returns "type:user" lines.
func drainJobs(tb testing.TB, s *engagement.Store, c *engagement.Community) []string {
	tb.Helper()
	ctx := context.Background()
	var out []string
	for {
		jobs, err := s.ClaimJobs(ctx, c, "test", 100, 0)
		if err != nil {
			tb.Fatal(err)
		}
		if len(jobs) == 0 {
			return out
		}
		for _, j := range jobs {
			line := j.Type + ":" + j.User
			if j.Position > 0 {
				line += fmt.Sprintf("@%d", j.Position)
			}
			out = append(out, line)
			if err := s.JobDone(ctx, c, j.ID); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

func TestSeatsAroundTheCap(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name            string
		joins           int
		seated, waiting int
	}{
		{"cap-1", 2, 2, 0},
		{"cap", 3, 3, 0},
		{"cap+1", 4, 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := MustOpenStore(t, engagement.Options{})
			c := capped(t, 3, engagement.PolicyRemove)
			for i := range tc.joins {
				mustRecord(t, s, join(c, user(i), at.Add(time.Duration(i)*time.Minute)))
			}
			r := mustRoster(t, s, c)
			if len(r.Seated) != tc.seated || len(r.Waitlist) != tc.waiting {
				t.Fatalf("seated %d, waiting %d; want %d, %d", len(r.Seated), len(r.Waitlist), tc.seated, tc.waiting)
			}
			jobs := drainJobs(t, s, c)
			want := []string{}
			for i := range tc.seated {
				want = append(want, "welcome:"+user(i))
			}
			if tc.waiting == 1 {
				want = append(want, "full:"+user(3)+"@1")
			}
			if diff := cmp.Diff(want, jobs, cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })); diff != "" && !(len(want) == 0 && len(jobs) == 0) {
				t.Errorf("outbox (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConcurrentJoinsNeverExceedTheCap(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := capped(t, 20, engagement.PolicyRemove)
	for i := range 10 { // 10 seats taken, 10 free
		mustRecord(t, s, join(c, user(1000+i), at))
	}
	events := make([]engagement.Event, 50)
	for i := range events {
		events[i] = join(c, user(i), at.Add(time.Second))
	}
	var wg sync.WaitGroup
	for i := range events {
		wg.Go(func() { mustRecord(t, s, events[i]) })
	}
	wg.Wait()
	r := mustRoster(t, s, c)
	if len(r.Seated) != 20 || len(r.Waitlist) != 40 {
		t.Fatalf("seated %d, waiting %d; want 20 and 40", len(r.Seated), len(r.Waitlist))
	}
	for i, w := range r.Waitlist {
		if w.Position != i+1 {
			t.Errorf("waitlist[%d] has position %d", i, w.Position)
		}
	}
}

func TestJoinWhileFull(t *testing.T) {
	t.Parallel()
	t.Run("remove", func(t *testing.T) {
		t.Parallel()
		s, _ := MustOpenStore(t, engagement.Options{})
		c := capped(t, 1, engagement.PolicyRemove)
		mustRecord(t, s, join(c, user(1), at), join(c, user(2), at), join(c, user(3), at))
		r := mustRoster(t, s, c)
		if diff := cmp.Diff([]string{user(1)}, seated(r)); diff != "" {
			t.Errorf("seated (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{user(2), user(3)}, waiting(r)); diff != "" {
			t.Errorf("waitlist (-want +got):\n%s", diff)
		}
		want := []string{"welcome:" + user(1), "full:" + user(2) + "@1", "full:" + user(3) + "@2"}
		if diff := cmp.Diff(want, drainJobs(t, s, c)); diff != "" {
			t.Errorf("outbox (-want +got):\n%s", diff)
		}
	})
	t.Run("warn", func(t *testing.T) {
		t.Parallel()
		s, _ := MustOpenStore(t, engagement.Options{})
		c := capped(t, 1, engagement.PolicyWarn)
		mustRecord(t, s, join(c, user(1), at), join(c, user(2), at))
		r := mustRoster(t, s, c)
		if diff := cmp.Diff([]string{user(1), user(2)}, seated(r)); diff != "" {
			t.Errorf("seated (-want +got):\n%s", diff)
		}
		if len(r.Waitlist) != 0 {
			t.Errorf("waitlist %v, want empty", waiting(r))
		}
		want := []string{"welcome:" + user(1), "over_cap:" + user(2), "welcome:" + user(2)}
		if diff := cmp.Diff(want, drainJobs(t, s, c)); diff != "" {
			t.Errorf("outbox (-want +got):\n%s", diff)
		}
	})
}

func TestLeavePromotesTheHeadOfTheWaitlist(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := capped(t, 2, engagement.PolicyRemove)
	mustRecord(t, s, join(c, user(1), at), join(c, user(2), at), join(c, user(3), at), join(c, user(4), at))
	drainJobs(t, s, c)
	lv := leave(c, user(1), at.Add(time.Hour))
	mustRecord(t, s, lv)
	r := mustRoster(t, s, c)
	if diff := cmp.Diff([]string{user(2), user(3)}, seated(r)); diff != "" {
		t.Errorf("seated (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{user(4)}, waiting(r)); diff != "" {
		t.Errorf("waitlist (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"promote:" + user(3)}, drainJobs(t, s, c)); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
	// The redelivered leave, and the promoted member's join, do nothing more
	// than welcome them once.
	if got := mustRecord(t, s, lv); got[0] != engagement.Duplicate {
		t.Errorf("redelivered leave: %v", got[0])
	}
	j := join(c, user(3), at.Add(2*time.Hour))
	mustRecord(t, s, j)
	mustRecord(t, s, j)
	if diff := cmp.Diff([]string{"welcome:" + user(3)}, drainJobs(t, s, c)); diff != "" {
		t.Errorf("outbox after join (-want +got):\n%s", diff)
	}
	// Leaving a second time (a duplicate event with a new ID) frees nothing more.
	mustRecord(t, s, leave(c, user(1), at.Add(3*time.Hour)))
	if got := drainJobs(t, s, c); len(got) != 0 {
		t.Errorf("second leave of an unseated user queued %v", got)
	}
	// A failed invite of the head frees the seat for the next one.
	mustRecord(t, s, leave(c, user(2), at.Add(4*time.Hour)))
	if diff := cmp.Diff([]string{"promote:" + user(4)}, drainJobs(t, s, c)); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
	ok, err := s.Unseat(context.Background(), c, user(4), at.Add(5*time.Hour))
	if err != nil || !ok {
		t.Fatalf("Unseat = %v, %v", ok, err)
	}
	if diff := cmp.Diff([]string{user(3)}, seated(mustRoster(t, s, c))); diff != "" {
		t.Errorf("seated after failed invite (-want +got):\n%s", diff)
	}
}

func TestStaffTakeNoSeat(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := capped(t, 1, engagement.PolicyRemove)
	mustRecord(t, s, join(c, "USTAFF001", at), join(c, user(1), at))
	if diff := cmp.Diff([]string{user(1)}, seated(mustRoster(t, s, c))); diff != "" {
		t.Errorf("seated (-want +got):\n%s", diff)
	}
}

func TestStaffInviteWaitlistAndCap(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := capped(t, 1, engagement.PolicyRemove)
	ctx := context.Background()
	inv := func(u string) (engagement.InviteResult, int) {
		res, pos, err := s.Invite(ctx, c, u, at)
		if err != nil {
			t.Fatal(err)
		}
		return res, pos
	}
	if res, _ := inv(user(1)); res != engagement.Invited {
		t.Errorf("first invite: %v", res)
	}
	if res, _ := inv(user(1)); res != engagement.AlreadySeated {
		t.Errorf("repeated invite: %v", res)
	}
	if res, pos := inv(user(2)); res != engagement.Waitlisted || pos != 1 {
		t.Errorf("invite while full: %v at %d", res, pos)
	}
	inv(user(3))
	inv(user(4))
	if pos, err := s.MoveWaiting(ctx, c, user(4), 1); err != nil || pos != 1 {
		t.Errorf("move to 1 = %d, %v", pos, err)
	}
	if _, err := s.MoveWaiting(ctx, c, user(9), 1); err != engagement.ErrNotWaiting {
		t.Errorf("move of someone not waiting: %v", err)
	}
	if pos, err := s.MoveWaiting(ctx, c, user(3), 0); err != nil || pos != 0 {
		t.Errorf("drop = %d, %v", pos, err)
	}
	if diff := cmp.Diff([]string{user(4), user(2)}, waiting(mustRoster(t, s, c))); diff != "" {
		t.Errorf("waitlist (-want +got):\n%s", diff)
	}
	drainJobs(t, s, c)
	n, err := s.SetCap(ctx, c, 2, at)
	if err != nil || n != 1 {
		t.Fatalf("SetCap(2) promoted %d, %v", n, err)
	}
	if diff := cmp.Diff([]string{"promote:" + user(4)}, drainJobs(t, s, c)); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
	if _, err := s.SetCap(ctx, c, 0, at); err == nil {
		t.Error("SetCap(0) accepted")
	}
	if r := mustRoster(t, s, c); r.Cap != 2 {
		t.Errorf("roster cap %d, want 2", r.Cap)
	}
}

func TestIntroAndNudgeOnce(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := capped(t, 10, engagement.PolicyRemove)
	ctx := context.Background()
	mustRecord(t, s, join(c, user(1), at), join(c, user(2), at), join(c, user(3), at))
	if ok, err := s.Welcomed(ctx, c, user(2), "1700000000.000200"); err != nil || !ok {
		t.Fatalf("Welcomed = %v, %v", ok, err)
	}
	// user 1: a top-level post is their intro. user 2: a reply elsewhere is
	// not; a reply in their welcome thread is. user 3 stays quiet.
	res, err := s.Record(ctx, []engagement.Event{
		{ID: "EvI1", Community: c, Kind: engagement.KindMessage, User: user(1), At: at.Add(time.Hour)},
		{ID: "EvI2", Community: c, Kind: engagement.KindMessage, User: user(2), At: at.Add(time.Hour), Reply: true, ThreadTS: "1700000000.000999"},
		{ID: "EvI3", Community: c, Kind: engagement.KindMessage, User: user(2), At: at.Add(2 * time.Hour), Reply: true, ThreadTS: "1700000000.000200"},
		{ID: "EvI4", Community: c, Kind: engagement.KindMessage, User: user(1), At: at.Add(3 * time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	var intros []bool
	for _, r := range res {
		intros = append(intros, r.Intro)
	}
	if diff := cmp.Diff([]bool{true, false, true, false}, intros); diff != "" {
		t.Errorf("intros (-want +got):\n%s", diff)
	}
	r := mustRoster(t, s, c)
	got := map[string]bool{}
	for _, st := range r.Seated {
		got[st.User] = st.Intro
	}
	if diff := cmp.Diff(map[string]bool{user(1): true, user(2): true, user(3): false}, got); diff != "" {
		t.Errorf("intro status (-want +got):\n%s", diff)
	}
	// Nudges: none before NudgeAfter, user 3 once after, never twice.
	due, err := s.DueNudges(ctx, c, at.Add(time.Hour), c.NudgeAfter)
	if err != nil || len(due) != 0 {
		t.Fatalf("early nudges %v, %v", due, err)
	}
	later := at.Add(c.NudgeAfter + time.Minute)
	due, _ = s.DueNudges(ctx, c, later, c.NudgeAfter)
	if diff := cmp.Diff([]string{user(3)}, due); diff != "" {
		t.Fatalf("due nudges (-want +got):\n%s", diff)
	}
	claims := 0
	for range 3 {
		if ok, err := s.ClaimNudge(ctx, c, user(3), later); err != nil {
			t.Fatal(err)
		} else if ok {
			claims++
		}
	}
	if claims != 1 {
		t.Errorf("nudge claimed %d times, want once", claims)
	}
	// A post after the intro window is no intro, and the window's end drops them.
	due, _ = s.DueNudges(ctx, c, at.Add(engagement.IntroWindow+time.Hour), c.NudgeAfter)
	if len(due) != 0 {
		t.Errorf("nudges after the intro window: %v", due)
	}
	res, _ = s.Record(ctx, []engagement.Event{{ID: "EvI5", Community: c, Kind: engagement.KindMessage, User: user(3), At: at.Add(engagement.IntroWindow + 2*time.Hour)}})
	if res[0].Intro {
		t.Error("a post after the intro window counted as an intro")
	}
}

func TestOptOutKeepsTotalsOnly(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := capped(t, 10, engagement.PolicyRemove)
	ctx := context.Background()
	if err := s.SetOptOut(ctx, c, user(1), true); err != nil {
		t.Fatal(err)
	}
	mustRecord(t, s, msg(c, "EvO1", user(1), at, false), msg(c, "EvO2", user(2), at, false),
		reaction(c, "EvO3", engagement.KindReactionAdded, user(1), "1.1", "heart", at))
	r := mustReport(t, s, c, "2026-W47")
	if r.Messages != 2 || r.Reactions != 1 || r.ActivePosters != 2 {
		t.Errorf("totals %d messages, %d reactions, %d posters; want 2, 1, 2", r.Messages, r.Reactions, r.ActivePosters)
	}
	for _, m := range r.Members {
		if m.User == user(1) {
			t.Errorf("opted-out member has per-person counts: %+v", m)
		}
	}
	out, _ := s.OptedOut(ctx, c)
	if !out[user(1)] || out[user(2)] {
		t.Errorf("OptedOut = %v", out)
	}
}

func TestForgetLeavesNothing(t *testing.T) {
	t.Parallel()
	s, rdb := MustOpenStore(t, engagement.Options{})
	c := capped(t, 1, engagement.PolicyRemove)
	ctx := context.Background()
	gone, kept := "UGONE00001", "UGONE000012" // kept's ID contains gone's
	mustRecord(t, s,
		join(c, gone, at), join(c, kept, at), // gone seated, kept waitlisted
		msg(c, "EvF1", gone, at, false), msg(c, "EvF2", gone, at, true), msg(c, "EvF3", kept, at, false),
		reaction(c, "EvF4", engagement.KindReactionAdded, gone, "1.1", "heart", at),
		reaction(c, "EvF5", engagement.KindReactionAdded, kept, "1.1", "heart", at),
	)
	if _, err := s.Welcomed(ctx, c, gone, "1700000000.000100"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOptOut(ctx, c, gone, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetKind(ctx, c, gone, "human"); err != nil {
		t.Fatal(err)
	}
	before, err := s.Personal(ctx, c, gone)
	if err != nil || len(before) < 8 {
		t.Fatalf("Personal found %d records (%v); want the seat, member, welcome, week fields, sets, reaction marker, opt-out, kind", len(before), err)
	}
	n, err := s.Forget(ctx, c, gone)
	if err != nil || n != len(before) {
		t.Fatalf("Forget deleted %d, %v; want %d", n, err, len(before))
	}
	if dump := dumpAll(t, rdb); holdsID(dump, gone) {
		t.Errorf("after forget, Redis still holds %s:\n%s", gone, dump)
	}
	if dump := dumpAll(t, rdb); !strings.Contains(dump, kept) {
		t.Errorf("forget removed %s too", kept)
	}
	r := mustReport(t, s, c, "2026-W47")
	if r.Messages != 3 || r.Reactions != 2 {
		t.Errorf("totals changed by forget: %d messages, %d reactions", r.Messages, r.Reactions)
	}
}

// holdsID reports whether text holds id as a whole ID.
func holdsID(text, id string) bool {
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') }) {
		if f == id {
			return true
		}
	}
	return false
}

// dumpAll renders every key of the test's namespace and all its contents,
// read independently of the store's own scanning.
func dumpAll(tb testing.TB, r *testRedis) string {
	tb.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, k := range r.keys(tb, "*") {
		typ := r.Type(ctx, k).Val()
		fmt.Fprintf(&b, "%s (%s):", k, typ)
		switch typ {
		case "string":
			fmt.Fprintf(&b, " %s", r.Get(ctx, k).Val())
		case "hash":
			fmt.Fprintf(&b, " %v", r.HGetAll(ctx, k).Val())
		case "set":
			fmt.Fprintf(&b, " %v", r.SMembers(ctx, k).Val())
		case "zset":
			fmt.Fprintf(&b, " %v", r.ZRange(ctx, k, 0, -1).Val())
		case "stream":
			fmt.Fprintf(&b, " %v", r.XRange(ctx, k, "-", "+").Val())
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestIntroStats(t *testing.T) {
	t.Parallel()
	r := &engagement.Roster{Seated: []engagement.Seat{
		{User: "U1", Since: at, Intro: true, IntroAt: at.Add(time.Hour)},
		{User: "U2", Since: at, Intro: true, IntroAt: at.Add(3 * time.Hour)},
		{User: "U3", Since: at},
		{User: "U4", Since: at, Existing: true},
	}}
	n, intro, median := r.IntroStats()
	if n != 3 || intro != 2 || median != 2*time.Hour {
		t.Errorf("IntroStats = %d, %d, %v; want 3 newcomers, 2 introduced, median 2h", n, intro, median)
	}
}

// C1: Slack delivers member events late and in any order, including the
// echoes of the app's own kicks and invites. An older event never undoes a
// newer state.
func TestStaleMemberEventsChangeNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sec := func(n int) time.Time { return at.Add(time.Duration(n) * time.Second) }
	for _, echoFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("kick echo before invite echo %v", echoFirst), func(t *testing.T) {
			t.Parallel()
			s, _ := MustOpenStore(t, engagement.Options{})
			c := capped(t, 1, engagement.PolicyRemove)
			// U1 seated; U2 joins while full: waitlisted, and the outbox kicks them.
			mustRecord(t, s, join(c, user(1), sec(0)), join(c, user(2), sec(1)))
			if ok, err := s.ClaimKick(ctx, c, engagement.Job{User: user(2)}, sec(2)); err != nil || !ok {
				t.Fatalf("ClaimKick = %v, %v; want the kick", ok, err)
			}
			// U1 leaves: U2 is promoted (the outbox invites them).
			mustRecord(t, s, leave(c, user(1), sec(3)))
			if got := seated(mustRoster(t, s, c)); !slices.Equal(got, []string{user(2)}) {
				t.Fatalf("seated after the leave %v, want U2 promoted", got)
			}
			kickEcho, inviteEcho := leave(c, user(2), sec(2)), join(c, user(2), sec(4))
			if echoFirst {
				mustRecord(t, s, kickEcho, inviteEcho)
			} else {
				mustRecord(t, s, inviteEcho, kickEcho)
			}
			if got := seated(mustRoster(t, s, c)); !slices.Equal(got, []string{user(2)}) {
				t.Errorf("the late echo of the kick freed the promoted seat: seated %v", got)
			}
			if n := s.StaleMemberEvents(); n != 1 {
				t.Errorf("stale member events %d, want 1", n)
			}
			// A real leave later still frees the seat.
			mustRecord(t, s, leave(c, user(2), sec(5)))
			if got := seated(mustRoster(t, s, c)); len(got) != 0 {
				t.Errorf("seated after a real leave %v, want none", got)
			}
		})
	}
	t.Run("join older than the last leave", func(t *testing.T) {
		t.Parallel()
		s, _ := MustOpenStore(t, engagement.Options{})
		c := capped(t, 5, engagement.PolicyRemove)
		mustRecord(t, s, join(c, user(1), sec(0)), leave(c, user(1), sec(10)), join(c, user(1), sec(5)))
		if got := seated(mustRoster(t, s, c)); len(got) != 0 {
			t.Errorf("a join older than the leave seated them: %v", got)
		}
		// and a leave older than their current seat is stale too
		mustRecord(t, s, join(c, user(2), sec(20)), leave(c, user(2), sec(15)))
		if got := seated(mustRoster(t, s, c)); !slices.Equal(got, []string{user(2)}) {
			t.Errorf("a leave older than the seat freed it: %v", got)
		}
		if n := s.StaleMemberEvents(); n != 2 {
			t.Errorf("stale member events %d, want 2", n)
		}
	})
	t.Run("a real leave after the invite, before the kick echo", func(t *testing.T) {
		t.Parallel()
		s, _ := MustOpenStore(t, engagement.Options{})
		c := capped(t, 1, engagement.PolicyRemove)
		mustRecord(t, s, join(c, user(1), sec(0)), join(c, user(2), sec(1)))
		if ok, err := s.ClaimKick(ctx, c, engagement.Job{User: user(2)}, sec(2)); err != nil || !ok {
			t.Fatalf("ClaimKick = %v, %v", ok, err)
		}
		mustRecord(t, s, leave(c, user(1), sec(3))) // U2 promoted
		if err := s.Invited(ctx, c, user(2), sec(4)); err != nil {
			t.Fatal(err)
		}
		// U2 comes in and leaves again; their leave arrives first.
		mustRecord(t, s, leave(c, user(2), sec(6)), join(c, user(2), sec(5)), leave(c, user(2), sec(2)))
		if got := seated(mustRoster(t, s, c)); len(got) != 0 {
			t.Errorf("a real leave was taken for the kick's echo: seated %v", got)
		}
	})
	t.Run("promoted before the kick", func(t *testing.T) {
		t.Parallel()
		s, _ := MustOpenStore(t, engagement.Options{})
		c := capped(t, 1, engagement.PolicyRemove)
		mustRecord(t, s, join(c, user(1), sec(0)), join(c, user(2), sec(1)), leave(c, user(1), sec(2)))
		// The outbox gets to the kick after the promotion: no kick.
		if ok, err := s.ClaimKick(ctx, c, engagement.Job{User: user(2)}, sec(2)); err != nil || ok {
			t.Errorf("ClaimKick = %v, %v; want no kick of a promoted person", ok, err)
		}
	})
}

// C4: someone who leaves and comes back is welcomed once per community,
// ever, and their intro counts once.
func TestRejoinIsNotWelcomedTwice(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := capped(t, 10, engagement.PolicyRemove)
	ctx := context.Background()
	post := func(id string, d time.Duration) bool {
		res, err := s.Record(ctx, []engagement.Event{{ID: id, Community: c, Kind: engagement.KindMessage, User: user(1), At: at.Add(d)}})
		if err != nil {
			t.Fatal(err)
		}
		return res[0].Intro
	}
	mustRecord(t, s, join(c, user(1), at))
	if !post("EvRj1", time.Hour) {
		t.Fatal("first post after the first join is not the intro")
	}
	mustRecord(t, s, leave(c, user(1), at.Add(2*time.Hour)), join(c, user(1), at.Add(3*time.Hour)))
	if post("EvRj2", 4*time.Hour) {
		t.Error("the first post after a rejoin counted as a second intro")
	}
	if diff := cmp.Diff([]string{"welcome:" + user(1)}, drainJobs(t, s, c)); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
	if got := seated(mustRoster(t, s, c)); !slices.Equal(got, []string{user(1)}) {
		t.Errorf("seated %v after the rejoin", got)
	}
}
