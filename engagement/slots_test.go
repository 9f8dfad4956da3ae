package engagement_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/redis/go-redis/v9"
)

// TestCommunitiesSpreadOverSlots records into many communities in one
// batch. On a Redis Cluster (CLOSEKNIT_TEST_REDIS_URL with ?addr=…) their
// keys land on different masters, and every script must stay within its
// community's hash slot or Redis refuses it with CROSSSLOT; on one server
// it checks the same counts and the hash tag in every key name.
func TestCommunitiesSpreadOverSlots(t *testing.T) {
	t.Parallel()
	s, rdb := MustOpenStore(t, engagement.Options{})
	var communities []*engagement.Community
	var events []engagement.Event
	for i := range 12 {
		c := &engagement.Community{ID: fmt.Sprintf("brand%02d", i), Channel: "C05R8T2KLMN", Location: time.UTC, Cap: 100}
		communities = append(communities, c)
		for j := range i + 1 {
			user := fmt.Sprintf("U%08d", j%3)
			events = append(events,
				msg(c, fmt.Sprintf("Ev%02d-%02d", i, j), user, at.Add(time.Duration(j)*time.Minute), j%2 == 1),
				reaction(c, fmt.Sprintf("Er%02d-%02d", i, j), engagement.KindReactionAdded, user, fmt.Sprintf("1.%d", j), "tada", at))
		}
	}
	for i, o := range mustRecord(t, s, events...) {
		if o != engagement.Counted {
			t.Fatalf("event %s: %v, want counted", events[i].ID, o)
		}
	}
	for i, c := range communities {
		r := mustReport(t, s, c, "2026-W47")
		if r.Messages != int64(i+1) || r.Reactions != int64(i+1) {
			t.Errorf("%s: %d messages %d reactions, want %d each", c.ID, r.Messages, r.Reactions, i+1)
		}
	}
	keys := rdb.keys(t, "*")
	for _, k := range keys {
		if !strings.Contains(k, ":{brand") {
			t.Errorf("key %s has no community hash tag", k)
		}
	}
	cc, ok := rdb.UniversalClient.(*redis.ClusterClient)
	if !ok {
		return
	}
	ctx := context.Background()
	masters := map[string]int{}
	for _, k := range keys {
		slot := cc.ClusterKeySlot(ctx, k).Val()
		nodes, err := cc.ClusterShards(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range nodes {
			for _, r := range sh.Slots {
				if slot >= r.Start && slot <= r.End {
					masters[fmt.Sprint(sh.Nodes[0].Port)]++
				}
			}
		}
	}
	if len(masters) < 2 {
		t.Errorf("keys of 12 communities on %d master(s) %v: want them spread", len(masters), masters)
	}
	// ScanKeys must see every master's keys: compare with a per-slot count.
	var want int64
	seen := map[int64]bool{}
	for _, k := range keys {
		slot := cc.ClusterKeySlot(ctx, k).Val()
		if !seen[slot] {
			seen[slot] = true
			want += cc.ClusterCountKeysInSlot(ctx, int(slot)).Val()
		}
	}
	if int64(len(keys)) != want {
		t.Errorf("ScanKeys found %d keys, the slots hold %d", len(keys), want)
	}
	t.Logf("keys of 12 communities over masters (port: keys) %v", masters)
}
