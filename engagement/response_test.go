package engagement_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/google/go-cmp/cmp"
)

// tsAt formats t as a Slack timestamp.
func tsAt(t time.Time) string { return engagement.FormatTS(t) }

func post(c *engagement.Community, id, user string, t time.Time) engagement.Event {
	return engagement.Event{ID: id, Community: c, Kind: engagement.KindMessage, User: user, At: t, TS: tsAt(t)}
}

func reply(c *engagement.Community, id, user string, t time.Time, parent time.Time, parentUser string) engagement.Event {
	return engagement.Event{ID: id, Community: c, Kind: engagement.KindMessage, User: user, At: t, TS: tsAt(t),
		Reply: true, ThreadTS: tsAt(parent), ParentUser: parentUser}
}

func react(c *engagement.Community, id, user string, t time.Time, item time.Time, itemUser string) engagement.Event {
	return engagement.Event{ID: id, Community: c, Kind: engagement.KindReactionAdded, User: user, At: t,
		ItemTS: tsAt(item), ItemUser: itemUser, Reaction: "eyes"}
}

func micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

func TestResponseFeatureRecordsFirstAnswer(t *testing.T) {
	t.Parallel()
	s, rdb := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	ctx := context.Background()
	if err := rdb.SAdd(ctx, rdb.ns+":{acme}:optout", "UOPTOUT01").Err(); err != nil {
		t.Fatal(err)
	}
	p1, p2, p3, p4 := at, at.Add(time.Hour), at.Add(2*time.Hour), at.Add(3*time.Hour)
	// Posts first: an answer that does not name the post's author needs
	// the post recorded (see the answer function in scripts.go).
	mustRecord(t, s,
		post(c, "Ev1", "UALICE001", p1),
		post(c, "Ev2", "UBOB00001", p2),
		post(c, "Ev3", "UOPTOUT01", p3),
		post(c, "Ev4", "UCAROL001", p4),
	)
	mustRecord(t, s,
		// p1: a reaction after 10 min, a reply after 5 min arriving later: the earliest wins.
		react(c, "Ev5", "UBOB00001", p1.Add(10*time.Minute), p1, "UALICE001"),
		reply(c, "Ev6", "UCAROL001", p1.Add(5*time.Minute), p1, "UALICE001"),
		reply(c, "Ev7", "UDAVE0001", p1.Add(20*time.Minute), p1, "UALICE001"),
		// p2: only the author answers, once in the thread and once with a reaction whose author is unknown.
		reply(c, "Ev8", "UBOB00001", p2.Add(time.Minute), p2, "UBOB00001"),
		react(c, "Ev9", "UBOB00001", p2.Add(2*time.Minute), p2, ""),
		// p3 (opted out): answered by someone else after an hour.
		reply(c, "Ev10", "UALICE001", p3.Add(time.Hour), p3, ""),
	)
	posts, err := rdb.hash(rdb.ns + ":{acme}:w:2026-W47:posts")
	if err != nil {
		t.Fatal(err)
	}
	wantPosts := map[string]string{tsAt(p1): "UALICE001", tsAt(p2): "UBOB00001", tsAt(p3): "-", tsAt(p4): "UCAROL001"}
	if diff := cmp.Diff(wantPosts, posts); diff != "" {
		t.Errorf("posts (-want +got):\n%s", diff)
	}
	answers, err := rdb.hash(rdb.ns + ":{acme}:w:2026-W47:answers")
	if err != nil {
		t.Fatal(err)
	}
	wantAnswers := map[string]string{tsAt(p1): micros(p1.Add(5 * time.Minute)), tsAt(p3): micros(p3.Add(time.Hour)),
		// the first thread reply and its writer: the helpers (thanks.go)
		"r:" + tsAt(p1): micros(p1.Add(5 * time.Minute)), "h:" + tsAt(p1): "UCAROL001",
		"r:" + tsAt(p3): micros(p3.Add(time.Hour)), "h:" + tsAt(p3): "UALICE001"}
	if diff := cmp.Diff(wantAnswers, answers); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	// Both hashes expire with the week: its end plus retention.
	wantExp := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC).Add(engagement.DefaultRetention)
	for _, k := range []string{"posts", "answers"} {
		exp, err := rdb.ExpireTime(ctx, rdb.ns+":{acme}:w:2026-W47:"+k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got := time.Unix(int64(exp/time.Second), 0); !got.Equal(wantExp) {
			t.Errorf("%s expires at %v, want %v", k, got, wantExp)
		}
	}
}

