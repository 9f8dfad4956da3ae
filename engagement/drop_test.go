package engagement_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/redis/go-redis/v9"
)

// dropFixture is a community with seated members and a second store on
// the same data, standing for a second app replica.
type dropFixture struct {
	s, s2 *engagement.Store
	r     *testRedis
	clk   *clock
	c     *engagement.Community
}

func newDropFixture(tb testing.TB, seated int) *dropFixture {
	tb.Helper()
	clk := &clock{t: at}
	s, r := MustOpenStore(tb, engagement.Options{Now: clk.Now})
	s2 := engagement.NewStore(r.UniversalClient, engagement.Options{Namespace: r.ns, Now: clk.Now})
	c := testCommunity(tb, "UTC")
	c.Staff = []string{"U0STAFF0001"}
	f := &dropFixture{s: s, s2: s2, r: r, clk: clk, c: c}
	f.seatMany(tb, seated)
	return f
}

// member is the i-th seated member's ID.
func member(i int) string { return fmt.Sprintf("UDM%06d", i) }

// seatMany seats members 0..n-1 in one round trip (r.seat takes one each).
func (f *dropFixture) seatMany(tb testing.TB, n int) {
	tb.Helper()
	pipe := f.r.Pipeline()
	for i := range n {
		pipe.ZAdd(context.Background(), f.r.ns+":{"+f.c.ID+"}:seats", redis.Z{Score: 1, Member: member(i)})
	}
	if _, err := pipe.Exec(context.Background()); err != nil && n > 0 {
		tb.Fatal(err)
	}
}

func (f *dropFixture) create(tb testing.TB, qty int) *engagement.Drop {
	tb.Helper()
	d, err := f.s.CreateDrop(context.Background(), f.c, engagement.DropSpec{
		Name: "Cloud Paint sample", Message: "Fill in https://example.com/form", Quantity: qty,
		Window: time.Hour, Author: "U0STAFF0001",
	}, fmt.Sprintf("req-%d", qty))
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func (f *dropFixture) claim(tb testing.TB, id, user string) engagement.ClaimResult {
	tb.Helper()
	r, err := f.s.ClaimDrop(context.Background(), f.c, id, user)
	if err != nil {
		tb.Fatalf("ClaimDrop(%s): %v", user, err)
	}
	return r
}

func (f *dropFixture) people(tb testing.TB, id string) (winners, waiting []string) {
	tb.Helper()
	cs, ws, err := f.s.DropPeople(context.Background(), f.c, id)
	if err != nil {
		tb.Fatal(err)
	}
	for _, c := range cs {
		winners = append(winners, c.User)
	}
	for i, w := range ws {
		if w.Position != i+1 {
			tb.Errorf("waiter %s at position %d, want %d", w.User, w.Position, i+1)
		}
		waiting = append(waiting, w.User)
	}
	return winners, waiting
}

// TestDropBurstExactWinners presses Claim 500 times at once on a 20-unit
// drop through two stores (two replicas): 200 seated members press twice
// (a double click, or a click on each replica), and 100 presses come from
// people who may not claim. Exactly 20 distinct members win, each told so
// once; every other seated member waits, in the order Redis ran their
// first press; nobody else is anywhere.
func TestDropBurstExactWinners(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 200)
	d := f.create(t, 20)
	ctx := context.Background()
	type press struct {
		user string
		res  engagement.ClaimResult
		end  time.Time
	}
	var presses []press
	for i := range 200 {
		presses = append(presses, press{user: member(i)}, press{user: member(i)})
	}
	for i := range 98 {
		presses = append(presses, press{user: fmt.Sprintf("UNOSEAT%03d", i)})
	}
	presses = append(presses, press{user: "U0STAFF0001"}, press{user: "U0STAFF0001"})
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range presses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s := f.s
			if i%2 == 1 {
				s = f.s2
			}
			res, err := s.ClaimDrop(ctx, f.c, d.ID, presses[i].user)
			if err != nil {
				t.Error(err)
			}
			presses[i].res = res
		}()
	}
	close(start)
	wg.Wait()

	won := map[string]int{}
	outcomes := map[engagement.ClaimOutcome]int{}
	for _, p := range presses {
		outcomes[p.res.Outcome]++
		if p.res.Outcome == engagement.ClaimWon {
			won[p.user]++
		}
	}
	if len(won) != 20 || outcomes[engagement.ClaimWon] != 20 {
		t.Errorf("%d won presses by %d members, want 20 by 20 (%v)", outcomes[engagement.ClaimWon], len(won), outcomes)
	}
	want := map[engagement.ClaimOutcome]int{
		engagement.ClaimWon: 20, engagement.ClaimAlreadyWon: 20, engagement.ClaimWaiting: 180,
		engagement.ClaimAlreadyWaiting: 180, engagement.ClaimNotSeated: 98, engagement.ClaimStaff: 2,
	}
	if fmt.Sprint(outcomes) != fmt.Sprint(want) {
		t.Errorf("outcomes %v, want %v", outcomes, want)
	}
	winners, waiting := f.people(t, d.ID)
	if len(winners) != 20 || len(waiting) != 180 {
		t.Fatalf("%d winners, %d waiting; want 20 and 180", len(winners), len(waiting))
	}
	for _, w := range winners {
		if won[w] != 1 {
			t.Errorf("winner %s was told %d times", w, won[w])
		}
	}
	all := append(slices.Clone(winners), waiting...)
	slices.Sort(all)
	if len(slices.Compact(all)) != 200 {
		t.Errorf("winners and waiting overlap or miss someone: %d distinct of 200", len(all))
	}
	// Each waiting member was told the place their first press got; the
	// line holds them in that order.
	place := map[string]int{}
	for _, p := range presses {
		if p.res.Outcome == engagement.ClaimWaiting {
			place[p.user] = p.res.Place
		}
	}
	for i, u := range waiting {
		if place[u] != i+1 {
			t.Errorf("%s waits at %d but was told %d", u, i+1, place[u])
		}
	}
	got, err := f.s.Drop(ctx, f.c, d.ID)
	if err != nil || got.Claimed != 20 || got.Left() != 0 || got.SoldOutAt.IsZero() {
		t.Errorf("drop after the burst: %+v, %v; want 20 claimed, none left, sold out", got, err)
	}
}

