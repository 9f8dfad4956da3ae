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

// TestHotHashesAreHashTables: the hashes a counting call reads and writes
// by the dozen, the week's members, posts and answers and the hour's
// dedupe markers, are hash tables from their first write: as listpacks
// (up to 512 short fields by default) each field missing from them, a new
// marker or post, costs Redis a scan of the whole hash.
func TestHotHashesAreHashTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, rdb := MustOpenStore(t, engagement.Options{})
	c := testCommunity(t, "UTC")
	mustRecord(t, s, post(c, "Ev1", "UALICE001", at), reply(c, "Ev2", "UBOB00001", at.Add(time.Minute), at, "UALICE001"))
	week := rdb.ns + ":{acme}:w:2026-W47"
	hot := append([]string{week + ":members", week + ":posts", week + ":answers"}, rdb.keys(t, "{acme}:ev:h:*")...)
	if len(hot) != 4 {
		t.Fatalf("hashes %v, want the week's three and one dedupe hash", hot)
	}
	for _, k := range hot {
		if enc, err := rdb.ObjectEncoding(ctx, k).Result(); err != nil || enc != "hashtable" {
			t.Errorf("%s: encoding %q (%v), want hashtable", k, enc, err)
		}
	}
}
