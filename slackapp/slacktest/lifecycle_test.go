package slacktest

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/socketmode"
)

// TestPings checks the keepalive both ways: the server sends PINGs every
// PingInterval and answers a client PING with a PONG carrying its payload.
func TestPings(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.Configure(func(s *Server) { s.PingInterval = 10 * time.Millisecond })
	ctx := testContext(t)
	ws := dialRaw(t, srv)

	pings := make(chan struct{}, 10)
	pongs := make(chan string, 1)
	ws.SetPingHandler(func(string) error {
		select {
		case pings <- struct{}{}:
		default:
		}
		return nil
	})
	ws.SetPongHandler(func(data string) error { pongs <- data; return nil })
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	if err := ws.WriteControl(websocket.PingMessage, []byte("are-you-there"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		select {
		case <-pings:
		case <-ctx.Done():
			t.Fatal("no server PING")
		}
	}
	select {
	case got := <-pongs:
		if got != "are-you-there" {
			t.Errorf("PONG payload = %q", got)
		}
	case <-ctx.Done():
		t.Fatal("no PONG")
	}
}

// TestDebugReconnects checks that the debug_reconnects=true parameter slack-go
// adds in debug mode is accepted and shortens the announced lifetime.
func TestDebugReconnects(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	_, u, err := newAPI(srv).StartSocketModeContext(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.Dial(u+"&debug_reconnects=true", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var hello socketmode.Request
	if err := ws.ReadJSON(&hello); err != nil {
		t.Fatal(err)
	}
	if hello.Type != "hello" || hello.NumConnections != 1 || hello.ConnectionInfo.AppID != DefaultAppID ||
		hello.DebugInfo.ApproximateConnectionTime != 360 {
		t.Errorf("hello = %+v", hello)
	}
}

// TestCloseStopsGoroutines checks that Close leaves none of the server's
// goroutines behind. It is not parallel, so that no other test's server is
// running while it counts.
func TestCloseStopsGoroutines(t *testing.T) {
	srv := NewServer(t)
	ctx := testContext(t)
	go ackAll(dialRaw(t, srv))
	dialRaw(t, srv) // a second connection that never acks
	frames, ids := burstFrames(srv, 100)
	// Half the frames go to the silent connection, so the burst times out
	// with frames in flight.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := srv.Burst(short, frames, ids, 8); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Burst = %v, want deadline exceeded", err)
	}
	srv.SendEnvelope(srv.Event(map[string]any{"type": "message", "channel": "C05R8T2KLMN", "text": "x", "ts": srv.NewTS()}))
	srv.Disconnect("warning")
	if n := len(serverGoroutines()); n < 5 { // Serve, retryLoop, 2×(reader, writer)
		t.Fatalf("goroutine probe finds %d server goroutines before Close, want at least 5", n)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitConnections(ctx, 1); err != ErrClosed {
		t.Errorf("WaitConnections after Close = %v, want ErrClosed", err)
	}

	// Close waited for every goroutine to call wg.Done; give them the
	// moment they need to return from it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := serverGoroutines()
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines left after Close:\n%s", strings.Join(left, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func serverGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		for _, fn := range []string{"(*Server).retryLoop", "(*Server).Start", "(*conn).writeLoop", "(*conn).readLoop", "(*Server).serve"} {
			if strings.Contains(g, "slacktest."+fn) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}
