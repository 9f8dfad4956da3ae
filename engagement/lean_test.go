package engagement_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// TestLeanMatchesFull: the lean columns (scripts.go leanBody) leave Redis
// exactly as the full layout does, event by event and key by key. Two
// stores record the same random batches: posts and replies (some to last
// week's posts, some by staff, some with an unknown parent), reactions on
// them, a member who opted out and one whose intro is pending (both sent
// again in the full layout, code 4), and redeliveries, within a batch and
// across batches. One counts messages in the lean columns, the other in
// the full layout as earlier releases did.
func TestLeanMatchesFull(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	lean, leanRedis := MustOpenStore(t, engagement.Options{})
	full, fullRedis := MustOpenStore(t, engagement.Options{})
	engagement.NoLean(full)
	c := testCommunity(t, "UTC")
	c.Staff = []string{"USTAFF001"}
	users := []string{"UALICE001", "UBOB00001", "UCAROL001", "UOPTOUT01", "UNEWBIE01", "USTAFF001", "UDAVE0001"}
	start := at.Add(-2 * time.Hour)
	for _, r := range []*testRedis{leanRedis, fullRedis} {
		r.seat(t, c, users...)
		// one salt, so that both name members by the same pseudonyms
		if err := r.Set(ctx, r.ns+":{acme}:salt", "7U2NZWT37XVDHIBUBWTQJA4HR7", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := r.SAdd(ctx, r.ns+":{acme}:optout", "UOPTOUT01").Err(); err != nil {
			t.Fatal(err)
		}
		// UNEWBIE01 was seated and welcomed just before: their first post is their intro.
		if err := r.ZAdd(ctx, r.ns+":{acme}:intro:pending", redis.Z{Score: float64(start.UnixMilli()), Member: "UNEWBIE01"}).Err(); err != nil {
			t.Fatal(err)
		}
	}

	rng := rand.New(rand.NewPCG(7, 15))
	type post struct {
		ts, user string
	}
	var posts []post
	// Last week's posts, which replies and reactions may answer.
	for i := range 5 {
		t0 := start.Add(-7*24*time.Hour + time.Duration(i)*time.Minute)
		posts = append(posts, post{engagement.FormatTS(t0), users[i%3]})
	}
	var sent []engagement.Event
	var batches [][]engagement.Event
	for b := 0; b < 40; b++ {
		var batch []engagement.Event
		for range 1 + rng.IntN(30) {
			n := len(sent)
			t0 := start.Add(time.Duration(n) * 7 * time.Second)
			user := users[rng.IntN(len(users))]
			id := fmt.Sprintf("Ev%04d", n)
			var e engagement.Event
			switch r := rng.IntN(100); {
			case r < 6 && n > 0: // a redelivery of an earlier event, maybe of this batch
				e = sent[rng.IntN(n)]
				batch = append(batch, e)
				continue
			case r < 55 || len(posts) == 0:
				e = msg(c, id, user, t0, false)
				e.TS = engagement.FormatTS(t0)
				posts = append(posts, post{e.TS, user})
			case r < 85:
				p := posts[rng.IntN(len(posts))]
				e = msg(c, id, user, t0, true)
				e.TS, e.ThreadTS, e.ParentUser = engagement.FormatTS(t0), p.ts, p.user
				if rng.IntN(5) == 0 {
					e.ParentUser = "" // unknown: the stored post names the author
				}
				e.OnPersonsPost = true
			default:
				p := posts[rng.IntN(len(posts))]
				e = engagement.Event{ID: id, Community: c, Kind: engagement.KindReactionAdded, User: user, At: t0,
					ItemTS: p.ts, ItemUser: p.user, Reaction: []string{"eyes", "heart"}[rng.IntN(2)], OnPersonsPost: true}
			}
			sent = append(sent, e)
			batch = append(batch, e)
		}
		batches = append(batches, batch)
	}

	intros, dups := 0, 0
	for i, batch := range batches {
		a, errA := lean.Record(ctx, batch)
		b, errB := full.Record(ctx, batch)
		if errA != nil || errB != nil {
			t.Fatalf("batch %d: lean %v, full %v", i, errA, errB)
		}
		for j := range batch {
			if a[j] != b[j] {
				t.Errorf("batch %d, event %s: lean %+v, full %+v", i, batch[j].ID, a[j], b[j])
			}
			if a[j].Intro {
				intros++
			}
			if a[j].Outcome == engagement.Duplicate {
				dups++
			}
		}
	}
	if intros != 1 || dups == 0 {
		t.Errorf("%d intros and %d redeliveries: want 1 and some", intros, dups)
	}
	got, want := dumpKeys(t, leanRedis), dumpKeys(t, fullRedis)
	if len(want) < 10 {
		t.Fatalf("the full layout wrote %d keys: the test recorded nothing", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Redis after the lean columns (-full +lean):\n%s", diff)
	}
	r := mustReport(t, lean, c, engagement.WeekOf(at, time.UTC).String())
	if r.Messages == 0 || r.ThreadReplies == 0 || r.Reactions == 0 {
		t.Errorf("report %+v: want messages, replies and reactions", r)
	}
}

// dumpKeys reads every key of the test's namespace (prefix cut) as text:
// a hash's fields but the one that keeps it wide (scripts.go), a set's
// members sorted, a sorted set's members and scores, a string.
func dumpKeys(t *testing.T, r *testRedis) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, k := range r.keys(t, "*") {
		var v string
		switch typ := r.Type(ctx, k).Val(); typ {
		case "hash":
			h, _ := r.hash(k)
			v = fmt.Sprint(h)
		case "set":
			m := r.SMembers(ctx, k).Val()
			slices.Sort(m)
			v = strings.Join(m, " ")
		case "zset":
			v = fmt.Sprint(r.ZRangeWithScores(ctx, k, 0, -1).Val())
		case "string":
			v = r.Get(ctx, k).Val()
		default:
			v = typ
		}
		out[strings.TrimPrefix(k, r.ns)] = v
	}
	return out
}
