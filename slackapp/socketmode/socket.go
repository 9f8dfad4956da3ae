package socketmode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"
)

// socket owns the Socket Mode connections: apps.connections.open, the
// WebSocket, hello, pings both ways, disconnect reasons, reconnects with
// backoff, and fatal auth errors. slack-go's socketmode client decodes every
// envelope fully (~100 µs) and hands it over a 50-slot channel that blocks
// the reader when full; this one hands raw frames to onEnvelope, which must
// not block.
//
// Usually one connection is open. On a refresh_requested or warning
// disconnect the next one is opened first and the old one is still read
// (and takes acks) until Slack closes it, so a refresh loses nothing: for a
// while two connections are read at once.
type Socket struct {
	cfg Config
	m   *metrics

	// deliver serializes OnEnvelope and OnIdle: during a refresh two
	// connections are read at once.
	deliver sync.Mutex

	mu    sync.Mutex
	conns []*wsConn              // open connections, oldest first
	cur   atomic.Pointer[wsConn] // where acks go; nil when none is open

	attempt atomic.Int64  // backoff attempt of the last reconnect wait
	stopped chan struct{} // closed when run returns
}

// Config is what a Socket needs. The callbacks are called from the
// socket's goroutines.
type Config struct {
	API         *slack.Client
	Log         *slog.Logger
	PingTimeout time.Duration                         // no frame or ping for this long: the socket is dead
	ClientPing  time.Duration                         // our own pings, so idle NAT/proxies keep the socket
	Backoff     time.Duration                         // first reconnect wait; it doubles per attempt without a hello
	MaxFrame    int64                                 // larger frames are read to their end and discarded
	Overlap     time.Duration                         // how long an old connection is read after a refresh before we close it
	Proxy       func(*http.Request) (*url.URL, error) // for the WebSocket dial; nil: none
	// OnEnvelope is called for each data frame, one call at a time; it
	// must not block. env's strings point into the read buffer, which the
	// next frame overwrites: what is kept past the call (a goroutine, a
	// map key, a metric label) must be copied first (Envelope.Clone).
	OnEnvelope  func(env Envelope, err error)
	OnIdle      func()               // called when all received frames were handed to OnEnvelope
	OnConnected func(connected bool) // readiness changes
	// Drain is called on shutdown after reading stopped and before the
	// sockets close, so work in flight can still be acked on them.
	Drain func()
}

// New builds a socket; Run connects. Its metrics register on reg.
func New(cfg Config, reg prometheus.Registerer) *Socket {
	return &Socket{
		cfg: cfg, m: newMetrics(reg),
		stopped: make(chan struct{}),
	}
}

// Attempt is the backoff attempt of the last reconnect wait (0 after a
// connection said hello).
func (s *Socket) Attempt() int { return int(s.attempt.Load()) }

// wsConn is one WebSocket connection. Writes are serialized by mu (gorilla
// allows one writer) and buffered by bc until flush.
type wsConn struct {
	ws    *websocket.Conn
	bc    *bufConn
	hello atomic.Bool // Slack said hello on it

	mu     sync.Mutex
	closed bool // no more writes

	rmu    sync.Mutex
	frozen bool // the read deadline is final: shutting down, or closing after a refresh
}

// largeFrame is the size from which frames are counted and logged.
const largeFrame = 1 << 20

// maxBackoff caps the reconnect wait, as slack-go does.
const maxBackoff = 5 * time.Minute

var (
	// errFatal marks connection errors that retrying cannot fix.
	errFatal = errors.New("fatal")
	// ErrFrameTooBig marks a frame over maxFrame, read and discarded.
	ErrFrameTooBig = errors.New("frame too big")
	errNoConn      = errors.New("socket mode: no live connection")
	errConnClosed  = errors.New("socket mode: connection closed")
)

