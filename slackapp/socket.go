package slackapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
)

// socket owns the Socket Mode connection: apps.connections.open, the
// WebSocket, hello, pings both ways, disconnect reasons, reconnects with
// backoff, and fatal auth errors. slack-go's socketmode client decodes every
// envelope fully (~100 µs) and hands it over a 50-slot channel that blocks
// the reader when full; this one hands raw frames to onFrame, which must
// not block.
type socket struct {
	api         *slack.Client
	log         *slog.Logger
	m           *metrics
	pingTimeout time.Duration                 // no frame or ping for this long: the socket is dead
	clientPing  time.Duration                 // our own pings, so idle NAT/proxies keep the socket
	onEnvelope  func(env envelope, err error) // called on the read goroutine for each data frame; must not block
	onIdle      func()                        // called on the read goroutine when all received frames were handed to onEnvelope
	onConnected func(connected bool)          // readiness changes
	// drain is called on shutdown after reading stopped and before the
	// socket closes, so work in flight can still be acked on it.
	drain func()

	cur     atomic.Pointer[wsConn] // the live connection, nil between connections
	stopped chan struct{}          // closed when run returns
}

// wsConn is one WebSocket connection. Writes are serialized by mu (gorilla
// allows one writer) and buffered by bc until flush.
type wsConn struct {
	ws *websocket.Conn
	bc *bufConn
	mu sync.Mutex
}

// errFatal marks connection errors that retrying cannot fix.
var errFatal = errors.New("fatal")

func (s *socket) run(ctx context.Context) error {
	defer close(s.stopped)
	backoff := time.Second
	for attempt := 1; ; attempt++ {
		reason, err := s.connectOnce(ctx)
		s.setConnected(false)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errFatal) {
			return err
		}
		s.m.reconnects.WithLabelValues(reason).Inc()
		wait := time.Duration(0)
		switch {
		case err != nil:
			s.log.Warn("socket mode connection failed", "reason", reason, "attempt", attempt, "err", err)
			var rl *slack.RateLimitedError
			if errors.As(err, &rl) {
				wait = rl.RetryAfter
			} else {
				wait = backoff/2 + rand.N(backoff/2+1) // jitter
				backoff = min(backoff*2, 5*time.Minute)
			}
		case reason == "link_disabled":
			// Socket Mode was switched off in the app settings: reconnecting
			// will not help until someone switches it back on.
			s.log.Error("socket mode is disabled in the Slack app settings; retrying in a minute")
			wait = time.Minute
		case reason == "too_many_websockets":
			s.log.Warn("slack reports too many websockets for this app; backing off")
			wait = 10*time.Second + rand.N(10*time.Second)
		default:
			attempt, backoff = 0, time.Second
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// connectOnce opens one connection and reads it until it ends. It returns
// why it ended: a disconnect reason from Slack, or an error class.
func (s *socket) connectOnce(ctx context.Context) (string, error) {
	_, wsURL, err := s.api.StartSocketModeContext(ctx)
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			switch se.Err {
			case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "not_allowed_token_type":
				return "connect_error", fmt.Errorf("%w: apps.connections.open: %s (check SLACK_APP_TOKEN)", errFatal, se.Err)
			}
		}
		var sc slack.StatusCodeError
		if errors.As(err, &sc) && sc.Code == 404 {
			return "connect_error", fmt.Errorf("%w: apps.connections.open: HTTP 404 (check SLACK_API_URL)", errFatal)
		}
		return "connect_error", fmt.Errorf("apps.connections.open: %w", err)
	}
	var bc *bufConn
	d := websocket.Dialer{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   64 << 10, // a burst of envelopes arrives in few reads
		WriteBufferSize:  32 << 10, // acks up to slack's 20 KB limit in one frame
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			bc = newBufConn(c)
			return bc, nil
		},
	}
	ws, resp, err := d.DialContext(ctx, wsURL, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return "connect_error", fmt.Errorf("dial socket mode url: %w", err)
	}
	bc.buffered.Store(true)
	bc.beforeRead = s.onIdle
	c := &wsConn{ws: ws, bc: bc}
	defer ws.Close()

	ws.SetReadLimit(1 << 20)
	extend := func() { ws.SetReadDeadline(time.Now().Add(s.pingTimeout)) }
	extend()
	ws.SetPingHandler(func(data string) error {
		extend()
		return c.control(websocket.PongMessage, []byte(data))
	})
	ws.SetPongHandler(func(string) error { extend(); return nil })

	// Our own pings: slack-go never sends any, and some networks drop idle
	// sockets (slack-go#1566).
	pingDone := make(chan struct{})
	defer close(pingDone)
	go func() {
		t := time.NewTicker(s.clientPing)
		defer t.Stop()
		for {
			select {
			case <-pingDone:
				return
			case <-t.C:
				c.control(websocket.PingMessage, nil)
			}
		}
	}()
	// On shutdown, stop reading; the socket stays open for the last acks.
	go func() {
		select {
		case <-ctx.Done():
			ws.SetReadDeadline(time.Now())
		case <-pingDone:
		}
	}()

	s.cur.Store(c)
	defer s.cur.CompareAndSwap(c, nil)
	for {
		_, r, err := ws.NextReader()
		if err == nil && ctx.Err() != nil {
			err = context.Canceled // a frame raced the shutdown: stop anyway
		}
		if err != nil {
			s.onIdle() // hand over what was read before the socket ended
			var ne net.Error
			switch {
			case ctx.Err() != nil:
				s.setConnected(false)
				s.drain()
				c.control(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
				return "shutdown", nil
			case errors.As(err, &ne) && ne.Timeout():
				return "ping_timeout", fmt.Errorf("no frame or ping for %v", s.pingTimeout)
			default:
				return "read_error", err
			}
		}
		frame, err := readFrame(r)
		if err != nil {
			return "read_error", err
		}
		extend()
		env, err := parseEnvelope(frame)
		// hello and disconnect are handled here; envelopes go on.
		switch {
		case err == nil && env.ID == "" && env.Type == "hello":
			s.setConnected(true)
			s.log.Info("socket mode connected", "num_connections", env.NumConnections)
		case err == nil && env.ID == "" && env.Type == "disconnect":
			s.log.Info("slack asked to disconnect", "reason", env.Reason)
			if env.Reason == "warning" {
				continue // the close follows in ~10 s; keep reading until then
			}
			return env.Reason, nil
		default:
			s.onEnvelope(env, err)
		}
	}
}

