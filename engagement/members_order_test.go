package engagement_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/google/go-cmp/cmp"
)

// The defects the membership model test found (issue 10 E), one test each.

// The waitlist is in order of the joins' own times, whatever order Slack
// delivers them in; joins of the same millisecond keep their order of
// arrival; a staff move keeps the others' join times, so a late join still
// finds its place by time.
func TestWaitlistInOrderOfJoinTime(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := capped(t, 1, engagement.PolicyRemove)
	sec := func(n float64) time.Time { return at.Add(time.Duration(n * float64(time.Second))) }
	mustRecord(t, s, join(c, user(1), sec(0)))
	mustRecord(t, s, join(c, user(2), sec(3)), join(c, user(3), sec(1)), join(c, user(4), sec(2)),
		join(c, user(6), sec(5)), join(c, user(5), sec(5)))
	want := []string{user(3), user(4), user(2), user(6), user(5)}
	if diff := cmp.Diff(want, waiting(mustRoster(t, s, c))); diff != "" {
		t.Errorf("waitlist (-want +got):\n%s", diff)
	}
	if _, err := s.MoveWaiting(context.Background(), c, user(2), 1); err != nil {
		t.Fatal(err)
	}
	mustRecord(t, s, join(c, user(7), sec(1.5)))
	want = []string{user(2), user(3), user(7), user(4), user(6), user(5)}
	r := mustRoster(t, s, c)
	if diff := cmp.Diff(want, waiting(r)); diff != "" {
		t.Errorf("waitlist after a move and a late join (-want +got):\n%s", diff)
	}
	for i, w := range r.Waitlist {
		if w.Position != i+1 {
			t.Errorf("%s at position %d, want %d", w.User, w.Position, i+1)
		}
	}
}

// Someone promoted while in the channel (their cap kick not done yet) who
// leaves before the invite is brought back by it: their leave, delivered
// after the invite, is older than it and frees nothing (seed 35: the seat
// was freed, the invite's echo found the channel full, kicked again, 3 DMs).
func TestLeaveOlderThanTheInviteIsStale(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := capped(t, 1, engagement.PolicyRemove)
	sec := func(n int) time.Time { return at.Add(time.Duration(n) * time.Second) }
	mustRecord(t, s, join(c, user(1), sec(0)), join(c, user(2), sec(1)), leave(c, user(1), sec(2)), join(c, user(3), sec(2)))
	if r := mustRoster(t, s, c); !slices.Equal(seated(r), []string{user(2)}) || !slices.Equal(waiting(r), []string{user(3)}) {
		t.Fatalf("seated %v waiting %v, want U2 promoted and U3 waiting", seated(r), waiting(r))
	}
	// The outbox gets to their cap kick: promoted meanwhile, not kicked.
	if jobs := fullJobs(t, s, c); len(jobs) != 2 || claimKick(t, s, c, jobs[0], sec(2)) {
		t.Fatalf("a promoted person's kick was claimed (%d full jobs)", len(jobs))
	}
	if err := s.Invited(ctx, c, user(2), sec(4)); err != nil { // after they left at sec(3)
		t.Fatal(err)
	}
	mustRecord(t, s, leave(c, user(2), sec(3)), join(c, user(2), sec(5)))
	if r := mustRoster(t, s, c); !slices.Equal(seated(r), []string{user(2)}) || !slices.Equal(waiting(r), []string{user(3)}) {
		t.Errorf("a leave older than the invite freed the seat: seated %v waiting %v", seated(r), waiting(r))
	}
	// A leave after the invite is theirs.
	mustRecord(t, s, leave(c, user(2), sec(6)))
	if got := seated(mustRoster(t, s, c)); !slices.Equal(got, []string{user(3)}) {
		t.Errorf("seated after a real leave %v, want U3 promoted", got)
	}
}

