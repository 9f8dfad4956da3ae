package digest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/chart"
	"github.com/closeknit/closeknit/engagement/redistest"
)

// benchCommunity records 52 weeks of a 100-member community (about 300
// messages, a third of them replies, and 400 reactions a week) and returns
// the store and the last of those weeks.
func benchCommunity(b *testing.B) (*engagement.Store, *engagement.Community, engagement.Week) {
	rdb := redistest.Client(b, redistest.URL())
	ns := fmt.Sprintf("cktest-digestbench-%d", os.Getpid())
	b.Cleanup(func() { redistest.DeleteKeys(b, rdb, ns+":*"); rdb.Close() })
	loc, _ := time.LoadLocation("America/Los_Angeles")
	last := engagement.Week{Year: 2026, Num: 47}
	now := last.End(loc).Add(9 * time.Hour)
	s := engagement.NewStore(rdb, engagement.Options{Namespace: ns, Now: func() time.Time { return now }})
	ctx := context.Background()
	if err := s.LoadScripts(ctx); err != nil {
		b.Fatal(err)
	}
	c := &engagement.Community{ID: "bench", Channel: "C05R8T2KLMN", Location: loc, Cap: 120, BrandChannel: "C0BRAND0001", Staff: []string{"U0STAFF0001"}}
	rng := rand.New(rand.NewPCG(1, 2))
	user := func() string { return fmt.Sprintf("U%08d", rng.IntN(100)) }
	ts := engagement.FormatTS
	id := 0
	next := func() string { id++; return fmt.Sprintf("Ev%07d", id) }
	var batch []engagement.Event
	flush := func() {
		if _, err := s.Record(ctx, batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	for i := range 100 {
		batch = append(batch, engagement.Event{ID: next(), Community: c, Kind: engagement.KindMemberJoined, User: fmt.Sprintf("U%08d", i), At: now.AddDate(-1, 0, 0)})
	}
	w := last
	for range 52 {
		start := w.Start(loc)
		type post struct {
			at   time.Time
			user string
		}
		var posts []post
		for range 200 {
			at, u := start.Add(time.Duration(rng.IntN(7*24*3600))*time.Second), user()
			posts = append(posts, post{at, u})
			batch = append(batch, engagement.Event{ID: next(), Community: c, Kind: engagement.KindMessage, User: u, At: at, TS: ts(at)})
		}
		for range 100 {
			p := posts[rng.IntN(len(posts))]
			at := p.at.Add(time.Duration(rng.IntN(48*3600)) * time.Second)
			batch = append(batch, engagement.Event{ID: next(), Community: c, Kind: engagement.KindMessage, User: user(), At: at, TS: ts(at),
				Reply: true, ThreadTS: ts(p.at), ParentUser: p.user})
		}
		for range 400 {
			p := posts[rng.IntN(len(posts))]
			batch = append(batch, engagement.Event{ID: next(), Community: c, Kind: engagement.KindReactionAdded, User: user(),
				At: p.at.Add(time.Hour), ItemTS: ts(p.at), ItemUser: p.user, Reaction: "heart"})
		}
		flush()
		w = w.Prev()
	}
	return s, c, last
}

// BenchmarkDigest52Weeks builds the weekly digest of a community with 52
// weeks of history: KPIs from Redis and the Block Kit message, then also
// the chart.
func BenchmarkDigest52Weeks(b *testing.B) {
	s, c, w := benchCommunity(b)
	ctx := context.Background()
	b.Run("text", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			k, err := s.KPIs(ctx, c, w, engagement.KPIOptions{})
			if err != nil || k.Messages == 0 {
				b.Fatal(err, k.Messages)
			}
			_ = messageBlocks(k)
		}
	})
	b.Run("with_chart", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			k, err := s.KPIs(ctx, c, w, engagement.KPIOptions{})
			if err != nil {
				b.Fatal(err)
			}
			_ = messageBlocks(k)
			if _, err := chart.PNG(ctx, c.ID, k.History); err != nil {
				b.Fatal(err)
			}
		}
	})
}
