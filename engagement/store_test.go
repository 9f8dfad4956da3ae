package engagement_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement/redistest"

	"github.com/closeknit/closeknit/engagement"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

var nsSeq atomic.Int64

// MustOpenStore returns a Store on the test Redis under a namespace of its
// own, so tests run in parallel; the namespace's keys are deleted at the end.
func MustOpenStore(tb testing.TB, o engagement.Options) (*engagement.Store, *testRedis) {
	tb.Helper()
	rdb := redistest.Client(tb, redistest.URL())
	ctx := context.Background()
	o.Namespace = fmt.Sprintf("cktest-%d-%d", os.Getpid(), nsSeq.Add(1))
	tb.Cleanup(func() {
		redistest.DeleteKeys(tb, rdb, o.Namespace+":*")
		rdb.Close()
	})
	s := engagement.NewStore(rdb, o)
	if err := s.LoadScripts(ctx); err != nil {
		tb.Fatal(err)
	}
	return s, &testRedis{UniversalClient: rdb, ns: o.Namespace}
}

// testRedis is the test's Redis connection and its key namespace.
type testRedis struct {
	redis.UniversalClient
	ns string
}

// seat gives users a seat in c (only seated members count on prototype
// cards), as the seat scripts would.
func (r *testRedis) seat(tb testing.TB, c *engagement.Community, users ...string) {
	tb.Helper()
	for _, u := range users {
		if err := r.ZAdd(context.Background(), r.ns+":{"+c.ID+"}:seats", redis.Z{Score: 1, Member: u}).Err(); err != nil {
			tb.Fatal(err)
		}
	}
}

// hash reads hash key as HGETALL does, less the field that keeps it out of
// the listpack encoding (scripts.go, wideField).
func (r *testRedis) hash(key string) (map[string]string, error) {
	h, err := r.HGetAll(context.Background(), key).Result()
	delete(h, "encoding")
	return h, err
}

