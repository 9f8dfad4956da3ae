package slackapp_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/redistest"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/google/go-cmp/cmp"
)

// fastRetries compresses Slack's redelivery schedule (3 s, +1 min, +5 min)
// so tests see redeliveries in milliseconds.
func fastRetries(s *slacktest.Server) {
	s.AckTimeout = 300 * time.Millisecond
	s.RetrySchedule = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
}

// sendAll sends the envelopes and waits until every one is acked.
func sendAll(tb testing.TB, srv *slacktest.Server, envs []slacktest.Envelope) {
	tb.Helper()
	for _, env := range envs {
		if err := srv.SendEnvelope(env); err != nil {
			tb.Fatal(err)
		}
	}
	if err := srv.WaitAllAcked(ctxT(tb)); err != nil {
		tb.Fatalf("not all acked: %v; un-acked %v, lost %v", err, srv.Unacked(), srv.Lost())
	}
}

// redelivery is env as Slack redelivers it: the same event in a new
// envelope, retry_attempt 1.
func redelivery(srv *slacktest.Server, env slacktest.Envelope) slacktest.Envelope {
	frame := bytes.Replace(env.Frame, []byte(env.ID), []byte(srv.NewEnvelopeID()), 1)
	frame = bytes.Replace(frame, []byte(`"retry_attempt":0`), []byte(`"retry_attempt":1`), 1)
	e, err := slacktest.ParseEnvelope(frame)
	if err != nil {
		panic(err)
	}
	return e
}

// base is Wednesday 2026-11-18 12:00 UTC, in 2026-W47.
var base = time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC)

var w47 = engagement.Week{Year: 2026, Num: 47}

type totals struct {
	Messages, ThreadReplies, Reactions, Posters, Participants int64
}

func totalsOf(r *engagement.Report) totals {
	return totals{r.Messages, r.ThreadReplies, r.Reactions, r.ActivePosters, r.ActiveParticipants}
}

func TestCountsOnceUnderDuplicateDeliveries(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, nil)
	var envs []slacktest.Envelope
	for i := range 30 {
		thread := ""
		if i%3 == 2 {
			thread = tsOf(base)
		}
		envs = append(envs, srv.Event(message(fmt.Sprintf("U%08d", i%5), base.Add(time.Duration(i)*time.Second), thread)))
	}
	envs = append(envs, srv.Event(map[string]any{"type": "reaction_added", "user": "U00000009", "reaction": "heart",
		"item": map[string]any{"type": "message", "channel": channel, "ts": tsOf(base)}, "event_ts": tsOf(base.Add(time.Minute))}))
	sendAll(t, srv, envs)
	// Every envelope again, as Slack's retries would deliver them.
	var again []slacktest.Envelope
	for _, env := range envs {
		again = append(again, redelivery(srv, env))
	}
	sendAll(t, srv, again)
	want := totals{Messages: 30, ThreadReplies: 10, Reactions: 1, Posters: 5, Participants: 6}
	if diff := cmp.Diff(want, totalsOf(ta.report(t, w47))); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	if got := metricValue(t, ta, "closeknit_socket_envelopes_total", "type=events_api", "outcome=duplicate"); got != 31 {
		t.Errorf("duplicate envelopes %v, want 31", got)
	}
}

