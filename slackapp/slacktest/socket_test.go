package slacktest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// TestSamplesReachSlackGo sends every envelope sample to slack-go's Socket
// Mode client, which must parse each one (no error_bad_message) and ack it.
func TestSamplesReachSlackGo(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.Configure(func(s *Server) { s.AckTimeout = time.Minute }) // no redelivery under a slow -race run
	ctx := testContext(t)
	slashAck := json.RawMessage(`{"response_type":"ephemeral","text":"Opening SEV2 for payments latency..."}`)

	var mu sync.Mutex
	var received, problems []string
	runSocketMode(t, srv, func(c *socketmode.Client, evt socketmode.Event) {
		switch evt.Type {
		case socketmode.EventTypeEventsAPI, socketmode.EventTypeInteractive, socketmode.EventTypeSlashCommand:
			mu.Lock()
			received = append(received, evt.Request.EnvelopeID)
			mu.Unlock()
			var payload any
			if evt.Type == socketmode.EventTypeSlashCommand {
				payload = slashAck
			}
			if err := c.AckCtx(ctx, evt.Request.EnvelopeID, payload); err != nil {
				t.Errorf("ack %s: %v", evt.Request.EnvelopeID, err)
			}
		case socketmode.EventTypeErrorBadMessage, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
			mu.Lock()
			problems = append(problems, string(evt.Type)+": "+toString(evt.Data))
			mu.Unlock()
		}
	})

	var want []string
	var slashID string
	for name, frame := range sampleEnvelopes(t) {
		env, err := ParseEnvelope(frame)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if env.Type == "slash_commands" {
			slashID = env.ID
		}
		want = append(want, env.ID)
		if err := srv.SendEnvelope(env); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.WaitAllAcked(ctx); err != nil {
		mu.Lock()
		t.Fatalf("%v; client problems: %q", err, problems)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("slack-go reported problems: %q", problems)
	}
	slices.Sort(want)
	slices.Sort(received)
	if diff := cmp.Diff(want, received); diff != "" {
		t.Errorf("envelopes received by slack-go (-want +got):\n%s", diff)
	}
	if got := srv.AckCount(); got != len(want) {
		t.Errorf("AckCount = %d, want %d", got, len(want))
	}
	if diff := cmp.Diff(string(slashAck), string(srv.AckPayload(slashID))); diff != "" {
		t.Errorf("slash command ack payload (-want +got):\n%s", diff)
	}
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type delivery struct {
	EnvelopeID   string
	EventID      string
	RetryAttempt int
	RetryReason  string
}

// TestRedelivery checks Slack's retry policy with a compressed schedule: an
// un-acked event comes back three times with the same envelope and event IDs
// and retry_reason "timeout", then the server gives up.
func TestRedelivery(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.Configure(func(s *Server) {
		s.AckTimeout = 50 * time.Millisecond
		s.RetrySchedule = []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond}
	})
	ctx := testContext(t)

	deliveries := make(chan delivery, 10)
	runSocketMode(t, srv, func(_ *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeEventsAPI {
			return
		}
		cb := evt.Data.(slackevents.EventsAPIEvent).Data.(*slackevents.EventsAPICallbackEvent)
		deliveries <- delivery{evt.Request.EnvelopeID, cb.EventID, evt.Request.RetryAttempt, evt.Request.RetryReason}
	})

	env := srv.Event(json.RawMessage(`{"type":"app_mention","user":"U02H7K4N5PQ","text":"<@U07F4M2BX9Q> hi",
		"ts":"1767269600.019100","channel":"C05R8T2KLMN","event_ts":"1767269600.019100"}`))
	if err := srv.SendEnvelope(env); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitLost(ctx, env.ID); err != nil {
		t.Fatal(err)
	}
	var got []delivery
	for range 4 {
		select {
		case d := <-deliveries:
			got = append(got, d)
		case <-ctx.Done():
			t.Fatalf("got %d deliveries: %+v", len(got), got)
		}
	}
	want := []delivery{
		{env.ID, env.EventID, 0, ""},
		{env.ID, env.EventID, 1, "timeout"},
		{env.ID, env.EventID, 2, "timeout"},
		{env.ID, env.EventID, 3, "timeout"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{env.ID}, srv.Lost()); diff != "" {
		t.Errorf("Lost (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{env.ID}, srv.Unacked()); diff != "" {
		t.Errorf("Unacked (-want +got):\n%s", diff)
	}
}

// fastRedelivery compresses the ack timeout and the retry schedule to
// milliseconds.
func fastRedelivery(s *Server) {
	s.AckTimeout = 20 * time.Millisecond
	s.InteractionTimeout = 20 * time.Millisecond
	s.RetrySchedule = []time.Duration{0, 0, 0}
}

// TestInteractionNotRedelivered checks that, as on Slack, an interaction that
// is not acked in time is lost rather than retried.
func TestInteractionNotRedelivered(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.Configure(fastRedelivery)
	ctx := testContext(t)
	ws := dialRaw(t, srv)

	env := srv.Interaction(readSampleField(t, "interactive.shortcut.json"))
	if err := srv.SendEnvelope(env); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitLost(ctx, env.ID); err != nil {
		t.Fatal(err)
	}
	// Send and ack an event: once it arrives, every earlier frame has too.
	marker := srv.Event(map[string]any{"type": "reaction_added", "user": "U02H7K4N5PQ", "reaction": "eyes",
		"item": map[string]any{"type": "message", "channel": "C05R8T2KLMN", "ts": "1767268812.004900"}, "event_ts": "1767269120.015600"})
	srv.SendEnvelope(marker)
	var ids []string
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		env, err := ParseEnvelope(msg)
		if err != nil {
			t.Fatal(err)
		}
		if env.ID == marker.ID {
			break
		}
		ids = append(ids, env.ID)
	}
	if diff := cmp.Diff([]string{env.ID}, ids); diff != "" {
		t.Errorf("deliveries before the marker (-want +got):\n%s", diff)
	}
	// An ack after the deadline is ignored, as on Slack, and recorded.
	if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"envelope_id":"`+env.ID+`"}`)); err != nil {
		t.Fatal(err)
	}
	if err := srv.waitFor(ctx, func() bool { return len(srv.lateAcks) == 1 }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{env.ID}, srv.LateAcks()); diff != "" {
		t.Errorf("LateAcks (-want +got):\n%s", diff)
	}
	if srv.Acked(env.ID) || srv.AckPayload(env.ID) != nil {
		t.Errorf("late ack counted: acked %v, payload %s", srv.Acked(env.ID), srv.AckPayload(env.ID))
	}
}

// readSampleField returns the payload of an envelope sample.
func readSampleField(t *testing.T, name string) json.RawMessage {
	t.Helper()
	var f struct {
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(readSample(t, name), &f); err != nil {
		t.Fatal(err)
	}
	return f.Payload
}

// TestDisconnectReconnects checks that slack-go reconnects after a
// refresh_requested disconnect, with a fresh apps.connections.open.
func TestDisconnectReconnects(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	ctx := testContext(t)
	runSocketMode(t, srv, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeEventsAPI {
			c.AckCtx(ctx, evt.Request.EnvelopeID, nil)
		}
	})

	if err := srv.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := srv.ConnectionsOpened(); got != 1 {
		t.Fatalf("ConnectionsOpened = %d before disconnect, want 1", got)
	}
	srv.Disconnect("refresh_requested")
	if _, err := srv.WaitCall(ctx, "apps.connections.open", 2); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := srv.ConnectionsOpened(); got != 2 {
		t.Errorf("ConnectionsOpened = %d after disconnect, want 2", got)
	}
	// The new connection works.
	env := srv.Event(map[string]any{"type": "member_joined_channel", "user": "U05K2P7Q8TV",
		"channel": "C05R8T2KLMN", "channel_type": "C", "event_ts": "1767268950.012500"})
	srv.SendEnvelope(env)
	if err := srv.WaitAcked(ctx, env.ID); err != nil {
		t.Fatal(err)
	}
}

// TestDroppedConnectionRedelivers checks that an envelope delivered on a
// socket that then dies is redelivered on the next connection.
func TestDroppedConnectionRedelivers(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.Configure(fastRedelivery)
	ctx := testContext(t)

	ws := dialRaw(t, srv)
	env := srv.Event(map[string]any{"type": "member_left_channel", "user": "U05K2P7Q8TV",
		"channel": "C05R8T2KLMN", "channel_type": "C", "event_ts": "1767269400.016800"})
	srv.SendEnvelope(env)
	if _, _, err := ws.ReadMessage(); err != nil { // delivered, never acked
		t.Fatal(err)
	}
	srv.DropConnections()
	if _, _, err := ws.ReadMessage(); err == nil {
		t.Fatal("read after DropConnections succeeded")
	} else if websocket.IsCloseError(err) {
		t.Errorf("got close frame %v, want an abrupt close", err)
	}

	ws2 := dialRaw(t, srv)
	go ackAll(ws2)
	if err := srv.WaitAcked(ctx, env.ID); err != nil {
		t.Fatal(err)
	}
	if lost := srv.Lost(); len(lost) > 0 {
		t.Errorf("Lost = %v, want none", lost)
	}
}

// TestQueueAndRoundRobin checks that envelopes sent with no connection wait
// for one, and that two connections share the envelopes.
func TestQueueAndRoundRobin(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	ctx := testContext(t)

	queued := srv.Event(map[string]any{"type": "app_home_opened", "user": "U02H7K4N5PQ",
		"channel": "D07F4N9R2ST", "tab": "home", "event_ts": "1767269501.018000"})
	if err := srv.SendEnvelope(queued); err != nil {
		t.Fatal(err)
	}
	a := dialRaw(t, srv)
	_, msg, err := a.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if env, err := ParseEnvelope(msg); err != nil || env.ID != queued.ID {
		t.Fatalf("first frame after hello = %.100s (%v), want envelope %s", msg, err, queued.ID)
	}
	a.WriteMessage(websocket.TextMessage, []byte(`{"envelope_id":"`+queued.ID+`"}`))
	b := dialRaw(t, srv)
	if err := srv.WaitConnections(ctx, 2); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	perConn := map[string]int{}
	count := func(name string, ws *websocket.Conn) {
		for {
			_, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if env, err := ParseEnvelope(msg); err == nil {
				mu.Lock()
				perConn[name]++
				mu.Unlock()
				ws.WriteMessage(websocket.TextMessage, []byte(`{"envelope_id":"`+env.ID+`"}`))
			}
		}
	}
	go count("a", a)
	go count("b", b)
	for range 10 {
		srv.SendEnvelope(srv.Event(map[string]any{"type": "message", "channel": "C05R8T2KLMN",
			"user": "U02H7K4N5PQ", "text": "hi", "ts": srv.NewTS()}))
	}
	if err := srv.WaitAllAcked(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(map[string]int{"a": 5, "b": 5}, perConn); diff != "" {
		t.Errorf("envelopes per connection (-want +got):\n%s", diff)
	}
}

// TestOversizedAck checks that an ack of 20,480 bytes or more is reported
// and not counted, because Slack silently drops it.
func TestOversizedAck(t *testing.T) {
	t.Parallel()
	tb := &fakeTB{TB: t}
	srv := NewServer(tb)
	ctx := testContext(t)
	ws := dialRaw(t, srv)

	big := srv.SlashCommand(readSampleField(t, "slash_commands.json"))
	small := srv.SlashCommand(readSampleField(t, "slash_commands.json"))
	srv.SendEnvelope(big)
	srv.SendEnvelope(small)

	text := strings.Repeat("x", maxAckSize)
	bigAck, _ := json.Marshal(map[string]any{"envelope_id": big.ID, "payload": map[string]string{"text": text}})
	ws.WriteMessage(websocket.TextMessage, bigAck)
	ws.WriteMessage(websocket.TextMessage, []byte(`{"envelope_id":"`+small.ID+`"}`))
	// Acks on one connection are handled in order, so once the small one
	// counts the big one has been seen.
	if err := srv.WaitAcked(ctx, small.ID); err != nil {
		t.Fatal(err)
	}
	if srv.Acked(big.ID) {
		t.Errorf("oversized ack of %d bytes was counted", len(bigAck))
	}
	if got := srv.AckCount(); got != 1 {
		t.Errorf("AckCount = %d, want 1", got)
	}
	errs := tb.errors()
	if len(errs) != 1 || !strings.Contains(errs[0], "ack too large") {
		t.Errorf("reported errors = %q, want one \"ack too large\"", errs)
	}
}

// TestTicketSingleUse checks that a WebSocket URL from apps.connections.open
// works once only, and that the handshake accepts slack-go's Origin header.
func TestTicketSingleUse(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	_, url, err := newAPI(srv).StartSocketModeContext(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	header := http.Header{"Origin": {"https://api.slack.com"}}
	ws, _, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		t.Fatalf("first dial: %v", err)
	}
	ws.Close()
	if _, resp, err := websocket.DefaultDialer.Dial(url, header); err == nil {
		t.Error("second dial with the same ticket succeeded")
	} else if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("second dial: %v, want HTTP 401", err)
	}
}

// TestSendRaw checks that Send passes malformed frames through untouched and
// untracked, and tracks frames that are envelopes.
func TestSendRaw(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	ctx := testContext(t)
	ws := dialRaw(t, srv)
	sample := readSample(t, "events_api.message.thread_reply.json")
	for _, frame := range [][]byte{[]byte(`not json`), []byte(`{"type":"bogus"}`), sample} {
		if err := srv.Send(frame); err != nil {
			t.Fatal(err)
		}
		_, got, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(frame), string(got)); diff != "" {
			t.Errorf("frame (-sent +received):\n%s", diff)
		}
	}
	env, _ := ParseEnvelope(sample)
	if diff := cmp.Diff([]string{env.ID}, srv.Unacked()); diff != "" {
		t.Errorf("Unacked (-want +got):\n%s", diff)
	}
	ws.WriteMessage(websocket.TextMessage, []byte(`{"envelope_id":"`+env.ID+`"}`+"\n"))
	if err := srv.WaitAllAcked(ctx); err != nil {
		t.Fatal(err)
	}
}
