package sandbox

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/closeknit/closeknit/cmd/closeknit/internal/redisconn"
	"github.com/closeknit/closeknit/cmd/closeknit/internal/sim"
	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// The sandbox's digest: it plays several weeks (so the digest has
// week-over-week changes), then posts the weekly digest into the
// emulator's brand channel as it would go out at the simulated time (the
// Monday 09:00 after the last played week, in the community's zone), and
// writes the digest (Markdown) and its chart (PNG) to an output folder.

type digestFlags struct {
	weeks *int
	out   *string
}

func bindDigestFlags(fs *flag.FlagSet) *digestFlags {
	return &digestFlags{
		weeks: fs.Int("weeks", 4, "weeks to simulate, the last one complete before today; the digest covers the last"),
		out:   fs.String("out", "", "folder for the digest (digest.md) and its chart (chart.png); default a new temporary folder"),
	}
}

// playEarlierWeeks plays the weeks before last (f.weeks-1 of them, oldest
// first), each a little quieter than the next, and waits until every
// envelope is acked.
func playEarlierWeeks(ctx context.Context, f *digestFlags, srv *slacktest.Server, c *engagement.Community, last engagement.Week, members, messages int, seed uint64, stdout io.Writer) error {
	n := max(*f.weeks, 1) - 1
	rng := rand.New(rand.NewPCG(seed, 43))
	w := last
	weeks := make([]engagement.Week, n)
	for i := n - 1; i >= 0; i-- {
		w = w.Prev()
		weeks[i] = w
	}
	for i, w := range weeks {
		volume := max(1, messages*(6+i*4/max(n, 1))/10) // 60% of the last week's, rising
		played := sim.NewWeek(srv, c, w, members, volume, rng)
		for _, env := range played.Envelopes {
			if err := srv.SendEnvelope(env); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "  earlier week %s: %d messages, %d reactions\n", w, played.Messages, played.Reactions)
	}
	if n == 0 {
		return nil
	}
	ackCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := srv.WaitAllAcked(ackCtx); err != nil {
		return fmt.Errorf("sandbox: earlier weeks not acked: %w", err)
	}
	fmt.Fprintln(stdout)
	return nil
}

// postDigest posts the digest of week as of the Monday 09:00 after
// it and writes it, with the chart the emulator received, to the output
// folder.
func postDigest(ctx context.Context, f *digestFlags, cfg App, srv *slacktest.Server, c *engagement.Community, week engagement.Week, stdout io.Writer) error {
	next := engagement.WeekOf(week.End(c.Location), c.Location)
	at := engagement.DefaultDigestAt.In(next, c.Location)
	rdb, err := redisconn.Open(ctx, cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	store := engagement.NewStore(rdb, engagement.Options{Namespace: cfg.Namespace, Now: func() time.Time { return at }})
	app, err := slackapp.New(slackapp.Config{AppToken: cfg.AppToken, BotToken: cfg.BotToken, APIURL: cfg.APIURL,
		Communities: cfg.Communities}, store, nil, nil)
	if err != nil {
		return err
	}
	if _, covered := engagement.DefaultDigestAt.Last(at, c.Location); covered != week {
		return fmt.Errorf("sandbox: the digest due at %v covers %s, not %s", at, covered, week)
	}
	ts, err := app.SendDigest(ctx, c, week)
	if err != nil {
		return fmt.Errorf("sandbox: digest: %w", err)
	}
	k, err := app.KPIs(ctx, c, week)
	if err != nil {
		return err
	}
	dir := *f.out
	if dir == "" {
		if dir, err = os.MkdirTemp("", "closeknit-sandbox-digest-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "digest.md"), []byte(slackapp.DigestMarkdown(k, false)), 0o644); err != nil {
		return err
	}
	wrote := "digest.md"
	for _, file := range srv.Files() {
		if file.Completed && file.ThreadTS == ts {
			if err := os.WriteFile(filepath.Join(dir, "chart.png"), file.Data, 0o644); err != nil {
				return err
			}
			wrote += " and chart.png"
		}
	}
	fmt.Fprintf(stdout, "\nWeekly digest of %s posted to the brand channel %s as at %s (message %s):\n",
		week, c.BrandChannel, at.Format("Mon 2 Jan 2006 15:04 MST"), ts)
	fmt.Fprintf(stdout, "  %d messages (%d the week before), %d active posters, median response %.0f s, %d awaiting an answer\n",
		k.Messages, k.MessagesPrevWeek, k.ActivePosters, k.ResponseTimeMedianSeconds, len(k.Unanswered))
	fmt.Fprintf(stdout, "  wrote %s to %s\n", wrote, dir)
	return nil
}
