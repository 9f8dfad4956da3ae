// Package sandbox is `closeknit sandbox`: the real app against the built-in
// Slack emulator and an embedded Redis (or REDIS_URL), playing a simulated
// community (package sim), then the week's report and digest. Nothing
// needs installing and nothing reaches the internet.
package sandbox

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/closeknit/closeknit/cmd/closeknit/internal/redisconn"
	"github.com/closeknit/closeknit/cmd/closeknit/internal/sim"
	"github.com/closeknit/closeknit/cmd/closeknit/internal/tables"
	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// App is the configuration the sandbox runs the app with: the emulator's
// tokens and URL, a Redis, one community.
type App struct {
	AppToken, BotToken, APIURL    string
	RedisURL, Namespace, HTTPAddr string
	Communities                   []*engagement.Community
	DigestAt                      string
}

// Serve runs the app as `closeknit serve` does until ctx ends, logging to
// logw; ready receives the metrics address once it listens.
type Serve func(ctx context.Context, app App, logw io.Writer, ready chan<- string) error

// Run plays a simulated week of a community through the app that serve
// runs and prints the week's report.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, serve Serve) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	members := fs.Int("members", 100, "community members")
	messages := fs.Int("messages", 1100, "human messages in the simulated week (about a third are thread replies)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed plays the same week")
	tz := fs.String("timezone", "America/New_York", "the community's IANA time zone")
	keep := fs.Bool("keep-running", false, "keep the emulator and the app running after the week, until Ctrl-C")
	logs := fs.Bool("logs", false, "show the app's JSON logs on stderr")
	httpAddr := fs.String("http-addr", "127.0.0.1:0", "metrics and health `address` (deploy/compose.yaml's sandbox profile uses :9090 so Prometheus scrapes it)")
	digestFlags := bindDigestFlags(fs) // digest.go
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *members < 2 || *messages < 1 {
		return errors.New("sandbox: need --members ≥ 2 and --messages ≥ 1")
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("--timezone: %q is not a known IANA time zone", *tz)
	}

	slack := &slacktest.Server{}
	if err := slack.Start(); err != nil {
		return err
	}
	defer slack.Close()

	redisURL, namespace := getenv("REDIS_URL"), fmt.Sprintf("closeknit-sandbox-%d", time.Now().Unix())
	if redisURL == "" {
		mr := miniredis.NewMiniRedis()
		if err := mr.Start(); err != nil {
			return fmt.Errorf("sandbox: embedded redis: %w", err)
		}
		defer mr.Close()
		redisURL, namespace = "redis://"+mr.Addr(), "closeknit"
		// miniredis expires keys only when told time passed: without this,
		// a key that lasts a second (a card's update turn, a lease) would
		// last for ever.
		stopClock := make(chan struct{})
		defer close(stopClock) // before mr.Close
		go func() {
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stopClock:
					return
				case <-tick.C:
					mr.FastForward(50 * time.Millisecond)
				}
			}
		}()
	}
	community := &engagement.Community{ID: "sandbox", Channel: "C05R8T2KLMN", Location: loc, Cap: *members, BrandChannel: "C07BRAND001", Staff: []string{sim.Staff},
		PromptAt: sim.PromptAt(time.Now(), loc)} // due at once: the prompt goes out when the app starts
	cfg := App{
		AppToken: slack.AppToken, BotToken: slack.BotToken, APIURL: slack.APIURL(),
		RedisURL: redisURL, Namespace: namespace, HTTPAddr: *httpAddr,
		Communities: []*engagement.Community{community},
		DigestAt:    "off", // posted at the simulated time instead (digest.go)
	}
	sim.SeedMembership(slack, community, *members)
	rdb, err := redisconn.Open(ctx, redisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	store := engagement.NewStore(rdb, engagement.Options{Namespace: namespace})
	prompt := &sim.PromptStory{Srv: slack, Store: store, C: community, Out: stdout}
	if err := prompt.Queue(ctx); err != nil { // queued before the app's first prompt job
		return err
	}
	logw := io.Discard
	if *logs {
		logw = stderr
	}

	appCtx, stopApp := context.WithCancel(ctx)
	defer stopApp()
	ready := make(chan string, 1)
	appErr := make(chan error, 1)
	go func() { appErr <- serve(appCtx, cfg, logw, ready) }()
	var metricsAddr string
	select {
	case metricsAddr = <-ready:
	case err := <-appErr:
		return fmt.Errorf("sandbox: app did not start: %w", err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := slack.WaitConnections(waitCtx, 1); err != nil {
		return fmt.Errorf("sandbox: app did not connect to the emulator: %w", err)
	}

	story := &sim.MembershipStory{Srv: slack, Store: store, C: community, Out: stdout}
	if err := story.Prepare(ctx, *members, 6); err != nil {
		return err
	}

	week := engagement.WeekOf(time.Now(), loc).Prev() // the last complete week
	if err := playEarlierWeeks(ctx, digestFlags, slack, community, week, *members, *messages, *seed, stdout); err != nil {
		return err
	}
	played := sim.NewWeek(slack, community, week, *members, *messages, rand.New(rand.NewPCG(*seed, 42)))
	fmt.Fprintf(stdout, "closeknit sandbox: a %d-member community in %s, simulated week %s\n", *members, loc, week)
	fmt.Fprintf(stdout, "  playing %d envelopes: %d human messages (%d thread replies), %d reactions (%d removed), %d joins,\n",
		len(played.Envelopes)+played.Redelivered, played.Messages, played.Replies, played.Reactions, played.Removed, played.Joins)
	fmt.Fprintf(stdout, "  %d bot and system messages to ignore, and %d redeliveries to count only once\n\n", played.Ignored, played.Redelivered)

	start := time.Now()
	for i, env := range played.Envelopes {
		if err := slack.SendEnvelope(env); err != nil {
			return err
		}
		if played.Redeliver[i] {
			// Slack redelivering: the same event in a new envelope.
			dup := bytes.Replace(env.Frame, []byte(env.ID), []byte(slack.NewEnvelopeID()), 1)
			if err := slack.Send(dup); err != nil {
				return err
			}
		}
	}
	ackCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := slack.WaitAllAcked(ackCtx); err != nil {
		return fmt.Errorf("sandbox: not every envelope was acked: %w (un-acked: %d)", err, len(slack.Unacked()))
	}
	fmt.Fprintf(stdout, "  every envelope acked in %v\n\n", time.Since(start).Round(time.Millisecond))

	r, err := store.Report(ctx, community, week)
	if err != nil {
		return err
	}
	tables.Report(stdout, r)
	if r.Messages != int64(played.Messages) || r.ThreadReplies != int64(played.Replies) || r.Reactions != int64(played.Reactions-played.Removed) {
		return fmt.Errorf("sandbox: counts differ from what was played: messages %d/%d, replies %d/%d, reactions %d/%d",
			r.Messages, played.Messages, r.ThreadReplies, played.Replies, r.Reactions, played.Reactions-played.Removed)
	}
	fmt.Fprintln(stdout, "The counts match what was played: nothing lost, nothing counted twice.")
	fmt.Fprintln(stdout)
	if err := story.Live(ctx, *members); err != nil {
		return err
	}
	if err := played.Prototypes.Play(ctx, slack, community, engagement.NewStore(rdb, engagement.Options{Namespace: namespace}), stdout); err != nil {
		return err
	}
	if err := prompt.Play(ctx, rand.New(rand.NewPCG(*seed, 7))); err != nil {
		return err
	}
	shoutouts := &sim.ThanksStory{Srv: slack, Store: store, C: community, Out: stdout}
	if err := shoutouts.Play(ctx, rand.New(rand.NewPCG(*seed, 8))); err != nil {
		return err
	}
	requests := &sim.RequestStory{Srv: slack, Store: store, C: community, Out: stdout}
	if err := requests.Play(ctx); err != nil {
		return err
	}
	voice := &sim.Voice{Srv: slack, Store: store, C: community, Out: stdout, Rng: rand.New(rand.NewPCG(*seed, 44))}
	if err := voice.Play(ctx); err != nil {
		return err
	}
	if err := voiceDigest(ctx, store, community, stdout); err != nil {
		return err
	}
	if err := postDigest(ctx, digestFlags, cfg, slack, community, week, stdout); err != nil {
		return err
	}

	if *keep {
		exe, _ := os.Executable()
		// Never the password: the banner ends up in terminals, scrollback
		// and pasted bug reports.
		shown, reportURL := redisconn.Redacted(redisURL), redisconn.Redacted(redisURL)
		if shown != redisURL {
			reportURL = `"$REDIS_URL"`
		}
		fmt.Fprintf(stdout, "\nStill running (Ctrl-C to stop):\n  Slack emulator  %s\n  metrics         http://%s/metrics  (also /healthz, /readyz)\n  Redis           %s (namespace %s)\n",
			slack.APIURL(), metricsAddr, shown, namespace)
		fmt.Fprintf(stdout, "  report          REDIS_URL=%s CLOSEKNIT_NAMESPACE=%s CLOSEKNIT_COMMUNITY=sandbox CLOSEKNIT_CHANNEL=C05R8T2KLMN CLOSEKNIT_TIMEZONE=%s %s report --week %s\n",
			reportURL, namespace, loc, filepath.Base(exe), week)
		<-ctx.Done()
	}
	stopApp()
	if err := <-appErr; err != nil {
		return fmt.Errorf("sandbox: app: %w", err)
	}
	return nil
}