func TestBotsAndSystemMessagesAreNotCounted(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, nil)
	ts := tsOf(base.Add(time.Hour))
	withTS := func(m map[string]any) map[string]any {
		m["ts"], m["event_ts"], m["channel"] = ts, ts, channel
		return m
	}
	envs := []slacktest.Envelope{
		srv.Event(withTS(map[string]any{"type": "message", "subtype": "bot_message", "bot_id": "B0OTHER0001", "text": "x"})),
		srv.Event(withTS(map[string]any{"type": "message", "user": srv.BotUserID, "bot_id": srv.BotID, "text": "welcome"})), // the app itself
		srv.Event(withTS(map[string]any{"type": "message", "subtype": "channel_join", "user": "U00000001", "text": "joined"})),
		srv.Event(withTS(map[string]any{"type": "message", "subtype": "channel_leave", "user": "U00000001", "text": "left"})),
		srv.Event(withTS(map[string]any{"type": "message", "subtype": "message_changed", "hidden": true,
			"message": map[string]any{"type": "message", "user": "U00000001", "text": "edited", "ts": ts}})),
		srv.Event(withTS(map[string]any{"type": "message", "subtype": "message_deleted", "hidden": true, "deleted_ts": ts})),
		srv.Event(map[string]any{"type": "message", "user": "U00000001", "text": "elsewhere", "ts": ts, "event_ts": ts, "channel": "C0OTHER0001"}),
		srv.Event(map[string]any{"type": "reaction_added", "user": srv.BotUserID, "reaction": "+1", // the app's seeded reaction
			"item": map[string]any{"type": "message", "channel": channel, "ts": ts}, "event_ts": ts}),
		srv.Event(map[string]any{"type": "app_mention", "user": "U00000001", "text": "<@U07F4M2BX9Q> hi", "ts": ts, "event_ts": ts, "channel": channel}),
		// One real message, so the test shows counting works at all.
		srv.Event(message("U00000002", base, "")),
	}
	sendAll(t, srv, envs)
	if diff := cmp.Diff(totals{Messages: 1, Posters: 1, Participants: 1}, totalsOf(ta.report(t, w47))); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
}

func TestMalformedFramesAreRejectedAndChangeNothing(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, nil)
	id := func() string { return srv.NewEnvelopeID() }
	tracked := map[string][]byte{ // acked: they carry an envelope_id, and retrying cannot help
		"unknown envelope type": []byte(`{"envelope_id":"` + id() + `","type":"mystery","payload":{}}`),
		"no event_id":           []byte(`{"envelope_id":"` + id() + `","type":"events_api","payload":{"event":{"type":"message","user":"U00000001","ts":"` + tsOf(base) + `","channel":"` + channel + `"}}}`),
		"unknown event type":    []byte(`{"envelope_id":"` + id() + `","type":"events_api","payload":{"event_id":"EvX1","event":{"type":"pin_added","user":"U00000001"}}}`),
		"bad ts":                []byte(`{"envelope_id":"` + id() + `","type":"events_api","payload":{"event_id":"EvX2","event":{"type":"message","user":"U00000001","ts":"yesterday","channel":"` + channel + `"}}}`),
		"payload not an object": []byte(`{"envelope_id":"` + id() + `","type":"events_api","payload":"oops"}`),
	}
	for name, frame := range tracked {
		if err := srv.Send(frame); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, junk := range []string{"not json", "[1,2,3]", `{"type":"events_api"}`, `{"envelope_id":`} {
		if err := srv.Send([]byte(junk)); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.WaitAllAcked(ctxT(t)); err != nil {
		t.Fatalf("malformed envelopes with an envelope_id must be acked: %v (un-acked %v)", err, srv.Unacked())
	}
	// A good event after the junk still counts: the socket survived.
	sendAll(t, srv, []slacktest.Envelope{srv.Event(message("U00000001", base, ""))})
	if diff := cmp.Diff(totals{Messages: 1, Posters: 1, Participants: 1}, totalsOf(ta.report(t, w47))); diff != "" {
		t.Errorf("totals (-want +got):\n%s", diff)
	}
	rejected := metricValue(t, ta, "closeknit_socket_envelopes_total", "type=events_api", "outcome=rejected") +
		metricValue(t, ta, "closeknit_socket_envelopes_total", "type=mystery", "outcome=rejected") +
		metricValue(t, ta, "closeknit_socket_envelopes_total", "type=unknown", "outcome=rejected")
	if rejected != 9 {
		t.Errorf("rejected envelopes %v, want 9 (5 with an id, 4 junk frames)", rejected)
	}
	if srv.ConnectionsOpened() != 1 {
		t.Errorf("connections opened %d, want 1: junk must not cost the socket", srv.ConnectionsOpened())
	}
}

func TestDroppedSocketMidStream(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	srv.Configure(fastRetries)
	ta := MustRunApp(t, srv, nil)
	var envs []slacktest.Envelope
	for i := range 200 {
		envs = append(envs, srv.Event(message(fmt.Sprintf("U%08d", i%7), base.Add(time.Duration(i)*time.Millisecond), "")))
	}
	for i, env := range envs {
		if err := srv.SendEnvelope(env); err != nil {
			t.Fatal(err)
		}
		if i == 100 {
			srv.DropConnections() // mid-stream, without a close frame
		}
	}
	if err := srv.WaitAllAcked(ctxT(t)); err != nil {
		t.Fatalf("not all acked after the drop: %v (un-acked %d, lost %d)", err, len(srv.Unacked()), len(srv.Lost()))
	}
	if got := ta.report(t, w47).Messages; got != 200 {
		t.Errorf("messages %d, want 200", got)
	}
	if srv.ConnectionsOpened() < 2 {
		t.Errorf("connections opened %d, want a reconnect", srv.ConnectionsOpened())
	}
}

func TestRefreshRequestedReconnects(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, nil)
	sendAll(t, srv, []slacktest.Envelope{srv.Event(message("U00000001", base, ""))})
	srv.Disconnect("refresh_requested")
	deadline := time.Now().Add(10 * time.Second)
	for srv.ConnectionsOpened() < 2 || srv.Connections() < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no reconnect after refresh_requested: opened %d, live %d", srv.ConnectionsOpened(), srv.Connections())
		}
		time.Sleep(10 * time.Millisecond)
	}
	sendAll(t, srv, []slacktest.Envelope{srv.Event(message("U00000002", base, ""))})
	if got := ta.report(t, w47).Messages; got != 2 {
		t.Errorf("messages %d, want 2", got)
	}
	if got := metricValue(t, ta, "closeknit_socket_reconnects_total", "reason=refresh_requested"); got != 1 {
		t.Errorf("reconnects{reason=refresh_requested} = %v, want 1", got)
	}
}

