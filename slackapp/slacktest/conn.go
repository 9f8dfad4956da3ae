package slacktest

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// conn is one Socket Mode connection. Its writeLoop is the only goroutine
// that writes data frames (gorilla allows one concurrent writer); the read
// loop only writes control frames, which gorilla allows concurrently.
type conn struct {
	s  *Server
	ws *websocket.Conn
	bc *bufConn

	mu              sync.Mutex
	out             [][]byte
	closeAfterFlush bool          // set by a disconnect: close after the grace period
	grace           time.Duration // how long after the disconnect frame

	wake      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// enqueue appends a frame to the connection's outbox. It never blocks, so it
// is safe under Server.mu.
func (c *conn) enqueue(frame []byte) {
	c.mu.Lock()
	c.out = append(c.out, frame)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// writeLoop writes whatever the outbox holds as one batch with one flush,
// sends a PING every pingInterval, asks the client to reconnect when lifetime
// is up, and closes the connection a grace period after a disconnect.
func (c *conn) writeLoop(pingInterval, lifetime time.Duration) {
	defer c.s.wg.Done()
	defer c.closeNow()
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	var lifeC <-chan time.Time
	if lifetime > 0 {
		t := time.NewTimer(lifetime)
		defer t.Stop()
		lifeC = t.C
	}
	var graceC <-chan time.Time
	var batch [][]byte
	for {
		select {
		case <-c.done:
			return
		case <-c.wake:
		case <-ping.C:
			if err := c.control(websocket.PingMessage, nil); err != nil {
				return
			}
			continue
		case <-lifeC:
			c.s.mu.Lock()
			if slices.Contains(c.s.conns, c) {
				c.s.disconnectLocked(c, "refresh_requested")
				c.s.notifyLocked()
			}
			c.s.mu.Unlock()
			continue
		case <-graceC:
			c.closeHandshake()
			return
		}
		c.mu.Lock()
		batch, c.out = c.out, batch[:0]
		closing := c.closeAfterFlush
		c.mu.Unlock()
		for _, f := range batch {
			if err := c.ws.WriteMessage(websocket.TextMessage, f); err != nil {
				return
			}
		}
		clear(batch) // let the frames be collected
		if err := c.bc.flush(); err != nil {
			return
		}
		if closing && graceC == nil {
			c.mu.Lock()
			grace := c.grace
			c.mu.Unlock()
			t := time.NewTimer(grace)
			defer t.Stop()
			graceC = t.C
		}
	}
}

// closeHandshake ends a connection whose grace after a disconnect is over,
// as a WebSocket server should: out of the delivery rotation, what is
// queued written, a close frame, and acks still read until the client
// answers the close (readLoop then returns and closes c) or closeWait
// passes.
func (c *conn) closeHandshake() {
	c.s.mu.Lock()
	c.s.leaveRotationLocked(c)
	c.s.notifyLocked()
	c.s.mu.Unlock()
	c.mu.Lock()
	batch := c.out
	c.out = nil
	c.mu.Unlock()
	for _, f := range batch {
		if c.ws.WriteMessage(websocket.TextMessage, f) != nil {
			return
		}
	}
	if c.control(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")) != nil {
		return
	}
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
	}
}

// refuse tells a new connection that the app has too many and closes it
// (no hello: it never joins the rotation).
func (c *conn) refuse() {
	c.ws.WriteMessage(websocket.TextMessage, disconnectFrame("too_many_websockets"))
	c.control(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	c.ws.NetConn().Close()
}

// control writes a control frame and flushes it at once: a ping or close
// must not wait for the next batch.
func (c *conn) control(messageType int, data []byte) error {
	if err := c.ws.WriteControl(messageType, data, time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	return c.bc.flush()
}

// pong answers a client PING, as gorilla's default handler would, and
// flushes.
func (c *conn) pong(data string) error {
	err := c.control(websocket.PongMessage, []byte(data))
	var ne net.Error
	if errors.Is(err, websocket.ErrCloseSent) || errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	return err
}

// echoClose answers a close frame, as gorilla's default handler would, and
// flushes.
func (c *conn) echoClose(code int, _ string) error {
	c.control(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""))
	return nil
}

// readLoop reads acks, from this connection, for envelopes sent on any
// connection. A frame of maxAckSize bytes or more is drained and reported
// without being parsed.
func (c *conn) readLoop() {
	defer c.s.wg.Done()
	defer c.s.removeConn(c)
	defer c.closeNow()
	buf := make([]byte, maxAckSize)
	for {
		_, r, err := c.ws.NextReader()
		if err != nil {
			return
		}
		n, err := io.ReadFull(r, buf)
		switch {
		case err == nil: // buf is full: the frame is maxAckSize bytes or more
			m, _ := io.Copy(io.Discard, r)
			c.s.fail("slacktest: ack too large (%d bytes, limit %d): Slack drops it", int64(n)+m, maxAckSize-1)
			continue
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		default:
			return
		}
		c.s.handleAck(buf[:n])
	}
}

// closeNow closes the TCP connection without a close frame.
func (c *conn) closeNow() {
	c.closeOnce.Do(func() {
		close(c.done)
		c.ws.NetConn().Close()
	})
}

// hijacker wraps the ResponseWriter so that the net.Conn gorilla gets from
// Hijack buffers its writes in a bufConn.
type hijacker struct {
	http.ResponseWriter
	bc *bufConn
}

func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.bc = &bufConn{Conn: nc, w: bufio.NewWriterSize(nc, 64<<10)}
	return h.bc, brw, nil
}

// bufConn is a net.Conn whose writes collect in a buffer until flush. The
// mutex is needed because the read loop writes control frames while the
// write loop writes data frames; gorilla already keeps whole frames from
// interleaving.
type bufConn struct {
	net.Conn
	mu sync.Mutex
	w  *bufio.Writer
}

func (b *bufConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(p) > b.w.Available() {
		// This write reaches the socket (a big frame, a full buffer):
		// bound it as flush does.
		b.Conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	}
	return b.w.Write(p)
}

func (b *bufConn) flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.Conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return b.w.Flush()
}
