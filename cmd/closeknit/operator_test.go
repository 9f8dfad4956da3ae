package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement/redistest"
	"github.com/redis/go-redis/v9"
)

// TestPprofOnlyOnLoopback (issue 11 B5): with CLOSEKNIT_PPROF=1 the
// profiles are on HTTP_ADDR, usually every interface; only a loopback
// client gets them.
func TestPprofOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	addPprof(mux)
	for _, tt := range []struct {
		remote string
		want   int
	}{
		{"127.0.0.1:40000", http.StatusOK},
		{"[::1]:40000", http.StatusOK},
		{"10.1.2.3:40000", http.StatusNotFound},
		{"192.168.0.9:40000", http.StatusNotFound},
		{"[2001:db8::1]:40000", http.StatusNotFound},
		{"garbage", http.StatusNotFound},
	} {
		req := httptest.NewRequest(http.MethodGet, "/debug/pprof/", nil)
		req.RemoteAddr = tt.remote
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("/debug/pprof/ from %s: %d, want %d", tt.remote, rec.Code, tt.want)
		}
	}
}

// TestSandboxKeepRunningHidesRedisPassword (issue 11 B5): the banner of
// `sandbox --keep-running` names the Redis it uses, never its password.
func TestSandboxKeepRunningHidesRedisPassword(t *testing.T) {
	// A real redis-server of the test's own, with a password.
	rs := redistest.StartServer(t)
	const password = "s3cret-do-not-print"
	addr := "127.0.0.1:" + rs.Port
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	if err := rdb.ConfigSet(context.Background(), "requirepass", password).Err(); err != nil {
		t.Fatal(err)
	}
	rdb.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"sandbox", "--members", "12", "--messages", "30", "--weeks", "1", "--keep-running", "--out", t.TempDir()},
			func(k string) string {
				if k == "REDIS_URL" {
					return "redis://:" + password + "@" + addr + "/0"
				}
				return ""
			}, &out, &bytes.Buffer{})
	}()
	deadline := time.After(2 * time.Minute)
	for !strings.Contains(out.String(), "Still running") {
		select {
		case err := <-done:
			t.Fatalf("sandbox ended before the banner: %v\n%s", err, out.String())
		case <-deadline:
			t.Fatalf("no banner:\n%s", out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("sandbox: %v", err)
	}
	if s := out.String(); strings.Contains(s, password) || !strings.Contains(s, addr) {
		t.Errorf("banner shows the password, or not the Redis address:\n%s", s)
	}
}
