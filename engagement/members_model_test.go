package engagement_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
)

// The seeded model test of membership (issue 10 E). Each seed plays a
// small workspace against the store: people join and leave the channel,
// staff invite people, the cap is raised, the app restarts (a roster
// check), and Slack delivers every member event late, in any order, and
// sometimes twice, including the echoes of the app's own kicks and
// invites. The outbox is worked the way slackapp does it. When everything
// has settled, the invariants must hold. A failure names its seed:
//
//	go test ./engagement -run TestMembershipModel -seed N
//
// and -seeds N runs seeds 1 to N (200 by default) for a longer soak.
var (
	modelSeed  = flag.Uint64("seed", 0, "TestMembershipModel: run only this seed")
	modelSeeds = flag.Uint64("seeds", 200, "TestMembershipModel: run seeds 1 to this (more for a soak)")
)

func TestMembershipModel(t *testing.T) {
	t.Parallel()
	seeds := make([]uint64, 0, *modelSeeds)
	if *modelSeed != 0 {
		seeds = append(seeds, *modelSeed)
		trace, traced = t.Logf, true
	} else {
		for i := range *modelSeeds {
			seeds = append(seeds, 1+i)
		}
	}
	s, _ := MustOpenStore(t, engagement.Options{})
	for _, seed := range seeds {
		if err := runModel(s, seed); err != nil {
			t.Errorf("seed %d: %v\nreplay: go test ./engagement -run TestMembershipModel -seed %d", seed, err, seed)
		}
	}
}

// modelWorld is Slack's side of one run: who is in the channel, the events
// on their way, and what the app did to each person.
type modelWorld struct {
	s       *engagement.Store
	c       *engagement.Community
	rng     *rand.Rand
	clock   time.Time
	in      map[string]bool
	pending []engagement.Event
	seq     int
	// per person: invites since they last left the channel, DMs since
	// they last joined or left by themselves
	invites, dms map[string]int
	welcomes     map[string]int
}

var (
	trace  = func(string, ...any) {}
	traced bool // replaying one seed: the trace is printed
)

func (w *modelWorld) tick() time.Time {
	w.clock = w.clock.Add(time.Duration(1+w.rng.IntN(5)) * time.Millisecond)
	return w.clock
}

// leave takes user out of the channel: a later invite is a new promotion.
func (w *modelWorld) leave(user string) {
	delete(w.in, user)
	w.invites[user] = 0
	w.emit(engagement.KindMemberLeft, user)
}

// emit queues the member event Slack sends for a change in the channel.
func (w *modelWorld) emit(kind engagement.Kind, user string) {
	w.seq++
	trace("emit %v %s at %s", kind, user, w.clock.Add(0).Format("05.000"))
	w.pending = append(w.pending, engagement.Event{ID: fmt.Sprintf("EvM%d", w.seq), Community: w.c, Kind: kind, User: user, At: w.tick()})
}

// deliver hands one pending event, chosen at random, to the store; now and
// then it stays pending too (a redelivery).
func (w *modelWorld) deliver(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	i := w.rng.IntN(len(w.pending))
	e := w.pending[i]
	if w.rng.IntN(5) != 0 {
		w.pending = slices.Delete(w.pending, i, i+1)
	}
	res, err := w.s.Record(ctx, []engagement.Event{e})
	trace("deliver %s %v %s at %s -> %v", e.ID, e.Kind, e.User, e.At.Format("05.000"), res[0].Outcome)
	if traced {
		if r, _ := w.s.Roster(ctx, w.c); r != nil {
			trace("   seated %v waiting %v", r.SeatedUsers(), r.WaitingUsers())
		}
	}
	return err
}

// work does the outbox's jobs as slackapp does, changing the channel the
// way Slack would and queueing the echoes.
func (w *modelWorld) work(ctx context.Context) (int, error) {
	jobs, err := w.s.ClaimJobs(ctx, w.c, "model", 100, 0)
	if err != nil {
		return 0, err
	}
	for _, j := range jobs {
		trace("job %s %s", j.Type, j.User)
		switch j.Type {
		case "welcome":
			w.welcomes[j.User]++
		case "full":
			kick, err := w.s.ClaimKick(ctx, w.c, j, w.tick())
			if err != nil {
				return 0, err
			}
			if !kick {
				break
			}
			if w.in[j.User] {
				w.leave(j.User)
			} else if err := w.s.KickFailed(ctx, w.c, j.User); err != nil {
				return 0, err
			}
			w.dms[j.User]++
		case "promote":
			// as slackapp does: a promotion given up meanwhile invites nobody
			ok, err := w.s.PromotionStands(ctx, w.c, j)
			if err != nil {
				return 0, err
			}
			if !ok {
				break
			}
			w.invites[j.User]++
			w.dms[j.User]++
			if w.invites[j.User] > 1 {
				return 0, fmt.Errorf("%s invited %d times without leaving", j.User, w.invites[j.User])
			}
			if w.dms[j.User] > 2 {
				return 0, fmt.Errorf("%s got %d DMs in one promotion cycle", j.User, w.dms[j.User])
			}
			if err := w.s.Invited(ctx, w.c, j.User, w.tick()); err != nil {
				return 0, err
			}
			if !w.in[j.User] {
				w.in[j.User] = true
				w.emit(engagement.KindMemberJoined, j.User)
			}
		}
		if err := w.s.JobDone(ctx, w.c, j.ID); err != nil {
			return 0, err
		}
	}
	return len(jobs), nil
}

