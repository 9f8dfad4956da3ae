package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/closeknit/closeknit/cmd/closeknit/internal/child"
	"github.com/closeknit/closeknit/cmd/closeknit/internal/scrape"
	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/redistest"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// TestMain lets a test start the real program as a child process: the test
// binary re-executed with CLOSEKNIT_TEST_RUN_MAIN=1 is `closeknit` itself.
func TestMain(m *testing.M) {
	if os.Getenv("CLOSEKNIT_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestTwoReplicasUnderFaults runs two `closeknit serve` processes against
// one emulator (which spreads envelopes over their connections) and one
// Redis of the test's own, and while events flow: drops every socket,
// sends refresh_requested, drops them again, and crashes Redis (SIGKILL)
// and starts it again from its append-only file. Afterwards every envelope
// is acked, none was given up on, the counts are exact per member, every
// scheduled job ran and nothing was posted to Slack twice.
func TestTwoReplicasUnderFaults(t *testing.T) {
	t.Parallel()
	rs := redistest.StartServer(t)
	srv := slacktest.NewServer(t)
	srv.AddChannels(replicaChannel, "C07BRAND001")
	srv.Configure(func(s *slacktest.Server) {
		// Slack's schedule compressed from 3 s, +0, +1 min, +5 min.
		s.AckTimeout = time.Second
		s.RetrySchedule = []time.Duration{0, time.Second, 3 * time.Second}
	})
	ns := fmt.Sprintf("cktest-replicas-%d", os.Getpid())
	env := []string{
		"CLOSEKNIT_TEST_RUN_MAIN=1",
		"SLACK_APP_TOKEN=" + srv.AppToken, "SLACK_BOT_TOKEN=" + srv.BotToken, "SLACK_API_URL=" + srv.APIURL(),
		"REDIS_URL=" + rs.URL, "CLOSEKNIT_NAMESPACE=" + ns, "CLOSEKNIT_COMMUNITY=acme",
		"CLOSEKNIT_CHANNEL=" + replicaChannel, "CLOSEKNIT_BRAND_CHANNEL=C07BRAND001", "CLOSEKNIT_STAFF=U0STAFF0001",
		"CLOSEKNIT_SCHEDULER_TICK=200ms", "CLOSEKNIT_LOG_LEVEL=warn", "HTTP_ADDR=127.0.0.1:0",
	}
	replicas := []*replica{startReplica(t, env), startReplica(t, env)}
	waitConns := func(what string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.WaitConnections(ctx, 2); err != nil {
			t.Fatalf("%s: replicas did not (re)connect: %v\n%s\n%s", what, err, replicas[0].logs(), replicas[1].logs())
		}
	}
	waitConns("start")

	play := newPlay(srv)
	chunks := play.chunks(10)
	faults := map[int]func(){
		2: func() { srv.DropConnections(); waitConns("after dropping sockets") },
		4: func() { srv.Disconnect("refresh_requested"); waitConns("after refresh_requested") },
		6: func() { rs.Kill(t) }, // chunk 6 meets a dead Redis
		// Down for longer than the app's Redis retry budget (2.5 s): the
		// envelopes it holds are left un-acked and Slack redelivers them.
		7: func() { time.Sleep(3 * time.Second); rs.Start(t) },
		8: func() { srv.DropConnections(); waitConns("after dropping sockets again") },
	}
	for i, chunk := range chunks {
		if f := faults[i]; f != nil {
			f()
		}
		for _, e := range chunk {
			if err := srv.SendEnvelope(e); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(100 * time.Millisecond) // let events flow while the next fault hits
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := srv.WaitAllAcked(ctx); err != nil {
		t.Fatalf("%v (un-acked %d, lost %d)\n%s\n%s", err, len(srv.Unacked()), len(srv.Lost()), replicas[0].logs(), replicas[1].logs())
	}
	if lost := srv.Lost(); len(lost) != 0 {
		t.Errorf("the emulator gave up on %d envelopes: %v", len(lost), lost)
	}

	// Exact counts, per member, read back from Redis.
	rdb := redistest.Client(t, rs.URL)
	defer rdb.Close()
	c := &engagement.Community{ID: "acme", Channel: replicaChannel, Location: time.UTC, Cap: 100}
	r, err := engagement.NewStore(rdb, engagement.Options{Namespace: ns}).Report(context.Background(), c, play.week)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]engagement.MemberCounts{}
	for _, m := range r.Members {
		got[m.User] = m
	}
	if !maps.Equal(play.want, got) {
		for u, w := range play.want {
			if got[u] != w {
				t.Errorf("member %s: got %+v, want %+v", u, got[u], w)
			}
		}
		for u := range got {
			if _, ok := play.want[u]; !ok {
				t.Errorf("member %s counted, never played", u)
			}
		}
	}
	if r.Messages != play.messages || r.ThreadReplies != play.replies || r.Reactions != play.reactions {
		t.Errorf("totals: %d messages %d replies %d reactions, want %d %d %d",
			r.Messages, r.ThreadReplies, r.Reactions, play.messages, play.replies, play.reactions)
	}

	// Both replicas took part and went through the faults; each job ran.
	waitConns("end")
	jobs := map[string]float64{}     // successful runs over both replicas
	interval := map[string]float64{} // seconds
	for i, rp := range replicas {
		m := rp.scrape(t)
		if v := m.Sum("closeknit_socket_envelopes_total", "outcome", "counted"); v == 0 {
			t.Errorf("replica %d counted no envelope: the emulator should spread them", i)
		}
		if v := m.Sum("closeknit_socket_reconnects_total"); v < 3 {
			t.Errorf("replica %d reconnected %v times, want ≥ 3 (two drops, one refresh)", i, v)
		}
		if v := m.Sum("closeknit_socket_connected"); v != 1 {
			t.Errorf("replica %d: closeknit_socket_connected %v at the end", i, v)
		}
		for _, s := range m {
			switch {
			case s.Name == "closeknit_job_runs_total" && s.Labels["outcome"] == "ok":
				jobs[s.Labels["task"]] += s.Value
			case s.Name == "closeknit_job_interval_seconds":
				interval[s.Labels["task"]] = s.Value
			}
		}
	}
	var redisErrors, failed float64
	for _, rp := range replicas {
		m := rp.scrape(t)
		redisErrors += m.Sum("closeknit_redis_errors_total")
		failed += m.Sum("closeknit_socket_envelopes_total", "outcome", "failed")
	}
	if redisErrors == 0 || failed == 0 {
		t.Errorf("%v Redis errors, %v envelopes left for redelivery: the Redis crash should show in both", redisErrors, failed)
	}
	// Every job ran; one whose interval is longer than this test ran once
	// over both replicas (each replica starts with the job due).
	for job, every := range interval {
		switch runs := jobs[job]; {
		case runs < 1:
			t.Errorf("job %s never ran successfully", job)
		case every > 60 && job != "roster" && runs != 1: // the roster check also runs at every start
			t.Errorf("job %s (every %vs) ran %v times over both replicas, want once", job, every, runs)
		}
	}
	t.Logf("scheduled jobs: successful runs over both replicas %v, intervals %v", jobs, interval)
	// Jobs are idempotent: whatever they post (a digest, a welcome), they
	// post once however many times and on whichever replica they ran.
	seen := map[string]bool{}
	for _, call := range srv.Calls("chat.postMessage") {
		key := call.Args.Get("channel") + "\x00" + call.Args.Get("text") + "\x00" + call.Args.Get("blocks")
		if seen[key] {
			t.Errorf("posted twice to %s: %.200s", call.Args.Get("channel"), call.Args.Get("text"))
		}
		seen[key] = true
	}

	for i, rp := range replicas {
		if err := rp.stop(); err != nil {
			t.Errorf("replica %d did not exit cleanly on SIGTERM: %v\n%s", i, err, rp.logs())
		}
	}
}

const replicaChannel = "C05R8T2KLMN"

// play is the traffic of the test: messages, thread replies, reactions
// added and removed, and redeliveries of some events in new envelopes,
// with the per-member figures it must produce.
type play struct {
	week                         engagement.Week
	envelopes                    []slacktest.Envelope
	want                         map[string]engagement.MemberCounts
	messages, replies, reactions int64
}

func newPlay(srv *slacktest.Server) *play {
	p := &play{week: engagement.Week{Year: 2026, Num: 47}, want: map[string]engagement.MemberCounts{}}
	base := time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC) // Wednesday of 2026-W47
	ts := engagement.FormatTS
	user := func(i int) string { return fmt.Sprintf("U%08d", i%40) }
	var posts []string
	for i := range 1500 {
		at := base.Add(time.Duration(i) * time.Second)
		ev := map[string]any{"type": "message", "user": user(i), "text": "hello", "ts": ts(at), "event_ts": ts(at),
			"channel": replicaChannel, "channel_type": "channel"}
		m := p.want[user(i)]
		m.User = user(i)
		m.Messages++
		p.messages++
		if i%4 == 3 {
			ev["thread_ts"], ev["parent_user_id"] = posts[i/2], user(i/2)
			m.ThreadReplies++
			p.replies++
		} else {
			posts = append(posts, ts(at))
		}
		p.want[user(i)] = m
		p.envelopes = append(p.envelopes, srv.Event(ev))
	}
	for i := range 600 {
		reactor, item := user(i*7+3), posts[i%len(posts)]
		reaction := func(typ string) slacktest.Envelope {
			at := base.Add(time.Hour + time.Duration(i)*time.Second)
			return srv.Event(map[string]any{"type": typ, "user": reactor, "reaction": "tada", "item_user": user(i),
				"item": map[string]any{"type": "message", "channel": replicaChannel, "ts": item}, "event_ts": ts(at)})
		}
		m := p.want[reactor]
		m.User = reactor
		m.Reactions++
		p.reactions++
		p.envelopes = append(p.envelopes, reaction("reaction_added"))
		if i%5 == 0 { // taken back
			m.Reactions--
			p.reactions--
			p.envelopes = append(p.envelopes, reaction("reaction_removed"))
		}
		p.want[reactor] = m
	}
	// Slack redelivering some events in new envelopes: counted once.
	for i := 0; i < len(p.envelopes); i += 20 {
		env := p.envelopes[i]
		frame := bytes.Replace(env.Frame, []byte(env.ID), []byte(srv.NewEnvelopeID()), 1)
		dup, err := slacktest.ParseEnvelope(frame)
		if err != nil {
			panic(err)
		}
		p.envelopes = append(p.envelopes, dup)
	}
	return p
}

// chunks splits the envelopes into n slices, interleaved so that every
// chunk mixes kinds (and a redelivery can arrive before its original).
func (p *play) chunks(n int) [][]slacktest.Envelope {
	out := make([][]slacktest.Envelope, n)
	for i, e := range p.envelopes {
		out[i%n] = append(out[i%n], e)
	}
	return out
}

// replica is one `closeknit serve` child process.
type replica struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan error
}

func startReplica(t *testing.T, env []string) *replica {
	t.Helper()
	rp := &replica{cmd: exec.Command(os.Args[0], "serve"), out: &syncBuffer{}, exited: make(chan error, 1)}
	rp.cmd.Env = append(os.Environ(), env...)
	rp.cmd.Stdout, rp.cmd.Stderr = rp.out, rp.out
	if err := rp.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { rp.exited <- rp.cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-rp.exited:
		default:
			rp.cmd.Process.Kill()
			<-rp.exited
		}
	})
	return rp
}

func (rp *replica) logs() string {
	return fmt.Sprintf("replica %d output:\n%s", rp.cmd.Process.Pid, rp.out.String())
}

func (rp *replica) stop() error {
	rp.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-rp.exited:
		rp.exited <- err // for Cleanup
		return err
	case <-time.After(15 * time.Second):
		return fmt.Errorf("still running 15 s after SIGTERM")
	}
}

// scrape reads the replica's /metrics (its port found from its sockets).
func (rp *replica) scrape(t *testing.T) scrape.Metrics {
	t.Helper()
	u := child.MetricsURL(rp.cmd.Process.Pid)
	if u == "" {
		t.Fatalf("replica %d: no metrics port found", rp.cmd.Process.Pid)
	}
	m, err := scrape.Get(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