// readFrame reads one message into a buffer of its own: the decoded
// envelope points into it.
// 2 KB up front holds a typical message envelope in one allocation.
func readFrame(r io.Reader) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, 2048))
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (s *socket) setConnected(up bool) {
	if up {
		s.m.connected.Set(1)
	} else {
		s.m.connected.Set(0)
	}
	if s.onConnected != nil {
		s.onConnected(up)
	}
}

// ack is one acknowledgement to send: an envelope ID and, for commands and
// interactions, an optional response payload.
type ack struct {
	envelopeID string
	payload    any
}

// sendAcks writes acks on the live connection in one flush. Acks are
// accepted on any connection of the app, so an envelope read on a socket
// that has since dropped is acked on its successor. Without a live
// connection the acks are lost, and Slack redelivers (harmless: dedupe).
func (s *socket) sendAcks(acks []ack) error {
	c := s.cur.Load()
	if c == nil {
		return errors.New("socket mode: no live connection")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	var buf []byte
	for _, a := range acks {
		var err error
		buf, err = appendAck(buf[:0], a)
		if err != nil {
			// Still ack, without the response: an un-acked command shows
			// the user an error, and the handler's answer is lost anyway.
			s.log.Error("socket mode: ack payload dropped", "envelope_id", a.envelopeID, "err", err)
			buf, _ = appendAck(buf[:0], ack{envelopeID: a.envelopeID})
		}
		if err := c.ws.WriteMessage(websocket.TextMessage, buf); err != nil {
			return err
		}
	}
	return c.bc.Flush()
}

// maxAckSize is Slack's limit: larger frames are silently dropped.
const maxAckSize = 20 << 10

func appendAck(buf []byte, a ack) ([]byte, error) {
	if a.payload == nil && plainID(a.envelopeID) { // the hot path: no encoder
		buf = append(buf, `{"envelope_id":"`...)
		buf = append(buf, a.envelopeID...)
		return append(buf, `"}`...), nil
	}
	b, err := json.Marshal(struct {
		EnvelopeID string `json:"envelope_id"`
		Payload    any    `json:"payload,omitempty"`
	}{a.envelopeID, a.payload})
	if err != nil {
		return nil, fmt.Errorf("socket mode: encode ack: %w", err)
	}
	if len(b) >= maxAckSize {
		return nil, fmt.Errorf("socket mode: ack of %d bytes is over Slack's 20 KB limit", len(b))
	}
	return append(buf, b...), nil
}

// plainID reports whether id needs no JSON escaping (Slack's are UUIDs).
func plainID(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// control writes a control frame and flushes it.
func (c *wsConn) control(typ int, data []byte) error {
	if err := c.ws.WriteControl(typ, data, time.Now().Add(5*time.Second)); err != nil {
		return err
	}
	return c.bc.Flush()
}