// An answer may be recorded before its post (parallel workers, late
// redelivery); a post from last week answered this week files the answer
// under the post's week.
func TestResponseFeatureOrderAndWeeks(t *testing.T) {
	t.Parallel()
	s, rdb := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	ctx := context.Background()
	sunday := time.Date(2026, 11, 22, 23, 0, 0, 0, time.UTC) // W47
	mustRecord(t, s, reply(c, "Ev2", "UBOB00001", sunday.Add(2*time.Hour), sunday, "UALICE001"))
	mustRecord(t, s, post(c, "Ev1", "UALICE001", sunday))
	got, err := rdb.HGet(ctx, rdb.ns+":{acme}:w:2026-W47:answers", tsAt(sunday)).Result()
	if err != nil || got != micros(sunday.Add(2*time.Hour)) {
		t.Errorf("answer to Sunday's post: %q, %v; want %s", got, err, micros(sunday.Add(2*time.Hour)))
	}
	if n := len(rdb.keys(t, "{acme}:w:2026-W48:answers")); n != 0 {
		t.Errorf("W48 has an answers hash; answers belong to the post's week")
	}
}

func TestResponseFeatureIdempotent(t *testing.T) {
	t.Parallel()
	s, rdb := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	ctx := context.Background()
	events := []engagement.Event{
		post(c, "Ev1", "UALICE001", at),
		react(c, "Ev2", "UBOB00001", at.Add(time.Minute), at, "UALICE001"),
		reply(c, "Ev3", "UCAROL001", at.Add(2*time.Minute), at, "UALICE001"),
	}
	mustRecord(t, s, events...)
	snapshot := func() (map[string]string, map[string]string) {
		p, err1 := rdb.hash(rdb.ns + ":{acme}:w:2026-W47:posts")
		a, err2 := rdb.hash(rdb.ns + ":{acme}:w:2026-W47:answers")
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		return p, a
	}
	p0, a0 := snapshot()
	// Redelivered in reverse, and the counting markers lost (as after a
	// partial failure): the feature scripts run again and change nothing.
	for _, k := range rdb.keys(t, "{acme}:ev:*") {
		rdb.Del(ctx, k)
	}
	for i := len(events) - 1; i >= 0; i-- {
		mustRecord(t, s, events[i])
	}
	p1, a1 := snapshot()
	if diff := cmp.Diff(p0, p1); diff != "" {
		t.Errorf("posts changed on redelivery (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(a0, a1); diff != "" {
		t.Errorf("answers changed on redelivery (-before +after):\n%s", diff)
	}
	if a0[tsAt(at)] != micros(at.Add(time.Minute)) {
		t.Errorf("answer %q, want the reaction's time %s", a0[tsAt(at)], micros(at.Add(time.Minute)))
	}
}

// forget finds the response feature's per-person data: a post's author is
// a hash value, so the post goes; the answer (a time, no user) stays
// anonymous and is never read without its post.
func TestResponseFeatureForgotten(t *testing.T) {
	t.Parallel()
	s, rdb := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	ctx := context.Background()
	mustRecord(t, s,
		post(c, "Ev1", "UALICE001", at),
		post(c, "Ev2", "UBOB00001", at.Add(time.Minute)),
		reply(c, "Ev3", "UALICE001", at.Add(2*time.Minute), at.Add(time.Minute), "UBOB00001"),
	)
	if _, err := s.Forget(ctx, c, "UALICE001"); err != nil {
		t.Fatal(err)
	}
	posts, err := rdb.hash(rdb.ns + ":{acme}:w:2026-W47:posts")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{tsAt(at.Add(time.Minute)): "UBOB00001"}, posts); diff != "" {
		t.Errorf("posts after forgetting UALICE001 (-want +got):\n%s", diff)
	}
}

// The post script is sent as a hand-built EVALSHA: after a Redis restart
// (script cache flushed) Record reloads it like the others.
func TestResponseFeatureAfterScriptFlush(t *testing.T) {
	t.Parallel()
	s, rdb := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	ctx := context.Background()
	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if got := mustRecord(t, s, post(c, "Ev1", "UALICE001", at)); got[0] != engagement.Counted {
		t.Fatalf("after script flush: %v, want counted", got[0])
	}
	if v, err := rdb.HGet(ctx, rdb.ns+":{acme}:w:2026-W47:posts", tsAt(at)).Result(); err != nil || v != "UALICE001" {
		t.Errorf("post after flush: %q, %v", v, err)
	}
}
