package socketmode

import (
	"bufio"
	"net"
	"sync"
	"sync/atomic"
)

// bufConn buffers writes to a network connection until Flush. gorilla
// writes every WebSocket frame with its own write(2); on loopback one write
// costs several microseconds, so acking a batch of 64 envelopes frame by
// frame would cost more CPU than counting them. With bufConn the acks of a
// batch leave in one write. Until buffering is switched on (after the
// handshake), writes go straight through.
//
// beforeRead, if set, runs before every read from the network, that is,
// whenever gorilla has consumed everything already received. The socket
// uses it to hand the envelopes decoded so far to the workers as one batch:
// one wake-up per network read instead of one per envelope.
type bufConn struct {
	net.Conn
	buffered   atomic.Bool
	mu         sync.Mutex
	w          *bufio.Writer
	beforeRead func()
}

func (c *bufConn) Read(p []byte) (int, error) {
	if c.beforeRead != nil {
		c.beforeRead()
	}
	return c.Conn.Read(p)
}

func newBufConn(c net.Conn) *bufConn {
	return &bufConn{Conn: c, w: bufio.NewWriterSize(c, 64<<10)}
}

func (c *bufConn) Write(p []byte) (int, error) {
	if !c.buffered.Load() {
		return c.Conn.Write(p)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Write(p)
}

// Flush sends what is buffered.
func (c *bufConn) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Flush()
}