func TestDropReleaseGoesToTheNextInLine(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 5)
	d := f.create(t, 2)
	ctx := context.Background()
	for i := range 5 {
		f.claim(t, d.ID, member(i))
	}
	// member(2) loses their seat while waiting: the unit skips them.
	if err := f.r.ZRem(ctx, f.r.ns+":{"+f.c.ID+"}:seats", member(2)).Err(); err != nil {
		t.Fatal(err)
	}
	rel, err := f.s.ReleaseDrop(ctx, f.c, d.ID, member(0))
	if err != nil || !rel.Released || rel.Next != member(3) {
		t.Fatalf("release = %+v, %v; want released to %s", rel, err, member(3))
	}
	winners, waiting := f.people(t, d.ID)
	if !slices.Equal(winners, []string{member(1), member(3)}) || !slices.Equal(waiting, []string{member(4)}) {
		t.Errorf("winners %v waiting %v after release", winners, waiting)
	}
	if r := f.claim(t, d.ID, member(0)); r.Outcome != engagement.ClaimReleased {
		t.Errorf("a released member pressing again: %v, want refused as released", r.Outcome)
	}
	if rel, err := f.s.ReleaseDrop(ctx, f.c, d.ID, member(4)); err != nil || !rel.Unqueued {
		t.Errorf("release of a waiting member = %+v, %v; want taken off the line", rel, err)
	}
	if _, err := f.s.ReleaseDrop(ctx, f.c, d.ID, member(4)); !errors.Is(err, engagement.ErrNotClaimant) {
		t.Errorf("release of someone with nothing: %v, want ErrNotClaimant", err)
	}
	if rel, err := f.s.ReleaseDrop(ctx, f.c, d.ID, member(1)); err != nil || !rel.Released || rel.Next != "" {
		t.Errorf("release with nobody waiting = %+v, %v", rel, err)
	}
	if got, _ := f.s.Drop(ctx, f.c, d.ID); got.Claimed != 1 || got.Left() != 1 {
		t.Errorf("after releases: claimed %d left %d, want 1 and 1", got.Claimed, got.Left())
	}
}