// Run connects and reconnects until ctx is cancelled or a fatal error.
func (s *Socket) Run(ctx context.Context) error {
	defer close(s.stopped)
	rctx, stopReading := context.WithCancel(ctx)
	var readers sync.WaitGroup
	defer func() {
		stopReading()
		readers.Wait()
		s.setConnected(false)
		s.cfg.Drain()
		s.closeAll()
	}()
	b := backoff{base: s.cfg.Backoff, max: maxBackoff}
	for {
		reason, hello, err := s.connect(rctx, &readers)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errFatal) {
			return err
		}
		if hello {
			b.attempt = 0 // the connection worked: the next failure starts over
		}
		s.m.reconnects.WithLabelValues(reason).Inc()
		wait := s.waitBefore(reason, err, &b)
		s.attempt.Store(int64(b.attempt))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// waitBefore is how long to wait before the next connection, given why the
// last one ended.
func (s *Socket) waitBefore(reason string, err error, b *backoff) time.Duration {
	var rl *slack.RateLimitedError
	switch {
	case errors.As(err, &rl):
		s.cfg.Log.Warn("socket mode connection rate-limited", "retry_after", rl.RetryAfter)
		return rl.RetryAfter
	case reason == "refresh_requested" || reason == "warning":
		return 0 // the old connection still serves while the new one opens
	case reason == "link_disabled":
		// Socket Mode was switched off in the app settings: reconnecting
		// will not help until someone switches it back on.
		s.cfg.Log.Error("socket mode is disabled in the Slack app settings; retrying in a minute")
		return time.Minute
	case reason == "too_many_websockets":
		// Slack allows 10 connections per app: more replicas than that, or
		// connections leaked somewhere. Back off well beyond a drop.
		wait := min(10*b.next(), b.max)
		s.cfg.Log.Warn("slack refused the connection: too many websockets for this app (at most 10); backing off",
			"attempt", b.attempt, "wait", wait)
		return wait
	}
	wait := b.next()
	s.cfg.Log.Warn("socket mode connection lost", "reason", reason, "attempt", b.attempt, "wait", wait, "err", err)
	return wait
}

// backoff is a jittered exponential reconnect wait.
type backoff struct {
	base, max time.Duration
	attempt   int // waits since the last hello
}

func (b *backoff) next() time.Duration {
	b.attempt++
	d := b.max
	if b.attempt < 20 {
		d = min(b.base<<(b.attempt-1), b.max)
	}
	return d/2 + rand.N(d/2+1)
}

// connect opens a connection and reads it on a goroutine of its own. It
// returns when that connection ended, or when Slack asked to replace it
// (refresh_requested, warning): then the old one is still read until it
// closes while the caller opens the next. hello reports whether Slack said
// hello on it.
func (s *Socket) connect(ctx context.Context, readers *sync.WaitGroup) (reason string, hello bool, err error) {
	c, err := s.dial(ctx)
	if err != nil {
		return "connect_error", false, err
	}
	replaced := make(chan string, 1)
	ended := make(chan error, 1)
	readers.Add(1)
	go func() {
		defer readers.Done()
		ended <- s.read(ctx, c, replaced)
	}()
	select {
	case reason := <-replaced:
		return reason, c.hello.Load(), nil
	case err := <-ended:
		select {
		case reason := <-replaced: // replaced, then closed at once
			return reason, c.hello.Load(), nil
		default:
		}
		var de disconnectError
		var re readError
		switch {
		case errors.As(err, &de):
			return string(de), c.hello.Load(), nil
		case errors.As(err, &re):
			return re.reason, c.hello.Load(), re.err
		}
		return "shutdown", c.hello.Load(), nil
	}
}

// disconnectError is a disconnect reason from Slack that ends a connection.
type disconnectError string

func (e disconnectError) Error() string { return "slack disconnect: " + string(e) }

// readError is a connection that failed: a reason label and the cause.
type readError struct {
	reason string
	err    error
}

func (e readError) Error() string { return e.reason + ": " + e.err.Error() }
func (e readError) Unwrap() error { return e.err }

// dial calls apps.connections.open and opens the WebSocket it returns.
func (s *Socket) dial(ctx context.Context) (*wsConn, error) {
	_, wsURL, err := s.cfg.API.StartSocketModeContext(ctx)
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			switch se.Err {
			case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "not_allowed_token_type":
				return nil, fmt.Errorf("%w: apps.connections.open: %s (check SLACK_APP_TOKEN)", errFatal, se.Err)
			}
		}
		var sc slack.StatusCodeError
		if errors.As(err, &sc) && sc.Code == 404 {
			return nil, fmt.Errorf("%w: apps.connections.open: HTTP 404 (check SLACK_API_URL)", errFatal)
		}
		return nil, fmt.Errorf("apps.connections.open: %w", err)
	}
	var bc *bufConn
	d := websocket.Dialer{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   64 << 10,    // a burst of envelopes arrives in few reads
		WriteBufferSize:  32 << 10,    // acks up to slack's 20 KB limit in one frame
		Proxy:            s.cfg.Proxy, // the CONNECT goes over the conn NetDialContext returns
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
		return nil, fmt.Errorf("dial socket mode url: %w", err)
	}
	bc.buffered.Store(true)
	bc.beforeRead = s.idle
	c := &wsConn{ws: ws, bc: bc}
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.pickLocked()
	s.mu.Unlock()
	return c, nil
}

