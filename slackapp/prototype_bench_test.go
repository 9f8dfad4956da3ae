package slackapp_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
)

// BenchmarkIngestReactions pushes b.N reaction envelopes through the whole
// path (emulator -> WebSocket -> decode -> Redis -> ack) while a prototype
// is open in the channel:
//
//   - ordinary: reactions on an hour-old ordinary message, which the card
//     index proves is no prototype, so the prototype script never runs;
//   - card: reactions on the prototype card itself (one script more each).
//
// Compare "ordinary" with BenchmarkIngest's messages and with the same
// benchmark on a build without the prototype feature.
func BenchmarkIngestReactions(b *testing.B) {
	for _, target := range []string{"ordinary", "card"} {
		b.Run(target, func(b *testing.B) {
			srv := slacktest.NewServer(b, benchCalm)
			ta := MustRunApp(b, srv, nil)
			ctx := ctxT(b)
			_, cardTS, err := ta.API().PostMessageContext(ctx, channel, slack.MsgOptionText("card", false))
			if err != nil {
				b.Fatal(err)
			}
			spec := engagement.PrototypeSpec{Name: "Bench", Question: "?", Reactions: engagement.DefaultReactions, OpenFor: 24 * time.Hour}
			if _, err := ta.store.CreatePrototype(ctx, ta.community, spec, time.Time{}, channel, cardTS); err != nil {
				b.Fatal(err)
			}
			item := tsOf(time.Now().Add(-time.Hour))
			if target == "card" {
				item = cardTS
			}
			now := time.Now()
			frames := make([][]byte, b.N)
			ids := make([]string, b.N)
			seats := make([]redis.Z, b.N)
			for i := range b.N {
				// Distinct seated people, so each reaction counts (only
				// seated members' feedback does).
				user := fmt.Sprintf("U%09d", i)
				seats[i] = redis.Z{Score: float64(now.UnixMilli()), Member: user}
				env := srv.Event(reactionEv(user, "heart_eyes", item, true, now.Add(time.Duration(i)*time.Microsecond)))
				frames[i], ids[i] = env.Frame, env.ID
			}
			if err := ta.rdb.ZAdd(ctx, ta.ns+":{"+ta.community.ID+"}:seats", seats...).Err(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			res, err := srv.Burst(ctx, frames, ids, 64)
			b.StopTimer()
			if err != nil || res.Acked != b.N {
				b.Fatalf("acked %d of %d: %v", res.Acked, b.N, err)
			}
			b.ReportMetric(float64(b.N)/res.Elapsed.Seconds(), "events/s")
			r, err := ta.store.PrototypeResultsByTS(ctx, ta.community, cardTS, 0)
			if err != nil {
				b.Fatal(err)
			}
			want := int64(0)
			if target == "card" {
				want = int64(b.N)
			}
			if got := r.Summary.Reactions["heart_eyes"]; got != want {
				b.Fatalf("card tallied %d reactions, want %d", got, want)
			}
			scripts, _, err := ta.rdb.Scan(ctx, 0, ta.ns+":{acme}:ev:*:proto", 1<<20).Result()
			if err != nil {
				b.Fatal(err)
			}
			if target == "ordinary" && len(scripts) != 0 {
				b.Fatalf("the prototype script ran for %d reactions on an ordinary message", len(scripts))
			}
		})
	}
}
