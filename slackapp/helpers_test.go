package slackapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement/redistest"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

var nsSeq atomic.Int64

const channel = "C05R8T2KLMN"

// testApp is an app running against an emulator and a real Redis under a
// namespace of its own.
type testApp struct {
	*slackapp.App
	srv       *slacktest.Server
	store     *engagement.Store
	rdb       redis.UniversalClient
	ns        string
	community *engagement.Community
	reg       *prometheus.Registry
	offset    atomic.Int64 // nanoseconds added to the store's clock (see later)
	cancel    context.CancelFunc
	done      chan error
}

// MustRunApp starts the app (Run) against srv and waits until it is
// connected. At the end of the test it stops the app, checks that Run
// returned nil, and deletes the namespace's keys.
func MustRunApp(tb testing.TB, srv *slacktest.Server, mod func(*slackapp.Config)) *testApp {
	tb.Helper()
	return MustRunAppOn(tb, srv, redistest.URL(), mod)
}

// MustRunAppOn is MustRunApp with the Redis at url.
func MustRunAppOn(tb testing.TB, srv *slacktest.Server, url string, mod func(*slackapp.Config)) *testApp {
	tb.Helper()
	return MustRunAppNS(tb, srv, url, fmt.Sprintf("cktest-app-%d-%d", os.Getpid(), nsSeq.Add(1)), mod)
}

// MustRunAppNS is MustRunAppOn under the given key namespace: apps started
// with the same namespace are replicas of one deployment.
func MustRunAppNS(tb testing.TB, srv *slacktest.Server, url, ns string, mod func(*slackapp.Config)) *testApp {
	tb.Helper()
	ta := startAppNS(tb, srv, url, ns, mod)
	ta.waitReady(tb)
	return ta
}

