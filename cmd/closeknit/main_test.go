package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/closeknit/closeknit/cmd/closeknit/internal/child"
	"github.com/closeknit/closeknit/cmd/closeknit/internal/scrape"
	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/redistest"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/redis/go-redis/v9"
)

// syncBuffer is a bytes.Buffer safe for the app's goroutines to log into.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunServeEndToEnd starts run("serve") with a fake environment against
// the emulator and a real Redis, waits for /readyz, drives events through,
// reads them back with run("report --json"), then cancels and checks that
// run returned cleanly.
func TestRunServeEndToEnd(t *testing.T) {
	srv := slacktest.NewServer(t)
	srv.AddChannels("C05R8T2KLMN")
	ns := fmt.Sprintf("cktest-cmd-%d", os.Getpid())
	env := map[string]string{
		"SLACK_APP_TOKEN": srv.AppToken, "SLACK_BOT_TOKEN": srv.BotToken, "SLACK_API_URL": srv.APIURL(),
		"REDIS_URL": redistest.URL(), "CLOSEKNIT_NAMESPACE": ns, "CLOSEKNIT_COMMUNITY": "acme",
		"CLOSEKNIT_CHANNEL": "C05R8T2KLMN", "CLOSEKNIT_TIMEZONE": "America/Los_Angeles",
		"CLOSEKNIT_STAFF": "U0STAFF0001", "HTTP_ADDR": "127.0.0.1:0", "CLOSEKNIT_CAP": "1",
	}
	getenv := func(k string) string { return env[k] }
	t.Cleanup(func() { child.CleanNamespace(redis.NewClient(mustParseRedis(t)), ns) })

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, getenv, &bytes.Buffer{}, &logs) }()

	addr := waitForLog(t, &logs, `"msg":"http listening"`, `"addr":"`)
	waitHTTP(t, "http://"+addr+"/readyz", http.StatusOK)
	for _, args := range [][]string{{"healthcheck", "--http-addr", addr}, {"healthcheck", "--ready", "--http-addr", addr}} {
		if err := run(ctx, args, getenv, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
			t.Errorf("%v: %v, want nil while serving", args, err)
		}
	}
	if err := srv.WaitConnections(ctxT(t), 1); err != nil {
		t.Fatal(err)
	}
	// Sunday 23:30 and Monday 00:30 in Los Angeles fall in different weeks.
	la, _ := time.LoadLocation("America/Los_Angeles")
	sunday := time.Date(2026, 11, 22, 23, 30, 0, 0, la)
	for i, at := range []time.Time{sunday, sunday.Add(time.Hour), sunday.Add(time.Hour + time.Minute)} {
		ts := engagement.FormatTS(at.Add(time.Duration(i) * time.Microsecond))
		if err := srv.SendEnvelope(srv.Event(map[string]any{"type": "message", "user": "U02H7K4N5PQ", "text": "hi",
			"ts": ts, "event_ts": ts, "channel": "C05R8T2KLMN", "channel_type": "channel"})); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.WaitAllAcked(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	metrics, err := scrape.Get(ctxT(t), "http://"+addr+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		name   string
		labels []string
		value  float64
	}{
		{"closeknit_socket_connected", nil, 1},
		{"closeknit_socket_envelopes_total", []string{"outcome", "counted", "type", "events_api"}, 3},
		{"closeknit_slack_api_calls_total", []string{"method", "auth.test", "outcome", "ok"}, 1},
	} {
		if got := metrics.Sum(want.name, want.labels...); got != want.value {
			t.Errorf("/metrics: %s%q = %v, want %v", want.name, want.labels, got, want.value)
		}
	}
	// The latency is observed just after the acks are written, so its
	// count may still be short of 3 here: only its presence is certain.
	if !metrics.Has("closeknit_socket_ack_latency_seconds_count") {
		t.Error("/metrics lacks closeknit_socket_ack_latency_seconds")
	}

	for week, want := range map[string]int64{"2026-W47": 1, "2026-W48": 2} {
		var out bytes.Buffer
		if err := run(ctx, []string{"report", "--json", "--week", week}, getenv, &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("report: %v", err)
		}
		var r struct {
			Community, Channel, Timezone, Week string
			Messages                           int64
			Members                            []struct {
				User     string
				Messages int64
			}
		}
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("report --json: %v\n%s", err, out.String())
		}
		if r.Community != "acme" || r.Channel != "C05R8T2KLMN" || r.Timezone != "America/Los_Angeles" || r.Week != week ||
			r.Messages != want || len(r.Members) != 1 || r.Members[0].User != "U02H7K4N5PQ" || r.Members[0].Messages != want {
			t.Errorf("report %s: %+v, want %d messages by U02H7K4N5PQ", week, r, want)
		}
	}

	// Two customers join a channel capped at 1, one after the other (Slack
	// could deliver two joins in flight together in either order): `members
	// --json` shows one seat and one waiting; `forget` deletes the waiting
	// one's records.
	for i, u := range []string{"U0MEMBER001", "U0MEMBER002"} {
		env := srv.Event(map[string]any{"type": "member_joined_channel", "user": u, "channel": "C05R8T2KLMN",
			"channel_type": "C", "team": srv.TeamID, "event_ts": fmt.Sprintf("%d.00010%d", time.Now().Unix(), i)})
		if err := srv.SendEnvelope(env); err != nil {
			t.Fatal(err)
		}
		if err := srv.WaitAcked(ctxT(t), env.ID); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"members", "--json"}, getenv, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("members: %v", err)
	}
	var roster struct {
		Community string
		Cap       int
		Seated    []struct {
			User  string
			Since time.Time
			Intro bool
		}
		Waitlist []struct {
			User     string
			Position int
			Since    time.Time
		}
	}
	if err := json.Unmarshal(out.Bytes(), &roster); err != nil {
		t.Fatalf("members --json: %v\n%s", err, out.String())
	}
	if roster.Community != "acme" || roster.Cap != 1 || len(roster.Seated) != 1 || roster.Seated[0].User != "U0MEMBER001" ||
		roster.Seated[0].Since.IsZero() || len(roster.Waitlist) != 1 || roster.Waitlist[0].User != "U0MEMBER002" || roster.Waitlist[0].Position != 1 {
		t.Errorf("members --json:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"forget", "U0MEMBER002"}, getenv, &out, &bytes.Buffer{}); err != nil || !strings.Contains(out.String(), "records deleted") {
		t.Errorf("forget: %v %q", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"members"}, getenv, &out, &bytes.Buffer{}); err != nil || strings.Contains(out.String(), "U0MEMBER002") || !strings.Contains(out.String(), "1 of 1 seats taken") {
		t.Errorf("members after forget: %v\n%s", err, out.String())
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v, want nil after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return within 10s of cancel")
	}
	if err := run(context.Background(), []string{"healthcheck", "--http-addr", addr}, getenv, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("healthcheck succeeded after serve stopped")
	}
	if strings.Contains(logs.String(), srv.BotToken) || strings.Contains(logs.String(), srv.AppToken) {
		t.Error("a token appears in the logs")
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"SLACK_APP_TOKEN": "xapp-1-A-1-secret", "SLACK_BOT_TOKEN": "xoxb-secret-bot", "REDIS_URL": redistest.URL(),
		"CLOSEKNIT_CHANNEL": "C05R8T2KLMN", "HTTP_ADDR": "127.0.0.1:0",
	}
	tests := []struct {
		name   string
		change map[string]string
		want   string
	}{
		{"swapped tokens", map[string]string{"SLACK_APP_TOKEN": "xoxb-secret-bot"}, "SLACK_APP_TOKEN: does not start with xapp-"},
		{"missing bot token", map[string]string{"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN: not set"},
		{"unknown zone", map[string]string{"CLOSEKNIT_TIMEZONE": "Mars/Olympus"}, "CLOSEKNIT_TIMEZONE"},
		{"bad cap", map[string]string{"CLOSEKNIT_CAP": "lots"}, "CLOSEKNIT_CAP"},
		{"no channel", map[string]string{"CLOSEKNIT_CHANNEL": ""}, "CLOSEKNIT_CHANNEL: not set"},
		{"bad channel", map[string]string{"CLOSEKNIT_CHANNEL": "general"}, "channel \"general\""},
		{"bad redis scheme", map[string]string{"REDIS_URL": "http://localhost"}, "REDIS_URL"},
		{"unreachable redis", map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}, "REDIS_URL: redis at 127.0.0.1:1 does not answer"},
		{"api url without slash", map[string]string{"SLACK_API_URL": "https://slack.com/api"}, "SLACK_API_URL"},
		{"bad staff id", map[string]string{"CLOSEKNIT_STAFF": "alice"}, "staff \"alice\""},
		{"bad scheduler tick", map[string]string{"CLOSEKNIT_SCHEDULER_TICK": "often"}, "CLOSEKNIT_SCHEDULER_TICK"},
		{"bad ideas place", map[string]string{"CLOSEKNIT_IDEAS": "threads"}, `ideas "threads": invalid: want channel or thread`},
		{"bad prompt time", map[string]string{"CLOSEKNIT_PROMPT_AT": "Wednesday noon"}, "prompt"},
		{"bad drop cooldown", map[string]string{"CLOSEKNIT_DROP_COOLDOWN": "two"}, "CLOSEKNIT_DROP_COOLDOWN"},
		{"drop cooldown too long", map[string]string{"CLOSEKNIT_DROP_COOLDOWN": "21"}, "drop cooldown 21"},
		// issue 11 B2: a glob in the namespace or community ID would reach other keys
		{"glob namespace", map[string]string{"CLOSEKNIT_NAMESPACE": "closeknit*"}, "CLOSEKNIT_NAMESPACE"},
		{"glob namespace class", map[string]string{"CLOSEKNIT_NAMESPACE": "ck[a-z]"}, "CLOSEKNIT_NAMESPACE"},
		{"glob community", map[string]string{"CLOSEKNIT_COMMUNITY": "ac?me"}, "community id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for k, v := range good {
				env[k] = v
			}
			for k, v := range tt.change {
				env[k] = v
			}
			var stderr bytes.Buffer
			err := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, &bytes.Buffer{}, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(stderr.String(), "secret") {
				t.Errorf("a token leaked into the error: %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestConfigFileDeclaresCommunities(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/communities.yaml"
	os.WriteFile(path, []byte("communities:\n  - id: acme\n    channel: C05R8T2KLMN\n    timezone: Europe/Paris\n    staff: [U02H7K4N5PQ]\n  - id: beta\n    channel: C0BETA00001\n    cap: 40\n"), 0o644)
	s := &settings{configFile: path, redisURL: "redis://127.0.0.1:6379/0", namespace: "closeknit", logLevel: "info"}
	cfg, err := s.load(false)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Communities) != 2 || cfg.Communities[0].Location.String() != "Europe/Paris" || cfg.Communities[1].Cap != 40 || cfg.Communities[0].Cap != 100 {
		t.Errorf("communities: %+v %+v", cfg.Communities[0], cfg.Communities[1])
	}
	os.WriteFile(path, []byte("communities:\n  - id: acme\n    chanel: C05R8T2KLMN\n"), 0o644)
	if _, err := s.load(false); err == nil || !strings.Contains(err.Error(), "chanel") {
		t.Errorf("misspelt field: err = %v, want it named", err)
	}
	// ideas: thread is taken per community; a typo is refused, naming it.
	os.WriteFile(path, []byte("communities:\n  - id: acme\n    channel: C05R8T2KLMN\n    ideas: thread\n  - id: beta\n    channel: C0BETA00001\n"), 0o644)
	if cfg, err := s.load(false); err != nil || cfg.Communities[0].Ideas != engagement.IdeasThread || cfg.Communities[1].Ideas != engagement.IdeasChannel {
		t.Errorf("ideas: %v, %v; want thread for acme, the default channel for beta", cfg, err)
	}
	os.WriteFile(path, []byte("communities:\n  - id: acme\n    channel: C05R8T2KLMN\n    ideas: pinned\n"), 0o644)
	if _, err := s.load(false); err == nil || !strings.Contains(err.Error(), `communities[0]: community acme: ideas "pinned"`) {
		t.Errorf("a bad ideas place: err = %v, want it named", err)
	}
	// issue 11 B2: two communities with one ID would share every key
	os.WriteFile(path, []byte("communities:\n  - id: acme\n    channel: C05R8T2KLMN\n  - id: acme\n    channel: C0BETA00001\n"), 0o644)
	if _, err := s.load(false); err == nil || !strings.Contains(err.Error(), `both have id "acme"`) {
		t.Errorf("duplicate community IDs: err = %v, want them refused", err)
	}
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {}, {"version"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, func(string) string { return "" }, &out, &bytes.Buffer{}); err != nil || out.Len() == 0 {
			t.Errorf("run %v: %v, output %q", args, err, out.String())
		}
	}
	if err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("unknown command: no error")
	}
}

