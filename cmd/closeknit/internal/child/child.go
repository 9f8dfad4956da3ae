// Package child starts and watches the process a load tool measures: a
// `closeknit serve` (or the Node peer) connected to the built-in emulator.
// Its CPU and memory are read from /proc, so the emulator's work in the
// measuring process is never charged to it.
package child

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/redis/go-redis/v9"
)

// The community a serve child counts into.
var community = &engagement.Community{ID: "load", Channel: Channel, Location: time.UTC, Cap: 100}

// Channel is the channel of the community a serve child counts; the load
// traffic is posted there.
const Channel = "C05R8T2KLMN"

// ServeCommand is a `closeknit serve` child process counting into the
// namespace ns, against the emulator srv.
func ServeCommand(ctx context.Context, exe string, srv *slacktest.Server, redisURL, ns string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, exe, "serve")
	cmd.Env = append(os.Environ(),
		"SLACK_APP_TOKEN="+srv.AppToken, "SLACK_BOT_TOKEN="+srv.BotToken, "SLACK_API_URL="+srv.APIURL(),
		"REDIS_URL="+redisURL, "CLOSEKNIT_NAMESPACE="+ns, "CLOSEKNIT_COMMUNITY="+community.ID,
		"CLOSEKNIT_CHANNEL="+Channel, "CLOSEKNIT_LOG_LEVEL=warn", "HTTP_ADDR=127.0.0.1:0")
	return cmd
}

// Counted is how many messages a serve child counted in namespace ns in
// week.
func Counted(ctx context.Context, rdb redis.UniversalClient, ns string, week engagement.Week) (int64, error) {
	r, err := engagement.NewStore(rdb, engagement.Options{Namespace: ns}).Report(ctx, community, week)
	if err != nil {
		return 0, err
	}
	return r.Messages, nil
}

// CleanNamespace deletes the keys of a load run's namespace, on every
// master of a Cluster.
func CleanNamespace(rdb redis.UniversalClient, ns string) {
	engagement.DeleteKeys(context.Background(), rdb, ns+":*")
}

// Process is a started child, keeping the start of its output for errors.
type Process struct {
	cmd  *exec.Cmd
	logs strings.Builder
}

// Start starts cmd and waits until it connects to srv (30 s at most).
func Start(ctx context.Context, cmd *exec.Cmd, srv *slacktest.Server) (*Process, error) {
	p := &Process{cmd: cmd}
	cmd.Stderr = &limitedWriter{w: &p.logs, n: 8 << 10}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := srv.WaitConnections(wctx, 1); err != nil {
		p.Stop()
		return nil, fmt.Errorf("did not connect: %w; its output:\n%s", err, p.Output())
	}
	return p, nil
}

// Pid is the child's process ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Output is the first 8 KB the child wrote.
func (p *Process) Output() string { return p.logs.String() }

// Stop asks the child to stop (SIGTERM) and kills it after 10 s.
func (p *Process) Stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
	}
}

// CPU returns the child's user+sys CPU time from /proc/PID/stat.
func (p *Process) CPU() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.Pid()))
	if err != nil {
		return 0, fmt.Errorf("read process CPU: %w", err)
	}
	// Fields after the command name (which may hold spaces) start at ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// RSS reads the child's VmRSS from /proc/PID/status, in bytes.
func (p *Process) RSS() (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		return 0, fmt.Errorf("read RSS: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest) // "12345 kB"
			kb, err := strconv.ParseFloat(f[0], 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", p.Pid())
}

// MetricsURL finds the /metrics URL of the child (or "": the Node peer
// serves none).
func (p *Process) MetricsURL() string { return MetricsURL(p.Pid()) }

// MetricsURL finds the port the process pid's HTTP server listens on (it
// was started on port 0) from /proc/net/tcp and the process's sockets.
func MetricsURL(pid int) string {
	inodes := map[string]bool{}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// state 0A is LISTEN; field 9 is the inode.
		if len(fields) > 9 && fields[3] == "0A" && inodes[fields[9]] {
			_, portHex, _ := strings.Cut(fields[1], ":")
			port, _ := strconv.ParseInt(portHex, 16, 32)
			return fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
		}
	}
	return ""
}

// limitedWriter keeps the first n bytes of a child's output, for errors.
type limitedWriter struct {
	w *strings.Builder
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