// keys lists the test's keys matching pattern (after the namespace).
func (r *testRedis) keys(tb testing.TB, pattern string) []string {
	tb.Helper()
	out, err := redistest.ScanKeys(context.Background(), r.UniversalClient, r.ns+":"+pattern)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func mustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func testCommunity(tb testing.TB, tz string) *engagement.Community {
	return &engagement.Community{ID: "acme", Channel: "C05R8T2KLMN", Location: mustLoc(tb, tz), Cap: 100}
}

// at is a fixed instant: Wednesday 2026-11-18 15:04 UTC, in week 2026-W47.
var at = time.Date(2026, 11, 18, 15, 4, 0, 0, time.UTC)

func mustRecord(tb testing.TB, s *engagement.Store, events ...engagement.Event) []engagement.Outcome {
	tb.Helper()
	res, err := s.Record(context.Background(), events)
	if err != nil {
		tb.Fatalf("Record: %v", err)
	}
	out := make([]engagement.Outcome, len(res))
	for i, r := range res {
		if r.Err != nil {
			tb.Fatalf("Record event %d: %v", i, r.Err)
		}
		out[i] = r.Outcome
	}
	return out
}

func mustReport(tb testing.TB, s *engagement.Store, c *engagement.Community, week string) *engagement.Report {
	tb.Helper()
	w, err := engagement.ParseWeek(week)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := s.Report(context.Background(), c, w)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func msg(c *engagement.Community, id, user string, t time.Time, reply bool) engagement.Event {
	return engagement.Event{ID: id, Community: c, Kind: engagement.KindMessage, User: user, At: t, Reply: reply}
}

func reaction(c *engagement.Community, id string, kind engagement.Kind, user, item, emoji string, t time.Time) engagement.Event {
	return engagement.Event{ID: id, Community: c, Kind: kind, User: user, At: t, ItemTS: item, Reaction: emoji}
}

func TestRecordCountsOnce(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	events := []engagement.Event{
		msg(c, "Ev1", "UALICE001", at, false),
		msg(c, "Ev2", "UBOB00001", at.Add(time.Minute), true),
		msg(c, "Ev3", "UALICE001", at.Add(2*time.Hour), false),
		reaction(c, "Ev4", engagement.KindReactionAdded, "UCAROL001", "1.1", "heart", at),
		{ID: "Ev5", Community: c, Kind: engagement.KindMemberJoined, User: "UDAVE0001", At: at},
	}
	got := mustRecord(t, s, events...)
	want := []engagement.Outcome{engagement.Counted, engagement.Counted, engagement.Counted, engagement.Counted, engagement.Counted}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first delivery outcomes (-want +got):\n%s", diff)
	}
	// Redelivered, in a different order and batch shape: nothing changes.
	for i := len(events) - 1; i >= 0; i-- {
		if got := mustRecord(t, s, events[i]); got[0] != engagement.Duplicate {
			t.Errorf("redelivery of %s: got %v, want duplicate", events[i].ID, got[0])
		}
	}
	r := mustReport(t, s, c, "2026-W47")
	wantMembers := []engagement.MemberCounts{
		{User: "UALICE001", Messages: 2},
		{User: "UBOB00001", Messages: 1, ThreadReplies: 1},
		{User: "UCAROL001", Reactions: 1},
	}
	if diff := cmp.Diff(wantMembers, r.Members); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	type totals struct{ Messages, Replies, Reactions, Posters, Participants, Joins int64 }
	gotT := totals{r.Messages, r.ThreadReplies, r.Reactions, r.ActivePosters, r.ActiveParticipants, r.Joins}
	if diff := cmp.Diff(totals{3, 1, 1, 2, 3, 1}, gotT); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	// Wednesday is weekday index 2; 15:04 and 15:05 in hour 15, 17:04 in hour 17.
	if r.ByWeekday[2] != 3 || r.ByHour[15] != 2 || r.ByHour[17] != 1 {
		t.Errorf("by weekday %v, by hour %v: want 3 on Wednesday, 2 at 15h, 1 at 17h", r.ByWeekday, r.ByHour)
	}
}

func TestReactionsNetOfRemovals(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	add, rm := engagement.KindReactionAdded, engagement.KindReactionRemoved
	steps := []struct {
		name string
		ev   engagement.Event
		want engagement.Outcome
		net  int64
	}{
		{"add", reaction(c, "Ev1", add, "UBOB00001", "1.1", "+1", at), engagement.Counted, 1},
		{"same emoji again counts once", reaction(c, "Ev2", add, "UBOB00001", "1.1", "+1", at), engagement.NoChange, 1},
		{"other emoji", reaction(c, "Ev3", add, "UBOB00001", "1.1", "heart", at), engagement.Counted, 2},
		{"remove", reaction(c, "Ev4", rm, "UBOB00001", "1.1", "+1", at), engagement.Counted, 1},
		{"remove redelivered", reaction(c, "Ev4", rm, "UBOB00001", "1.1", "+1", at), engagement.Duplicate, 1},
		{"remove never counted", reaction(c, "Ev5", rm, "UBOB00001", "1.1", "eyes", at), engagement.NoChange, 1},
		{"re-add", reaction(c, "Ev6", add, "UBOB00001", "1.1", "+1", at), engagement.Counted, 2},
		// A removal a week later comes off the week the reaction was counted in.
		{"remove next week", reaction(c, "Ev7", rm, "UBOB00001", "1.1", "heart", at.AddDate(0, 0, 7)), engagement.Counted, 1},
	}
	for _, st := range steps {
		got := mustRecord(t, s, st.ev)
		if got[0] != st.want {
			t.Errorf("%s: outcome %v, want %v", st.name, got[0], st.want)
		}
		if r := mustReport(t, s, c, "2026-W47"); r.Reactions != st.net {
			t.Errorf("%s: reactions %d, want %d", st.name, r.Reactions, st.net)
		}
	}
	if r := mustReport(t, s, c, "2026-W48"); r.Reactions != 0 {
		t.Errorf("next week: reactions %d, want 0", r.Reactions)
	}
}

func TestRecordRejectsInvalid(t *testing.T) {
	t.Parallel()
	s, rdb := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	bad := []engagement.Event{
		{ID: "", Community: c, Kind: engagement.KindMessage, User: "U1", At: at},
		{ID: "Ev1", Community: c, Kind: engagement.KindMessage, User: "", At: at},
		{ID: "Ev2", Community: c, Kind: engagement.KindReactionAdded, User: "U1", At: at},
		{ID: "Ev3", Kind: engagement.KindMessage, User: "U1", At: at},
	}
	res, err := s.Record(context.Background(), bad)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err == nil || !strings.Contains(r.Err.Error(), "invalid") {
			t.Errorf("event %d: err %v, want an invalid-event error", i, r.Err)
		}
	}
	if keys := rdb.keys(t, "*"); len(keys) != 0 {
		t.Errorf("keys written for invalid events: %v, want none", keys)
	}
}

