package redistest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is a redis-server of the test's own on a free loopback port, for
// tests that stop, kill or restart Redis (never the shared one). It keeps an
// append-only file fsynced on every write, as production should when a
// crash must not lose acked counts, so a restart keeps every acked write.
type Server struct {
	Dir, Port, URL string
	cmd            *exec.Cmd
}

// StartServer starts a Server and stops it when the test ends.
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		tb.Fatalf("redis-server is needed for this test (apt-get install redis-server): %v", err)
	}
	port, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	rs := &Server{Dir: tb.TempDir(), Port: port, URL: "redis://127.0.0.1:" + port + "/0"}
	rs.Start(tb)
	tb.Cleanup(func() {
		if rs.cmd != nil {
			rs.cmd.Process.Kill()
			rs.cmd.Wait()
		}
	})
	return rs
}

// Start starts (or restarts) the server on its port and directory and
// waits until it answers PING, having loaded its append-only file.
func (rs *Server) Start(tb testing.TB) {
	tb.Helper()
	rs.cmd = exec.Command("redis-server", "--port", rs.Port, "--bind", "127.0.0.1", "--dir", rs.Dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--logfile", filepath.Join(rs.Dir, "redis.log"))
	if err := rs.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	if err := waitPing(rs.Port); err != nil {
		log, _ := os.ReadFile(filepath.Join(rs.Dir, "redis.log"))
		tb.Fatalf("redis-server did not start: %v\n%s", err, log)
	}
}

// waitPing waits up to 10 s until a server on the loopback port answers
// PING (having loaded any append-only file).
func waitPing(port string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := ping("127.0.0.1:" + port)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer on port %s: %v", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ping sends one PING to addr and wants +PONG back (a Redis that wants a
// password answers -NOAUTH: not one the tests can use).
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 64)
	n, _ := c.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "+PONG") {
		return fmt.Errorf("answered %q to PING", buf[:n])
	}
	return nil
}

// Stop shuts the server down cleanly (it flushes the AOF and exits).
func (rs *Server) Stop(tb testing.TB) { rs.halt(tb, os.Interrupt) }

// Kill crashes the server (SIGKILL): only what was fsynced survives.
func (rs *Server) Kill(tb testing.TB) { rs.halt(tb, syscall.SIGKILL) }

func (rs *Server) halt(tb testing.TB, sig os.Signal) {
	tb.Helper()
	if rs.cmd == nil {
		tb.Fatal("redistest: server not running")
	}
	rs.cmd.Process.Signal(sig)
	rs.cmd.Wait()
	rs.cmd = nil
}