// read reads c until it ends. It reports replacement (refresh_requested,
// warning) on replaced and goes on reading until Slack closes c or the
// overlap is over. It returns a disconnectError or readError, or nil on
// shutdown; then c stays open for the last acks.
func (s *Socket) read(ctx context.Context, c *wsConn, replaced chan<- string) error {
	extend := func() {
		c.rmu.Lock()
		if !c.frozen {
			c.ws.SetReadDeadline(time.Now().Add(s.cfg.PingTimeout))
		}
		c.rmu.Unlock()
	}
	extend()
	c.ws.SetPingHandler(func(data string) error {
		extend()
		return c.control(websocket.PongMessage, []byte(data))
	})
	c.ws.SetPongHandler(func(string) error { extend(); return nil })
	c.ws.SetCloseHandler(func(code int, _ string) error {
		// gorilla's default echo would sit in bc's buffer.
		c.control(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""))
		return nil
	})

	done := make(chan struct{})
	defer close(done)
	var scratch []byte // readFrame's, reused from frame to frame
	// Our own pings: slack-go never sends any, and some networks drop idle
	// sockets (slack-go#1566).
	go func() {
		t := time.NewTicker(s.cfg.ClientPing)
		defer t.Stop()
		for {
			select {
			case <-done:
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
			c.freeze(time.Now())
		case <-done:
		}
	}()

	var goodbye *time.Timer // closes c once the overlap after a refresh is over
	var replacedAt time.Time
	afterReplace := 0 // envelopes read after Slack asked to replace c
	defer func() {
		if goodbye != nil {
			goodbye.Stop()
		}
	}()
	for {
		_, r, err := c.ws.NextReader()
		if err == nil && ctx.Err() != nil {
			err = context.Canceled // a frame raced the shutdown: stop anyway
		}
		if err != nil {
			s.idle() // hand over what was read before the socket ended
			if ctx.Err() != nil {
				return nil
			}
			s.retire(c)
			if goodbye != nil { // the old connection of a refresh: its job is done
				s.cfg.Log.Info("socket mode: old connection closed after refresh", "after", time.Since(replacedAt).Round(time.Millisecond),
					"envelopes_after_disconnect", afterReplace)
				return readError{"replaced", err}
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return readError{"ping_timeout", fmt.Errorf("no frame or ping for %v", s.cfg.PingTimeout)}
			}
			return readError{"read_error", err}
		}
		frame, size, err := readFrame(r, s.cfg.MaxFrame, &scratch)
		if err != nil && !errors.Is(err, ErrFrameTooBig) {
			s.retire(c)
			return readError{"read_error", err}
		}
		extend()
		var env Envelope
		if errors.Is(err, ErrFrameTooBig) {
			env = sniffEnvelope(frame)
		} else {
			env, err = ParseEnvelope(frame)
		}
		if size > largeFrame {
			s.m.largeFrames.Inc()
			s.cfg.Log.Info("socket mode: large frame", "bytes", size, "envelope_type", env.Type, "envelope_id", env.ID)
		}
		// hello and disconnect are handled here; envelopes go on.
		switch {
		case err == nil && env.ID == "" && env.Type == "hello":
			c.hello.Store(true)
			s.mu.Lock()
			s.pickLocked()
			s.mu.Unlock()
			s.cfg.Log.Info("socket mode connected", "num_connections", env.NumConnections)
		case err == nil && env.ID == "" && env.Type == "disconnect":
			s.cfg.Log.Info("slack asked to disconnect", "reason", env.Reason)
			if env.Reason != "refresh_requested" && env.Reason != "warning" {
				s.retire(c)
				return disconnectError(env.Reason)
			}
			if goodbye == nil {
				// Open the next connection now; keep reading this one
				// until Slack closes it (~10 s after a warning).
				replacedAt = time.Now()
				replaced <- strings.Clone(env.Reason)
				goodbye = time.AfterFunc(s.cfg.Overlap, func() { c.goodbye() })
			}
		default:
			if goodbye != nil {
				afterReplace++
			}
			s.deliver.Lock()
			s.cfg.OnEnvelope(env, err)
			s.deliver.Unlock()
		}
	}
}

// idle hands over the envelopes read so far (onIdle), one caller at a time.
func (s *Socket) idle() {
	s.deliver.Lock()
	s.cfg.OnIdle()
	s.deliver.Unlock()
}

// readFrame reads one message into *scratch, kept from frame to frame, and
// returns it there: the decoded Envelope points into it until the next
// frame is read, and whoever keeps a string longer copies it
// (Config.OnEnvelope). Allocating a frame per envelope, 1 KB or more that
// lived until the ack, was most of the bytes the collector had to chase
// under load. A message over max bytes is read to its end but not kept:
// readFrame returns its first 4 KB (where Slack puts the envelope_id) and
// ErrFrameTooBig. size is the message's size.
func readFrame(r io.Reader, max int64, scratch *[]byte) (frame []byte, size int64, err error) {
	buf := (*scratch)[:0]
	defer func() {
		if cap(buf) <= maxScratch { // a rare big frame's buffer is not kept
			*scratch = buf
		}
	}()
	for int64(len(buf)) <= max {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow
		}
		n, err := r.Read(buf[len(buf):min(int64(cap(buf)), max+1)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, int64(len(buf)), err
		}
	}
	size = int64(len(buf))
	if size <= max {
		return buf, size, nil
	}
	head := buf[:min(4096, len(buf))]
	rest, err := io.Copy(io.Discard, r)
	if err != nil {
		return nil, size + rest, err
	}
	return head, size + rest, ErrFrameTooBig
}