// fullJobs takes the outbox's jobs and returns the "full" ones.
func fullJobs(tb testing.TB, s *engagement.Store, c *engagement.Community) []engagement.Job {
	tb.Helper()
	jobs, err := s.ClaimJobs(context.Background(), c, "test", 100, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return slices.DeleteFunc(jobs, func(j engagement.Job) bool { return j.Type != "full" })
}

func claimKick(tb testing.TB, s *engagement.Store, c *engagement.Community, j engagement.Job, now time.Time) bool {
	tb.Helper()
	ok, err := s.ClaimKick(context.Background(), c, j, now)
	if err != nil {
		tb.Fatal(err)
	}
	return ok
}

// Someone who joins while full, leaves and joins again gets one kick (and
// one waitlist DM) per presence, not one per join (seeds 94 and 869).
func TestOneCapKickPerPresence(t *testing.T) {
	t.Parallel()
	sec := func(n int) time.Time { return at.Add(time.Duration(n) * time.Second) }
	claim := func(s *engagement.Store, c *engagement.Community, j engagement.Job, now time.Time) bool {
		return claimKick(t, s, c, j, now)
	}
	t.Run("both joins delivered first", func(t *testing.T) {
		t.Parallel()
		s, _ := MustOpenStore(t, engagement.Options{})
		c := capped(t, 1, engagement.PolicyRemove)
		mustRecord(t, s, join(c, user(1), sec(0)), join(c, user(2), sec(1)), leave(c, user(2), sec(2)), join(c, user(2), sec(3)))
		jobs := fullJobs(t, s, c)
		if len(jobs) != 2 {
			t.Fatalf("%d full jobs, want 2", len(jobs))
		}
		if claim(s, c, jobs[0], sec(4)) {
			t.Error("the first join's kick was claimed; the newer join's job kicks them")
		}
		if !claim(s, c, jobs[1], sec(4)) || !claim(s, c, jobs[1], sec(5)) {
			t.Error("the newer join's kick (and its retry) was not claimed")
		}
	})
	t.Run("second join delivered after the first kick", func(t *testing.T) {
		t.Parallel()
		s, _ := MustOpenStore(t, engagement.Options{})
		c := capped(t, 1, engagement.PolicyRemove)
		mustRecord(t, s, join(c, user(1), sec(0)), join(c, user(2), sec(1)), leave(c, user(2), sec(2)))
		first := fullJobs(t, s, c)
		if len(first) != 1 || !claim(s, c, first[0], sec(4)) {
			t.Fatalf("first kick not claimed (%d jobs)", len(first))
		}
		// The kick at sec(4) removed the presence of the join at sec(3).
		mustRecord(t, s, join(c, user(2), sec(3)))
		second := fullJobs(t, s, c)
		if len(second) != 1 {
			t.Fatalf("%d full jobs for the second join, want 1", len(second))
		}
		if claim(s, c, second[0], sec(5)) {
			t.Error("a presence the first kick removed is kicked (and told) again")
		}
		// A join after that kick is a new presence: kicked again.
		mustRecord(t, s, join(c, user(2), sec(6)))
		third := fullJobs(t, s, c)
		if len(third) != 1 || !claim(s, c, third[0], sec(7)) {
			t.Error("a rejoin after the kick was not kicked")
		}
	})
}

// A promote job whose reservation was given up before the outbox got to it
// (they left meanwhile) invites nobody, and neither does it once a later
// promotion reserved the seat anew: that one's own job invites (seed 110:
// invited twice without leaving).
func TestGivenUpPromotionInvitesNobody(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := capped(t, 1, engagement.PolicyRemove)
	sec := func(n int) time.Time { return at.Add(time.Duration(n) * time.Second) }
	stands := func(j engagement.Job) bool {
		ok, err := s.PromotionStands(ctx, c, j)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	promotes := func() []engagement.Job {
		jobs, err := s.ClaimJobs(ctx, c, "test", 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		return slices.DeleteFunc(jobs, func(j engagement.Job) bool { return j.Type != "promote" })
	}
	mustRecord(t, s, join(c, user(1), sec(0)))
	if _, _, err := s.Invite(ctx, c, user(2), sec(1)); err != nil {
		t.Fatal(err)
	}
	mustRecord(t, s, leave(c, user(1), sec(2))) // U2 promoted
	first := promotes()
	if len(first) != 1 || !stands(first[0]) {
		t.Fatalf("promotion of U2 does not stand (%d jobs)", len(first))
	}
	mustRecord(t, s, leave(c, user(2), sec(3))) // they left meanwhile
	if stands(first[0]) {
		t.Error("a promotion given up still stands")
	}
	if _, _, err := s.Invite(ctx, c, user(2), sec(4)); err != nil {
		t.Fatal(err)
	}
	second := promotes()
	if len(second) != 1 || !stands(second[0]) {
		t.Fatalf("the new promotion does not stand (%d jobs)", len(second))
	}
	if stands(first[0]) {
		t.Error("the old promotion's job stands beside the new one: two invites")
	}
}

// After staff remove someone, the late echo of the join their invite
// caused is older than the removal: it neither seats nor waitlists them
// (seen with the hostile emulator: the removed person back on the waitlist).
func TestJoinOlderThanARemovalIsStale(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := capped(t, 1, engagement.PolicyRemove)
	sec := func(n int) time.Time { return at.Add(time.Duration(n) * time.Second) }
	if _, _, err := s.Invite(ctx, c, user(1), sec(0)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Invite(ctx, c, user(2), sec(1)); err != nil { // waits
		t.Fatal(err)
	}
	if ok, err := s.Unseat(ctx, c, user(1), sec(3)); err != nil || !ok { // staff remove U1: U2 promoted
		t.Fatalf("Unseat = %v, %v", ok, err)
	}
	mustRecord(t, s, join(c, user(1), sec(2))) // the invite's echo, late
	if r := mustRoster(t, s, c); !slices.Equal(seated(r), []string{user(2)}) || len(r.Waitlist) != 0 {
		t.Errorf("seated %v waiting %v, want U2 seated and nobody waiting", seated(r), waiting(r))
	}
	// A join after the removal is theirs: the channel is full, they wait.
	mustRecord(t, s, join(c, user(1), sec(4)))
	if got := waiting(mustRoster(t, s, c)); !slices.Equal(got, []string{user(1)}) {
		t.Errorf("waiting %v after a real join, want U1", got)
	}
}
