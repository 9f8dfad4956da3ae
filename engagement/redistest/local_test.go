package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/redis/go-redis/v9"
)

// TestStartsRedisServerWhenNoneAnswers points the default address at a
// port where nothing listens: a redis-server from PATH is started on
// another port, answers, and is gone once stopped.
func TestStartsRedisServerWhenNoneAnswers(t *testing.T) {
	port, err := freePort() // nothing listens here
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + port
	url, srv, err := findLocal(addr)
	if err != nil {
		t.Fatal(err)
	}
	if srv == nil || url == "redis://"+addr+"/0" {
		t.Fatalf("findLocal(%s) = %s without starting a server", addr, url)
	}
	rdb := Client(t, url)
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "cktest-redistest", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got := rdb.Get(ctx, "cktest-redistest").Val(); got != "x" {
		t.Errorf("GET = %q, want x", got)
	}
	srv.stop()
	if a := strings.TrimPrefix(strings.TrimSuffix(url, "/0"), "redis://"); answers(a) {
		t.Errorf("the started server at %s still answers after stop", a)
	}
}

// TestUsesTheRedisThatAnswers: a Redis already at the default address is
// used as it is; nothing is started.
func TestUsesTheRedisThatAnswers(t *testing.T) {
	rs := StartServer(t)
	url, srv, err := findLocal("127.0.0.1:" + rs.Port)
	if err != nil || srv != nil || url != rs.URL {
		t.Errorf("findLocal = %s, started %v, %v; want %s, nothing started", url, srv != nil, err, rs.URL)
	}
}

// TestNoRedisAndNoRedisServer: with neither, one line says what to install.
func TestNoRedisAndNoRedisServer(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir()) // no redis-server
	_, srv, err := findLocal("127.0.0.1:" + port)
	if err == nil || srv != nil {
		t.Fatalf("findLocal without Redis or redis-server: started %v, err %v; want an error", srv != nil, err)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "install Redis") || !strings.Contains(msg, "CLOSEKNIT_TEST_REDIS_URL") {
		t.Errorf("error %q: want one line naming what to install and CLOSEKNIT_TEST_REDIS_URL", msg)
	}
}

// TestURLIsSharedByTheBinary: URL finds (or starts) the local Redis once;
// every test of the binary gets the same one.
func TestURLIsSharedByTheBinary(t *testing.T) {
	t.Setenv("CLOSEKNIT_TEST_REDIS_URL", "")
	first := URL()
	if second := URL(); second != first {
		t.Errorf("URL() = %s, then %s", first, second)
	}
	o, err := engagement.ParseRedisURL(first)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewUniversalClient(o)
	defer rdb.Close()
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Errorf("URL() = %s does not answer: %v", first, err)
	}
}

// TestSharedServerStopsWhenTheBinaryExits runs a child test binary that
// starts a server and exits without stopping it (as a test binary killed by
// a timeout would): the server goes away with it.
func TestSharedServerStopsWhenTheBinaryExits(t *testing.T) {
	if os.Getenv("REDISTEST_CHILD") == "1" {
		srv, err := startShared()
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		fmt.Println("url:", srv.url)
		os.Exit(0) // no stop
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSharedServerStopsWhenTheBinaryExits$")
	cmd.Env = append(os.Environ(), "REDISTEST_CHILD=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	_, url, ok := strings.Cut(strings.TrimSpace(string(out)), "url: ")
	if !ok {
		t.Fatalf("child printed %q", out)
	}
	addr := strings.TrimPrefix(strings.TrimSuffix(url, "/0"), "redis://")
	deadline := time.Now().Add(10 * time.Second)
	for answers(addr) {
		if time.Now().After(deadline) {
			t.Fatalf("the server at %s still answers 10 s after its test binary exited", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