func TestDropClosesOnceAndRefusesLatePresses(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 3)
	d := f.create(t, 1)
	ctx := context.Background()
	f.claim(t, d.ID, member(0))
	f.clk.Add(time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var closed []string
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := f.s
			if i%2 == 1 {
				s = f.s2
			}
			ids, err := s.CloseDueDrops(ctx, f.c)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			closed = append(closed, ids...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if !slices.Equal(closed, []string{d.ID}) {
		t.Errorf("closed by 8 callers: %v, want %s once", closed, d.ID)
	}
	if r := f.claim(t, d.ID, member(1)); r.Outcome != engagement.ClaimClosed {
		t.Errorf("press after closing: %v, want closed", r.Outcome)
	}
	if r := f.claim(t, d.ID, member(0)); r.Outcome != engagement.ClaimAlreadyWon {
		t.Errorf("the winner pressing after closing: %v, want already won", r.Outcome)
	}
	if ok, err := f.s.CloseDrop(ctx, f.c, d.ID); ok || err != nil {
		t.Errorf("closing a closed drop = %v, %v", ok, err)
	}
	anns, err := f.s.ClaimDropAnnouncements(ctx, f.c, "replica-1", time.Minute)
	if err != nil || len(anns) != 1 || anns[0].ID != d.ID {
		t.Fatalf("announcements = %v, %v", anns, err)
	}
	if again, _ := f.s2.ClaimDropAnnouncements(ctx, f.c, "replica-2", time.Minute); len(again) != 0 {
		t.Errorf("a second replica claimed %v while the first holds it", again)
	}
}

// TestDropNoticesGoOutOnce: two replicas taking the winners to DM at once
// get each winner once; one not marked sent comes back after the ttl.
func TestDropNoticesGoOutOnce(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 30)
	d := f.create(t, 30)
	ctx := context.Background()
	for i := range 30 {
		f.claim(t, d.ID, member(i))
	}
	var mu sync.Mutex
	taken := map[string]int{}
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := f.s
			if i%2 == 1 {
				s = f.s2
			}
			users, err := s.TakeDropNotices(ctx, f.c, d.ID, time.Minute, 7)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			for _, u := range users {
				taken[u]++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	for u, n := range taken {
		if n != 1 {
			t.Errorf("%s taken %d times", u, n)
		}
		if u != member(0) {
			if _, err := f.s.DropNoticeSent(ctx, f.c, d.ID, u); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(taken) != 30 {
		t.Errorf("%d of 30 winners taken", len(taken))
	}
	if again, _ := f.s.TakeDropNotices(ctx, f.c, d.ID, time.Minute, 100); len(again) != 0 {
		t.Errorf("taken again within the ttl: %v", again)
	}
	f.clk.Add(2 * time.Minute)
	if again, _ := f.s.TakeDropNotices(ctx, f.c, d.ID, time.Minute, 100); !slices.Equal(again, []string{member(0)}) {
		t.Errorf("after the ttl: %v, want the unsent %s", again, member(0))
	}
}

func TestDropSpecAndRequestToken(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 0)
	ctx := context.Background()
	spec := engagement.DropSpec{Name: "Serum", Quantity: 5, Window: time.Hour}
	for _, bad := range []engagement.DropSpec{
		{Name: "", Quantity: 5, Window: time.Hour},
		{Name: "Serum", Quantity: 0, Window: time.Hour},
		{Name: "Serum", Quantity: 10_001, Window: time.Hour},
		{Name: "Serum", Quantity: 5, Window: 31 * 24 * time.Hour},
		{Name: "Serum", Quantity: 5, Window: time.Hour, ImageURL: "http://example.com/a.png"},
		{Name: "Serum", Quantity: 5, Window: time.Hour, ConfirmWithin: time.Minute},
		{Name: "Serum", Quantity: 5, Window: time.Hour, ConfirmWithin: 15 * 24 * time.Hour},
	} {
		if _, err := f.s.CreateDrop(ctx, f.c, bad, "t"); !errors.Is(err, engagement.ErrInvalid) {
			t.Errorf("CreateDrop(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
	a, err := f.s.CreateDrop(ctx, f.c, spec, "V123")
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.s2.CreateDrop(ctx, f.c, spec, "V123")
	if err != nil || b.ID != a.ID {
		t.Errorf("the same request twice made %s and %s (%v)", a.ID, b.ID, err)
	}
	if all, _ := f.s.Drops(ctx, f.c); len(all) != 1 || all[0].Status != engagement.DropOpen || all[0].Window != time.Hour {
		t.Errorf("drops = %+v", all)
	}
	if _, err := f.s.ClaimDrop(ctx, f.c, "D99", member(0)); !errors.Is(err, engagement.ErrNoDrop) {
		t.Errorf("claim of an unknown drop: %v", err)
	}
}

// BenchmarkDropClaims presses Claim from distinct seated members, many at
// once, on one drop of one community, and checks the result is exact:
// as many winners as units, everyone else in line. ns/op is per press;
// claims/s is the sustained rate. Run:
//
//	go test ./engagement -run XXX -bench DropClaims -benchtime 20000x
func BenchmarkDropClaims(b *testing.B) {
	f := newDropFixture(b, b.N)
	qty := max(b.N/2, 1)
	d, err := f.s.CreateDrop(context.Background(), f.c, engagement.DropSpec{Name: "Bench", Quantity: min(qty, engagement.MaxDropQuantity), Window: time.Hour}, "bench")
	if err != nil {
		b.Fatal(err)
	}
	var next sync.Mutex
	i := 0
	b.SetParallelism(16) // many presses in flight, as in a burst
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			next.Lock()
			u := member(i)
			i++
			next.Unlock()
			if _, err := f.s.ClaimDrop(ctx, f.c, d.ID, u); err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "claims/s")
	got, err := f.s.Drop(context.Background(), f.c, d.ID)
	if err != nil {
		b.Fatal(err)
	}
	if got.Claimed != d.Quantity || got.Claimed+got.Waiting != b.N {
		b.Fatalf("%d claimed and %d waiting of %d presses on %d units: not exact", got.Claimed, got.Waiting, b.N, d.Quantity)
	}
}

// TestCardClaimGoesStale: a card claimed and never recorded (the replica
// died between claiming and posting) can be claimed again once the claim
// is five minutes old, not before; a posted card never again.
func TestCardClaimGoesStale(t *testing.T) {
	t.Parallel()
	f := newDropFixture(t, 0)
	ctx := context.Background()
	d := f.create(t, 1)
	claim := func(s *engagement.Store) bool {
		t.Helper()
		ok, err := s.ClaimDropCard(ctx, f.c, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !claim(f.s) || claim(f.s2) {
		t.Fatal("a fresh card claimed by no one, or by both replicas")
	}
	if got, _ := f.s.Drop(ctx, f.c, d.ID); got.Posted() {
		t.Errorf("a claimed card counts as posted (ts %q)", got.TS)
	}
	f.clk.Add(4 * time.Minute)
	if claim(f.s2) {
		t.Error("a four-minute-old claim was taken over")
	}
	f.clk.Add(2 * time.Minute)
	if !claim(f.s2) || claim(f.s) {
		t.Error("a six-minute-old claim was not taken over exactly once")
	}
	if err := f.s2.SetDropCard(ctx, f.c, d.ID, "C1", "1700000000.000100"); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Hour)
	if claim(f.s) {
		t.Error("a posted card was claimed again")
	}
	if got, _ := f.s.Drop(ctx, f.c, d.ID); !got.Posted() {
		t.Errorf("the posted card does not count as posted (ts %q)", got.TS)
	}
}