func TestWeeklyKeysExpire(t *testing.T) {
	t.Parallel()
	retention := 10 * 7 * 24 * time.Hour
	s, rdb := MustOpenStore(t, engagement.Options{Retention: retention})
	c := testCommunity(t, "UTC")
	mustRecord(t, s, msg(c, "Ev1", "UALICE001", at, false), reaction(c, "Ev2", engagement.KindReactionAdded, "UBOB00001", "1.1", "+1", at))
	ctx := context.Background()
	weekEnd := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	keys := rdb.keys(t, "*")
	for _, key := range keys {
		if !strings.Contains(key, ":{acme}:") {
			t.Errorf("key %s lacks the {acme} hash tag", key)
		}
		if strings.HasSuffix(key, ":salt") {
			continue // the pseudonym salt lives as long as the community (privacy.go)
		}
		exp := rdb.ExpireTime(ctx, key).Val()
		if exp <= 0 {
			t.Errorf("key %s has no expiry", key)
			continue
		}
		if got := time.Unix(int64(exp/time.Second), 0); strings.Contains(key, ":w:") && !got.Equal(weekEnd.Add(retention)) {
			t.Errorf("key %s expires at %v, want week end + retention %v", key, got.UTC(), weekEnd.Add(retention))
		}
	}
	if n := len(keys); n < 5 {
		t.Errorf("found %d keys, want at least 5 (2 dedupe, week hash, 2 sets, reaction marker)", n)
	}
}

func TestConcurrentBatchesCountExactly(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	// 8 writers deliver the same 400 events (as redeliveries racing each other would).
	var events []engagement.Event
	for i := range 400 {
		events = append(events, msg(c, fmt.Sprintf("Ev%d", i), fmt.Sprintf("U%08d", i%37), at, i%3 == 0))
	}
	errc := make(chan error, 8)
	for range 8 {
		go func() {
			for i := 0; i < len(events); i += 50 {
				if _, err := s.Record(context.Background(), events[i:i+50]); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
	}
	for range 8 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	r := mustReport(t, s, c, "2026-W47")
	if r.Messages != 400 || r.ThreadReplies != 134 || r.ActivePosters != 37 {
		t.Errorf("messages %d replies %d posters %d, want 400 134 37", r.Messages, r.ThreadReplies, r.ActivePosters)
	}
}

func TestScriptsReloadAfterFlush(t *testing.T) {
	t.Parallel()
	s, rdb := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	// SCRIPT FLUSH is what a Redis restart does to the script cache.
	if err := rdb.ScriptFlush(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	if got := mustRecord(t, s, msg(c, "Ev1", "UALICE001", at, false)); got[0] != engagement.Counted {
		t.Fatalf("after script flush: %v, want counted", got[0])
	}
}

// Workers may record a removal before the add it undoes (they run in
// parallel); the pair must still net to zero, and a later re-add counts.
func TestReactionRemovalBeforeAdd(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	add, rm := engagement.KindReactionAdded, engagement.KindReactionRemoved
	steps := []struct {
		ev   engagement.Event
		want engagement.Outcome
		net  int64
	}{
		{reaction(c, "Ev2", rm, "UBOB00001", "1.1", "+1", at.Add(time.Minute)), engagement.NoChange, 0},
		{reaction(c, "Ev1", add, "UBOB00001", "1.1", "+1", at), engagement.NoChange, 0},
		{reaction(c, "Ev3", add, "UBOB00001", "1.1", "+1", at.Add(2*time.Minute)), engagement.Counted, 1},
		{reaction(c, "Ev4", rm, "UBOB00001", "1.1", "+1", at.Add(3*time.Minute)), engagement.Counted, 0},
	}
	for i, st := range steps {
		if got := mustRecord(t, s, st.ev); got[0] != st.want {
			t.Errorf("step %d (%s): outcome %v, want %v", i, st.ev.ID, got[0], st.want)
		}
		if r := mustReport(t, s, c, "2026-W47"); r.Reactions != st.net {
			t.Errorf("step %d (%s): reactions %d, want %d", i, st.ev.ID, r.Reactions, st.net)
		}
	}
}

func TestLeaseOneHolderAtATime(t *testing.T) {
	t.Parallel()
	s, _ := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	ctx := context.Background()
	ok, err := s.AcquireLease(ctx, c, "digest", "a", time.Minute)
	if err != nil || !ok {
		t.Fatalf("first acquire = %v, %v; want true", ok, err)
	}
	if ok, _ := s.AcquireLease(ctx, c, "digest", "b", time.Minute); ok {
		t.Fatal("b took a lease that a holds")
	}
	if ok, _ := s.AcquireLease(ctx, c, "digest", "a", time.Minute); !ok {
		t.Fatal("a could not extend its own lease")
	}
	if err := s.ReleaseLease(ctx, c, "digest", "b"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.AcquireLease(ctx, c, "digest", "b", time.Minute); ok {
		t.Fatal("b's release freed a's lease")
	}
	if err := s.ReleaseLease(ctx, c, "digest", "a"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.AcquireLease(ctx, c, "digest", "b", 50*time.Millisecond); !ok {
		t.Fatal("b could not take a released lease")
	}
	time.Sleep(80 * time.Millisecond)
	if ok, _ := s.AcquireLease(ctx, c, "digest", "a", time.Minute); !ok {
		t.Fatal("a could not take an expired lease")
	}
}