// startAppNS is MustRunAppNS without waiting until the app is connected.
func startAppNS(tb testing.TB, srv *slacktest.Server, url, ns string, mod func(*slackapp.Config)) *testApp {
	tb.Helper()
	rdb := redistest.Client(tb, url)
	ta := &testApp{srv: srv, rdb: rdb, ns: ns, reg: prometheus.NewRegistry(), done: make(chan error, 1)}
	ta.community = &engagement.Community{ID: "acme", Channel: channel, Location: time.UTC, Cap: 100, Staff: []string{"U0STAFF0001"}}
	ta.store = engagement.NewStore(rdb, engagement.Options{Namespace: ta.ns, Now: func() time.Time {
		return time.Now().Add(time.Duration(ta.offset.Load()))
	}})
	cfg := slackapp.Config{
		AppToken: srv.AppToken, BotToken: srv.BotToken, APIURL: srv.APIURL(),
		Communities: []*engagement.Community{ta.community},
		RetryBudget: 500 * time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	declareChannels(srv, cfg)
	app, err := slackapp.New(cfg, ta.store, nil, ta.reg)
	if err != nil {
		tb.Fatal(err)
	}
	ta.App = app
	ctx, cancel := context.WithCancel(context.Background())
	ta.cancel = cancel
	go func() { ta.done <- app.Run(ctx) }()
	tb.Cleanup(func() {
		ta.stop(tb)
		redistest.DeleteKeys(tb, rdb, ta.ns+":*")
		rdb.Close()
	})
	return ta
}

// declareChannels gives the workspace the channels cfg names, the bot a
// member of each unless the test declared otherwise beforehand: the
// emulator refuses channels nobody declared, as Slack does.
func declareChannels(srv *slacktest.Server, cfg slackapp.Config) {
	for _, c := range cfg.Communities {
		srv.AddChannels(c.Channel)
		if c.BrandChannel != "" {
			srv.AddChannels(c.BrandChannel)
		}
	}
}

func (ta *testApp) waitReady(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for ta.Ready(context.Background()) != nil {
		if time.Now().After(deadline) {
			tb.Fatalf("app not ready after 10s: %v", ta.Ready(context.Background()))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stop cancels the app and checks Run returned cleanly; safe to call twice.
func (ta *testApp) stop(tb testing.TB) {
	tb.Helper()
	if ta.cancel == nil {
		return
	}
	ta.cancel()
	ta.cancel = nil
	select {
	case err := <-ta.done:
		if err != nil {
			tb.Errorf("Run returned %v, want nil after cancel", err)
		}
	case <-time.After(10 * time.Second):
		tb.Errorf("Run did not return within 10s of cancel")
	}
}

func (ta *testApp) report(tb testing.TB, week engagement.Week) *engagement.Report {
	tb.Helper()
	r, err := ta.store.Report(context.Background(), ta.community, week)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// ctxT is a context that ends with the test or after 20 s.
func ctxT(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// tsOf formats t as a Slack timestamp.
func tsOf(t time.Time) string { return engagement.FormatTS(t) }

// message is an inner message event in the community channel.
func message(user string, t time.Time, threadTS string) map[string]any {
	ts := tsOf(t)
	ev := map[string]any{
		"type": "message", "user": user, "text": "hello", "ts": ts, "event_ts": ts,
		"channel": channel, "channel_type": "channel",
		"blocks": []any{map[string]any{"type": "rich_text", "block_id": "b1", "elements": []any{
			map[string]any{"type": "rich_text_section", "elements": []any{map[string]any{"type": "text", "text": "hello"}}}}}},
	}
	if threadTS != "" {
		ev["thread_ts"] = threadTS
	}
	return ev
}

// later moves the app's clock forward by d.
func (ta *testApp) later(d time.Duration) { ta.offset.Add(int64(d)) }

// commandReply is the ack of a slash command: what the caller sees.
type commandReply struct {
	Text         string          `json:"text"`
	ResponseType string          `json:"response_type"`
	Blocks       json.RawMessage `json:"blocks"`
}

// runCommand sends "/closeknit text" as user from channelID and returns the
// reply carried by its ack.
func runCommand(t *testing.T, srv *slacktest.Server, channelID, user, text string) commandReply {
	t.Helper()
	_, r := sendCommand(t, srv, channelID, user, text)
	return r
}

// sendCommand is runCommand that also returns the envelope, whose
// response_url later answers go to (srv.WaitResponses).
func sendCommand(t *testing.T, srv *slacktest.Server, channelID, user, text string) (slacktest.Envelope, commandReply) {
	t.Helper()
	env := srv.SlashCommand(map[string]any{
		"token": "x", "team_id": srv.TeamID, "channel_id": channelID, "user_id": user,
		"command": "/closeknit", "text": text, "trigger_id": "1.2.3",
	})
	if err := srv.SendEnvelope(env); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitAcked(ctxT(t), env.ID); err != nil {
		t.Fatalf("/closeknit %s: not acked: %v", text, err)
	}
	var r commandReply
	if err := json.Unmarshal(srv.AckPayload(env.ID), &r); err != nil {
		t.Fatalf("/closeknit %s: ack payload %q: %v", text, srv.AckPayload(env.ID), err)
	}
	return env, r
}

// laterReply waits for the answer a command sends after its ack, through
// its response_url, and checks that only the caller sees it.
func laterReply(t *testing.T, srv *slacktest.Server, env slacktest.Envelope) string {
	t.Helper()
	rs, err := srv.WaitResponses(ctxT(t), env.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].ResponseType != "ephemeral" {
		t.Errorf("later reply is %q, want ephemeral", rs[0].ResponseType)
	}
	return rs[0].Text
}

// slowPosts holds back, for two seconds, Slack's answer to each
// chat.postMessage whose blocks hold marker, the message being up already:
// the window in which a card can be pressed before the app knows its ts.
func slowPosts(srv *slacktest.Server, marker string) {
	srv.Configure(func(s *slacktest.Server) {
		s.MethodDelay = func(method string, form url.Values) time.Duration {
			if method == "chat.postMessage" && strings.Contains(form.Get("blocks"), marker) {
				return 2 * time.Second
			}
			return 0
		}
	})
}

// troubleFirst answers the first n chat.postMessage calls whose blocks
// hold marker with Slack's trouble of its own (internal_error): nothing is
// posted, and a try later may succeed.
func troubleFirst(srv *slacktest.Server, marker string, n int32) {
	var failed atomic.Int32
	srv.Configure(func(s *slacktest.Server) {
		s.MethodError = func(method string, form url.Values) string {
			if method == "chat.postMessage" && strings.Contains(form.Get("blocks"), marker) && failed.Add(1) <= n {
				return "internal_error"
			}
			return ""
		}
	})
}

// cardWith waits for the message in the community channel whose blocks
// hold marker.
func cardWith(t *testing.T, srv *slacktest.Server, marker string) slacktest.Message {
	t.Helper()
	var card slacktest.Message
	eventually(t, "a card with "+marker+" is up", func() bool {
		for _, m := range cards(srv) {
			if strings.Contains(string(m.Blocks), marker) {
				card = m
				return true
			}
		}
		return false
	})
	return card
}