func runModel(s *engagement.Store, seed uint64) error {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, seed*0x9e3779b97f4a7c15))
	c := &engagement.Community{ID: fmt.Sprintf("model%d", seed), Channel: "C0MODEL0001", Location: time.UTC,
		Cap: 1 + rng.IntN(3), FullPolicy: engagement.PolicyRemove, Staff: []string{"U0STAFF0001"}}
	c.Defaults()
	w := &modelWorld{s: s, c: c, rng: rng, clock: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC),
		in: map[string]bool{}, invites: map[string]int{}, dms: map[string]int{}, welcomes: map[string]int{}}
	people := []string{"U0STAFF0001"}
	for i := 1; i <= 6; i++ {
		people = append(people, fmt.Sprintf("U0MODEL%04d", i))
	}
	// Install: the first roster check finds the channel empty.
	if _, _, err := s.Reconcile(ctx, c, nil, w.tick(), time.Hour, true); err != nil {
		return err
	}
	for step := 0; step < 60; step++ {
		u := people[rng.IntN(len(people))]
		var err error
		switch r := rng.IntN(100); {
		case r < 25: // someone joins or leaves by themselves
			if w.in[u] {
				// Leaving by themselves ends their promotion cycle (unlike
				// a cap kick, which is part of it): a staff invite after
				// it is a new promotion, with its own DM.
				w.leave(u)
				w.dms[u] = 0
			} else {
				w.in[u] = true
				w.dms[u] = 0 // a new cycle: at most a waitlist DM, then a promotion DM
				w.emit(engagement.KindMemberJoined, u)
			}
		case r < 30 && u != "U0STAFF0001": // staff invite
			var res engagement.InviteResult
			res, _, err = s.Invite(ctx, c, u, w.tick())
			trace("staff invite %s -> %v", u, res)
		case r < 33: // the cap is raised
			capNow, cerr := s.Cap(ctx, c)
			if cerr != nil {
				return cerr
			}
			_, err = s.SetCap(ctx, c, capNow+1, w.tick())
		case r < 36: // a restart: the roster check
			trace("roster check %v", w.customers())
			_, _, err = s.Reconcile(ctx, c, w.customers(), w.tick(), time.Hour, true)
		case r < 75:
			err = w.deliver(ctx)
		default:
			_, err = w.work(ctx)
		}
		if err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
	}
	// Settle: every event delivered, every job done.
	for rounds := 0; len(w.pending) > 0 || rounds < 2; rounds++ {
		for len(w.pending) > 0 {
			if err := w.deliver(ctx); err != nil {
				return err
			}
		}
		n, err := w.work(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			rounds = 0
		}
		if rounds > 1000 {
			return fmt.Errorf("never settles")
		}
	}
	return w.check(ctx)
}

func (w *modelWorld) customers() []string {
	var out []string
	for u := range w.in {
		if !w.c.IsStaff(u) {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out
}

// check tests the invariants of a settled run.
func (w *modelWorld) check(ctx context.Context) error {
	r, err := w.s.Roster(ctx, w.c)
	if err != nil {
		return err
	}
	if len(r.Seated) > r.Cap {
		return fmt.Errorf("%d seated over the cap %d: %v", len(r.Seated), r.Cap, r.SeatedUsers())
	}
	for i := 1; i < len(r.Waitlist); i++ {
		if r.Waitlist[i].Since.Before(r.Waitlist[i-1].Since) {
			return fmt.Errorf("waitlist not in order of joining: %+v", r.Waitlist)
		}
	}
	if got, want := r.SeatedUsers(), w.customers(); !slices.Equal(got, want) {
		return fmt.Errorf("seated %v, but in the channel %v (waiting %v)", got, want, r.WaitingUsers())
	}
	for u, n := range w.welcomes {
		if n > 1 {
			return fmt.Errorf("%s welcomed %d times", u, n)
		}
	}
	return nil
}