// Every subcommand is in the usage text a newcomer reads first, and the
// usage names no command that does not exist.
func TestUsageListsEveryCommand(t *testing.T) {
	t.Parallel()
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  closeknit ([a-z]+)`).FindAllStringSubmatch(usage, -1) {
		listed[m[1]] = true
	}
	for name := range commands {
		if !listed[name] {
			t.Errorf("closeknit %s is not in the usage text (main.go)", name)
		}
	}
	for name := range listed {
		if _, ok := commands[name]; !ok && name != "help" && name != "version" {
			t.Errorf("the usage text lists closeknit %s, which is no command", name)
		}
	}
}

func mustParseRedis(t *testing.T) *redis.Options {
	o, err := redis.ParseURL(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitForLog waits for a log line containing marker and returns the JSON
// string value that follows key on it.
func waitForLog(t *testing.T, logs *syncBuffer, marker, key string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, marker) {
				_, rest, _ := strings.Cut(line, key)
				v, _, _ := strings.Cut(rest, `"`)
				return v
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no log line %s; logs:\n%s", marker, logs.String())
	return ""
}

func waitHTTP(t *testing.T, url string, status int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == status {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered %d (last: %v)", url, status, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEnvCommunitySettings: the single community of the environment takes
// the weekly prompt's time and the drops' cooldown, as a community file's
// prompt_at and drop_cooldown do.
func TestEnvCommunitySettings(t *testing.T) {
	t.Parallel()
	env := map[string]string{"CLOSEKNIT_CHANNEL": "C05R8T2KLMN", "CLOSEKNIT_PROMPT_AT": "Wed 12:00", "CLOSEKNIT_DROP_COOLDOWN": "2"}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	s := bindSettings(fs, func(k string) string { return env[k] })
	cfg, err := s.load(false)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Communities[0]
	if at, on, err := c.PromptSchedule(); err != nil || !on || at.String() != "Wed 12:00" || c.DropCooldown != 2 {
		t.Errorf("prompt at %v (on %v, %v), drop cooldown %d; want Wed 12:00 and 2", at, on, err, c.DropCooldown)
	}
	// Neither set: prompts off, no cooldown.
	s = bindSettings(flag.NewFlagSet("serve", flag.ContinueOnError), func(k string) string { return map[string]string{"CLOSEKNIT_CHANNEL": "C05R8T2KLMN"}[k] })
	if cfg, err := s.load(false); err != nil || cfg.Communities[0].DropCooldown != 0 {
		t.Fatalf("defaults: %v", err)
	} else if _, on, _ := cfg.Communities[0].PromptSchedule(); on {
		t.Error("prompts on by default")
	}
}
