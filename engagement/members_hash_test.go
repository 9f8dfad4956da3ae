package engagement_test

import (
	"context"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
)

// TestMemberCountersHash: member counters go to the week's members hash,
// which Redis keeps as a hash table (never a listpack it would scan per
// field), and a week counted across the upgrade, with some counters still
// in the week hash as earlier releases wrote them, reports their sum.
func TestMemberCountersHash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, rdb := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	week := rdb.ns + ":{acme}:w:2026-W47"
	// as a release before the members hash counted an earlier message
	if err := rdb.HSet(ctx, week, "messages", 1, "m:UALICE001:messages", 1).Err(); err != nil {
		t.Fatal(err)
	}
	mustRecord(t, s, msg(c, "Ev1", "UALICE001", at, false), msg(c, "Ev2", "UALICE001", at.Add(time.Minute), true))
	if enc, err := rdb.ObjectEncoding(ctx, week+":members").Result(); err != nil || enc != "hashtable" {
		t.Errorf("members hash encoding %q (%v), want hashtable", enc, err)
	}
	r := mustReport(t, s, c, "2026-W47")
	if r.Messages != 3 || len(r.Members) != 1 || r.Members[0] != (engagement.MemberCounts{User: "UALICE001", Messages: 3, ThreadReplies: 1}) {
		t.Errorf("report %d messages, members %+v; want 3, UALICE001 with 3 messages and 1 reply", r.Messages, r.Members)
	}
}