// maxScratch is the largest read buffer a connection keeps between frames.
const maxScratch = 64 << 10

// pickLocked points acks at the newest open connection that said hello,
// else the newest open one, and updates readiness. Slack takes an ack on
// any connection of the app (slack-go and Bolt ack on their current one).
func (s *Socket) pickLocked() {
	var best *wsConn
	up := false
	for _, c := range s.conns {
		if c.hello.Load() {
			best, up = c, true
		}
	}
	if best == nil && len(s.conns) > 0 {
		best = s.conns[len(s.conns)-1]
	}
	s.cur.Store(best)
	s.setConnected(up)
}

// retire closes c and takes it out of the connections acks may use.
func (s *Socket) retire(c *wsConn) {
	c.mu.Lock()
	c.closed = true
	c.ws.Close()
	c.mu.Unlock()
	s.mu.Lock()
	s.conns = slices.DeleteFunc(s.conns, func(x *wsConn) bool { return x == c })
	s.pickLocked()
	s.mu.Unlock()
}

// closeAll says goodbye on every open connection and closes it: shutdown.
func (s *Socket) closeAll() {
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	s.cur.Store(nil)
	s.mu.Unlock()
	for _, c := range conns {
		c.control(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
		c.mu.Lock()
		c.closed = true
		c.ws.Close()
		c.mu.Unlock()
	}
}

func (s *Socket) setConnected(up bool) {
	if up {
		s.m.connected.Set(1)
	} else {
		s.m.connected.Set(0)
	}
	if s.cfg.OnConnected != nil {
		s.cfg.OnConnected(up)
	}
}

// freeze makes the read deadline t for good: pings no longer extend it.
func (c *wsConn) freeze(t time.Time) {
	c.rmu.Lock()
	c.frozen = true
	c.ws.SetReadDeadline(t)
	c.rmu.Unlock()
}

// goodbye closes an old connection whose overlap is over: a close frame,
// then a second for Slack's answer before the read ends.
func (c *wsConn) goodbye() {
	c.control(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	c.freeze(time.Now().Add(time.Second))
}

// Ack is one acknowledgement to send: an envelope ID and, for commands and
// interactions, an optional response payload.
type Ack struct {
	EnvelopeID string
	Payload    any
}

// SendAcks writes acks in one flush on the current connection. Slack takes
// acks on any connection of the app, so an envelope read on a socket that
// has since closed is acked on another: if the current one is closing (an
// old connection Slack just closed), the others are tried. Only with no
// connection open at all are the acks lost, and Slack redelivers events
// (harmless: dedupe).
func (s *Socket) SendAcks(acks []Ack) error {
	c := s.cur.Load()
	if c == nil {
		return errNoConn
	}
	err := c.writeAcks(acks, s.cfg.Log)
	if err == nil {
		return nil
	}
	s.mu.Lock()
	others := slices.Clone(s.conns)
	s.mu.Unlock()
	for i := len(others) - 1; i >= 0; i-- {
		if o := others[i]; o != c {
			if err = o.writeAcks(acks, s.cfg.Log); err == nil {
				return nil
			}
		}
	}
	return err
}

func (c *wsConn) writeAcks(acks []Ack, log *slog.Logger) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errConnClosed
	}
	c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	var buf []byte
	for _, a := range acks {
		var err error
		buf, err = appendAck(buf[:0], a)
		if err != nil {
			// Still ack, without the response: an un-acked command shows
			// the user an error, and the handler's answer is lost anyway.
			log.Error("socket mode: ack payload dropped", "envelope_id", a.EnvelopeID, "err", err)
			buf, _ = appendAck(buf[:0], Ack{EnvelopeID: a.EnvelopeID})
		}
		if err := c.ws.WriteMessage(websocket.TextMessage, buf); err != nil {
			return err
		}
	}
	return c.bc.Flush()
}

// maxAckSize is Slack's limit: larger frames are silently dropped.
const maxAckSize = 20 << 10

func appendAck(buf []byte, a Ack) ([]byte, error) {
	if a.Payload == nil && plainID(a.EnvelopeID) { // the hot path: no encoder
		buf = append(buf, `{"envelope_id":"`...)
		buf = append(buf, a.EnvelopeID...)
		return append(buf, `"}`...), nil
	}
	b, err := json.Marshal(struct {
		EnvelopeID string `json:"envelope_id"`
		Payload    any    `json:"payload,omitempty"`
	}{a.EnvelopeID, a.Payload})
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
