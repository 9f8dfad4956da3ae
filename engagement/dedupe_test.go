package engagement_test

import (
	"context"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
)

// TestDedupeMarkersByHour: the counting script's markers are fields of a
// hash per hour of the event's time. An event delivered twice in one
// batch counts once; an event from long ago (its hour far older than the
// dedupe TTL) keeps its marker for the TTL from now, not from its hour, so
// its redelivery is still a duplicate.
func TestDedupeMarkersByHour(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, rdb := MustOpenStore(t, engagement.Options{DedupeTTL: 2 * time.Hour})
	c := testCommunity(t, "UTC")
	old := at.Add(-30 * 24 * time.Hour) // a month before at, itself in the past
	got := mustRecord(t, s,
		msg(c, "EvA", "UALICE001", old, false),
		msg(c, "EvA", "UALICE001", old, false), // the same event twice in one batch
		msg(c, "EvB", "UBOB00001", old.Add(time.Hour), false))
	want := []engagement.Outcome{engagement.Counted, engagement.Duplicate, engagement.Counted}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("outcomes %v, want %v", got, want)
		}
	}
	hashes := rdb.keys(t, "{acme}:ev:h:*")
	if len(hashes) != 2 {
		t.Fatalf("marker hashes %v, want one per hour (2)", hashes)
	}
	for _, k := range hashes {
		ttl, err := rdb.TTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if ttl < time.Hour || ttl > 2*time.Hour {
			t.Errorf("%s expires in %v, want the dedupe TTL (2h) from now", k, ttl)
		}
	}
	if got := mustRecord(t, s, msg(c, "EvB", "UBOB00001", old.Add(time.Hour), false)); got[0] != engagement.Duplicate {
		t.Errorf("redelivery: %v, want duplicate", got[0])
	}
	w := engagement.WeekOf(old, time.UTC)
	if r := mustReport(t, s, c, w.String()); r.Messages != 2 {
		t.Errorf("%d messages, want 2", r.Messages)
	}
}
