package slacktest

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slackevents"
)

// TestBigFrames checks that BigEdit and BigBlocks build envelopes over
// 1 MiB that slack-go parses (well-typed, as Slack's), and that a client
// receives them whole.
func TestBigFrames(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, Calm("reads each frame back byte for byte: no redelivery may come between"))
	edit := srv.BigEdit("C05R8T2KLMN", "U02H7K4N5PQ", 2<<20)
	msg := srv.Event(map[string]any{"type": "message", "user": "U02H7K4N5PQ", "text": "many blocks",
		"channel": "C05R8T2KLMN", "channel_type": "channel", "ts": srv.NewTS(), "blocks": BigBlocks(4 << 20)})
	for _, tc := range []struct {
		env  Envelope
		size int
	}{{edit, 2 << 20}, {msg, 4 << 20}} {
		if len(tc.env.Frame) < tc.size {
			t.Errorf("frame of %d bytes, want at least %d", len(tc.env.Frame), tc.size)
		}
		var f struct {
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(tc.env.Frame, &f); err != nil {
			t.Fatal(err)
		}
		ev, err := slackevents.ParseEvent(f.Payload, slackevents.OptionNoVerifyToken())
		if err != nil {
			t.Fatalf("slack-go cannot parse the big envelope: %v", err)
		}
		if _, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent); !ok {
			t.Errorf("inner event %T, want a message", ev.InnerEvent.Data)
		}
	}

	ws := dialRaw(t, srv)
	for _, env := range []Envelope{edit, msg} {
		srv.SendEnvelope(env)
		_, got, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, env.Frame) {
			t.Errorf("received %d bytes, sent %d", len(got), len(env.Frame))
		}
	}
}

// TestRefreshOverlap checks the old connection of a refresh: still open and
// still in the delivery rotation after the disconnect frame, until the
// client closes it.
func TestRefreshOverlap(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	ctx := testContext(t)
	old := dialRaw(t, srv)
	srv.Disconnect("refresh_requested")
	var d struct{ Type, Reason string }
	if err := old.ReadJSON(&d); err != nil || d.Type != "disconnect" || d.Reason != "refresh_requested" {
		t.Fatalf("got %+v, %v; want a refresh_requested disconnect", d, err)
	}
	if n, open := srv.Connections(), srv.OpenConnections(); n != 0 || open != 1 {
		t.Fatalf("live %d, open %d after the disconnect; want 0 live, 1 open", n, open)
	}
	// With no other connection, envelopes still go to the old one.
	env := srv.Event(map[string]any{"type": "message", "channel": "C05R8T2KLMN", "text": "x", "ts": srv.NewTS()})
	srv.SendEnvelope(env)
	go ackAll(old)
	if err := srv.WaitAcked(ctx, env.ID); err != nil {
		t.Fatal(err)
	}
	next := dialRaw(t, srv)
	go ackAll(next)
	if err := srv.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	old.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	if err := srv.WaitOpenConnections(ctx, 1); err != nil {
		t.Fatalf("the old connection did not close with the client's close frame: %v", err)
	}
}

// TestCloseAfterWarning checks that the server closes a warned connection
// after DisconnectGrace with a close frame, and still takes an ack sent
// before the client answers it.
func TestCloseAfterWarning(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.Configure(func(s *Server) { s.DisconnectGrace = 50 * time.Millisecond })
	ctx := testContext(t)
	ws := dialRaw(t, srv)
	env := srv.Event(map[string]any{"type": "message", "channel": "C05R8T2KLMN", "text": "x", "ts": srv.NewTS()})
	srv.SendEnvelope(env)
	if _, _, err := ws.ReadMessage(); err != nil { // the envelope, not acked yet
		t.Fatal(err)
	}
	// The ack leaves after Slack's close frame arrived, before the answer.
	ws.SetCloseHandler(func(code int, _ string) error {
		ws.WriteMessage(websocket.TextMessage, []byte(`{"envelope_id":"`+env.ID+`"}`))
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
		return nil
	})
	srv.Disconnect("warning")
	var err error
	for err == nil {
		_, _, err = ws.ReadMessage() // the disconnect frame, then the close
	}
	if ce := (*websocket.CloseError)(nil); !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
		t.Errorf("connection ended with %v, want a normal close frame", err)
	}
	if err := srv.WaitAcked(ctx, env.ID); err != nil {
		t.Errorf("ack sent before answering the close frame: %v", err)
	}
	if err := srv.WaitOpenConnections(ctx, 0); err != nil {
		t.Fatal(err)
	}
}

// TestTooManyWebsockets checks Slack's limit of 10 connections per app: the
// 11th is told too_many_websockets, without a hello, and closed.
func TestTooManyWebsockets(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	ctx := testContext(t)
	var conns []*websocket.Conn
	for range 10 {
		conns = append(conns, dialRaw(t, srv))
	}
	ws := dialNoHello(t, srv)
	var d struct{ Type, Reason string }
	if err := ws.ReadJSON(&d); err != nil || d.Type != "disconnect" || d.Reason != "too_many_websockets" {
		t.Fatalf("11th connection got %+v, %v; want a too_many_websockets disconnect", d, err)
	}
	if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("then %v, want a close frame", err)
	}
	if n, refused := srv.OpenConnections(), srv.Refused(); n != 10 || refused != 1 {
		t.Errorf("open %d, refused %d; want 10 and 1", n, refused)
	}
	// A free slot takes the next connection.
	conns[0].Close()
	if err := srv.WaitOpenConnections(ctx, 9); err != nil {
		t.Fatal(err)
	}
	dialRaw(t, srv)
}
