package redistest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
)

// defaultAddr is where the tests look for a Redis when
// CLOSEKNIT_TEST_REDIS_URL is unset (findLocal takes it as an argument, so
// that its test can point it where nothing listens).
const defaultAddr = "127.0.0.1:6379"

// local is the Redis this test binary uses when CLOSEKNIT_TEST_REDIS_URL is
// unset, found (or started) once and shared by all its tests.
var local struct {
	once sync.Once
	url  string
	srv  *sharedServer // nil when a Redis already answered at defaultAddr
}

// noLocal is set when there is no local Redis to be had: Client then fails
// at once with what to install, for that URL.
var noLocal atomic.Pointer[struct {
	url string
	err error
}]

// localURL finds the local test Redis once per test binary.
func localURL() string {
	local.once.Do(func() {
		var err error
		local.url, local.srv, err = findLocal(defaultAddr)
		if err != nil {
			noLocal.Store(&struct {
				url string
				err error
			}{local.url, err})
			fmt.Fprintln(os.Stderr, err) // also for tests that hand the URL to a child process
		}
	})
	return local.url
}

// findLocal returns the Redis at addr if one answers there; else it starts
// a redis-server from PATH on a free loopback port. With neither, it returns
// addr's URL and an error of one line saying what to install.
func findLocal(addr string) (string, *sharedServer, error) {
	url := "redis://" + addr + "/0"
	if answers(addr) {
		return url, nil, nil
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		return url, nil, fmt.Errorf("redistest: no Redis answers at %s, CLOSEKNIT_TEST_REDIS_URL is unset and redis-server is not in PATH: "+
			"install Redis (e.g. apt-get install redis-server, brew install redis) or set CLOSEKNIT_TEST_REDIS_URL", addr)
	}
	srv, err := startShared()
	if err != nil {
		return url, nil, fmt.Errorf("redistest: no Redis answers at %s and redis-server did not start: %v", addr, err)
	}
	return srv.url, srv, nil
}

// answers reports whether a Redis at addr answers PING.
func answers(addr string) bool { return ping(addr) == nil }

// sharedServer is a throwaway redis-server (no persistence) for one test
// binary.
type sharedServer struct {
	url  string
	cmd  *exec.Cmd
	life io.Closer // closing it stops the server
	out  *bytes.Buffer
}

// startShared starts redis-server on a free loopback port. It runs under a
// shell that waits on a pipe from this process and stops the server when
// the pipe closes: when stop closes it, or when the test binary exits in
// any way (even killed by a test timeout), since the kernel closes the
// binary's end of the pipe then. No server outlives its tests.
func startShared() (*sharedServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("sh", "-c", `redis-server "$@" & pid=$!; read -r line; kill $pid; wait $pid`, "sh",
		"--port", port, "--bind", "127.0.0.1", "--dir", os.TempDir(), "--save", "", "--appendonly", "no", "--logfile", "")
	life, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &sharedServer{url: "redis://127.0.0.1:" + port + "/0", cmd: cmd, life: life, out: out}
	if err := waitPing(port); err != nil {
		s.stop()
		return nil, fmt.Errorf("%v: %s", err, bytes.TrimSpace(out.Bytes()))
	}
	return s, nil
}

// stop stops the server and waits until it has exited.
func (s *sharedServer) stop() error {
	s.life.Close()
	return s.cmd.Wait()
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}