// TestRedisRestartMidStream runs its own redis-server (with an append-only
// file, as production should) and restarts it while events flow: events
// that met a dead Redis stay un-acked, Slack redelivers them, and the
// counts end exact.
func TestRedisRestartMidStream(t *testing.T) {
	t.Parallel()
	rs := redistest.StartServer(t)
	srv := slacktest.NewServer(t)
	srv.Configure(func(s *slacktest.Server) {
		s.AckTimeout = 400 * time.Millisecond
		s.RetrySchedule = []time.Duration{300 * time.Millisecond, 1200 * time.Millisecond, 2500 * time.Millisecond}
	})
	ta := MustRunAppOn(t, srv, rs.URL, func(c *slackapp.Config) { c.RetryBudget = 300 * time.Millisecond })
	var envs []slacktest.Envelope
	for i := range 150 {
		envs = append(envs, srv.Event(message(fmt.Sprintf("U%08d", i%9), base.Add(time.Duration(i)*time.Millisecond), "")))
	}
	for _, env := range envs[:50] {
		srv.SendEnvelope(env)
	}
	if err := srv.WaitAllAcked(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	rs.Stop(t)
	for _, env := range envs[50:100] { // Redis is down: these must not be acked yet
		srv.SendEnvelope(env)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(srv.Unacked()); n == 0 {
		t.Errorf("envelopes were acked while Redis was down")
	}
	rs.Start(t)
	for _, env := range envs[100:] {
		srv.SendEnvelope(env)
	}
	if err := srv.WaitAllAcked(ctxT(t)); err != nil {
		t.Fatalf("not all acked after Redis came back: %v (un-acked %d, lost %d)", err, len(srv.Unacked()), len(srv.Lost()))
	}
	if got := ta.report(t, w47).Messages; got != 150 {
		t.Errorf("messages %d, want 150: nothing lost, nothing doubled", got)
	}
	if got := metricValue(t, ta, "closeknit_socket_envelopes_total", "type=events_api", "outcome=failed"); got == 0 {
		t.Errorf("no envelope counted as failed while Redis was down")
	}
}

// metricValue reads one series from the app's registry; labels are
// "name=value" pairs. A series that does not exist reads 0.
func metricValue(t *testing.T, ta *testApp, name string, labels ...string) float64 {
	t.Helper()
	return metric(t, ta.reg, name, labels...)
}

// metric reads one series from reg; labels are "name=value" pairs. A
// series that does not exist reads 0.
func metric(tb testing.TB, reg *prometheus.Registry, name string, labels ...string) float64 {
	tb.Helper()
	v, _ := series(tb, reg, name, labels...)
	return v
}
