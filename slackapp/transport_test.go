package slackapp_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement/redistest"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// slashCommand sends "/closeknit text" and waits for its ack.
func slashCommand(t *testing.T, srv *slacktest.Server, user, text string) slacktest.Envelope {
	t.Helper()
	env := srv.SlashCommand(map[string]any{
		"token": "x", "team_id": srv.TeamID, "channel_id": channel, "user_id": user,
		"command": "/closeknit", "text": text, "trigger_id": "1.2.3", "response_url": "https://hooks.slack.com/commands/x",
	})
	if err := srv.SendEnvelope(env); err != nil {
		t.Fatal(err)
	}
	return env
}

// messages returns n message envelopes from a few users.
func messages(srv *slacktest.Server, n int, from time.Time) []slacktest.Envelope {
	envs := make([]slacktest.Envelope, n)
	for i := range envs {
		envs[i] = srv.Event(message(fmt.Sprintf("U%08d", i%7), from.Add(time.Duration(i)*time.Millisecond), ""))
	}
	return envs
}

// B1: a 2 MiB edit and a 4 MiB message, then ordinary events and a slash
// command, all on the first connection.
func TestBigFramesKeepTheConnection(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, nil)

	edit := srv.BigEdit(channel, "U00000001", 2<<20)
	big := message("U00000002", base, "")
	big["blocks"] = slacktest.BigBlocks(4 << 20)
	bigMsg := srv.Event(big)
	if len(edit.Frame) < 2<<20 || len(bigMsg.Frame) < 4<<20 {
		t.Fatalf("frames of %d and %d bytes, want 2 and 4 MiB", len(edit.Frame), len(bigMsg.Frame))
	}
	envs := append([]slacktest.Envelope{edit, bigMsg}, messages(srv, 20, base.Add(time.Second))...)
	sendAll(t, srv, envs)
	cmd := slashCommand(t, srv, "U00000003", "help")
	if err := srv.WaitAcked(ctxT(t), cmd.ID); err != nil {
		t.Fatal(err)
	}
	if n := srv.ConnectionsOpened(); n != 1 {
		t.Errorf("connections opened %d, want 1: no frame may cost the connection", n)
	}
	if got := ta.report(t, w47).Messages; got != 21 {
		t.Errorf("messages %d, want 21 (the 4 MiB one and 20 ordinary)", got)
	}
	if got := metricValue(t, ta, "closeknit_socket_large_frames_total"); got != 2 {
		t.Errorf("large frames counted %v, want 2", got)
	}
	if n := srv.AckCount(); n != len(envs)+1 {
		t.Errorf("%d acks for %d envelopes, want each acked once", n, len(envs)+1)
	}
	if n := srv.Redelivered(); n != 0 {
		t.Errorf("%d redeliveries, want none", n)
	}
}

// A frame over MaxFrame is read to its end and discarded, not kept: the
// connection lives on, and the envelope is acked as rejected so that Slack
// does not send it again.
func TestFrameOverLimitIsDiscarded(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, func(c *slackapp.Config) { c.MaxFrame = 1 << 20 })
	envs := append([]slacktest.Envelope{srv.BigEdit(channel, "U00000001", 2<<20)}, messages(srv, 5, base)...)
	sendAll(t, srv, envs)
	if n := srv.ConnectionsOpened(); n != 1 {
		t.Errorf("connections opened %d, want 1", n)
	}
	if got := metricValue(t, ta, "closeknit_socket_envelopes_total", "type=unknown", "outcome=rejected"); got != 1 {
		t.Errorf("rejected %v, want 1", got)
	}
	if got := ta.report(t, w47).Messages; got != 5 {
		t.Errorf("messages %d, want 5", got)
	}
}

// B2: after a connection said hello, the next drop waits the first backoff
// step again, however many drops came before.
func TestBackoffResetsOnHello(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, func(c *slackapp.Config) { c.ReconnectBackoff = 20 * time.Millisecond })
	ctx := ctxT(t)
	for i := 1; i <= 5; i++ {
		srv.DropConnections()
		if _, err := srv.WaitCall(ctx, "apps.connections.open", i+1); err != nil {
			t.Fatalf("drop %d: %v", i, err)
		}
		if err := srv.WaitConnections(ctx, 1); err != nil {
			t.Fatalf("drop %d: %v", i, err)
		}
		ta.waitReady(t) // hello read
		if got := ta.LastReconnectAttempt(); got != 1 {
			t.Errorf("drop %d: reconnected after backoff attempt %d, want 1 (the first step)", i, got)
		}
	}
	if got := metricValue(t, ta, "closeknit_socket_reconnects_total", "reason=read_error"); got != 5 {
		t.Errorf("reconnects{reason=read_error} = %v, want 5", got)
	}
	sendAll(t, srv, messages(srv, 3, base))
}

// B3: on refresh_requested the app opens the next connection first and
// keeps reading and acking the old one until Slack closes it. The next
// connection is held up here (apps.connections.open does not answer), so
// everything sent around the refresh must be acked on the old one: before
// the fix the old one was closed at the disconnect frame, and whatever was
// in flight waited for the next connection or a redelivery.
func TestRefreshLosesNothing(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	var holdOpen atomic.Bool
	hold := make(chan struct{})
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release) // before the server closes: it waits for the held call
	srv.Configure(func(s *slacktest.Server) {
		s.DisconnectGrace = 5 * time.Second // the old connection's overlap
		s.MethodError = func(method string, _ url.Values) string {
			if method == "apps.connections.open" && holdOpen.Load() {
				<-hold
			}
			return ""
		}
	})
	ta := MustRunApp(t, srv, nil)
	ctx := ctxT(t)
	all := messages(srv, 500, base)
	sendAll(t, srv, all[:100])

	holdOpen.Store(true)
	for _, env := range all[100:300] {
		srv.SendEnvelope(env)
	}
	cmd := slashCommand(t, srv, "U00000003", "help")
	srv.Disconnect("refresh_requested")
	for _, env := range all[300:400] { // delivered on the old connection: the only one
		srv.SendEnvelope(env)
	}
	if _, err := srv.WaitCall(ctx, "apps.connections.open", 2); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitAllAcked(ctx); err != nil {
		t.Fatalf("while the next connection opens, the old one must take every ack: %v (un-acked %d)", err, len(srv.Unacked()))
	}
	release()
	if err := srv.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	sendAll(t, srv, all[400:])
	if err := srv.WaitOpenConnections(ctx, 1); err != nil { // Slack closed the old one; the app let it go
		t.Fatal(err)
	}

	if n, want := srv.AckCount(), len(all)+1; n != want {
		t.Errorf("%d acks for %d envelopes, want each acked exactly once", n, want)
	}
	if lost := srv.Lost(); len(lost) > 0 {
		t.Errorf("lost %v", lost)
	}
	if n := srv.Redelivered(); n != 0 {
		t.Errorf("%d redeliveries, want none", n)
	}
	if !srv.Acked(cmd.ID) {
		t.Errorf("slash command in flight across the refresh not acked")
	}
	if got := ta.report(t, w47).Messages; got != int64(len(all)) {
		t.Errorf("messages %d, want %d", got, len(all))
	}
	if n := srv.ConnectionsOpened(); n != 2 {
		t.Errorf("connections opened %d, want 2", n)
	}
	if got := metricValue(t, ta, "closeknit_socket_reconnects_total", "reason=refresh_requested"); got != 1 {
		t.Errorf("reconnects{reason=refresh_requested} = %v, want 1", got)
	}
}

// A warning is followed by Slack closing the connection about 10 s later
// (here 1 s): the app has its next connection up by then, and nothing is
// lost across the close.
func TestWarningThenClose(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	srv.Configure(func(s *slacktest.Server) { s.DisconnectGrace = time.Second })
	ta := MustRunApp(t, srv, nil)
	ctx := ctxT(t)
	all := messages(srv, 300, base)
	for _, env := range all[:100] {
		srv.SendEnvelope(env)
	}
	srv.Disconnect("warning")
	for _, env := range all[100:200] {
		srv.SendEnvelope(env)
	}
	if err := srv.WaitOpenConnections(ctx, 1); err != nil { // the old one closed
		t.Fatal(err)
	}
	sendAll(t, srv, all[200:])
	if n := srv.AckCount(); n != len(all) {
		t.Errorf("%d acks for %d envelopes, want each acked exactly once", n, len(all))
	}
	if n := srv.Redelivered(); n != 0 {
		t.Errorf("%d redeliveries, want none", n)
	}
	if got := ta.report(t, w47).Messages; got != int64(len(all)) {
		t.Errorf("messages %d, want %d", got, len(all))
	}
}

// Slack allows 10 connections per app (here 1): a replica refused with
// too_many_websockets backs off further each time, and connects once a
// slot is free.
func TestTooManyWebsocketsBacksOff(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	srv.Configure(func(s *slacktest.Server) { s.MaxConnections = 1 })
	first := MustRunApp(t, srv, nil)
	second := startAppNS(t, srv, redistest.URL(), fmt.Sprintf("cktest-app-%d-%d", time.Now().UnixNano(), nsSeq.Add(1)),
		func(c *slackapp.Config) { c.ReconnectBackoff = 10 * time.Millisecond })
	ctx := ctxT(t)
	for metricValue(t, second, "closeknit_socket_reconnects_total", "reason=too_many_websockets") < 3 {
		select {
		case <-ctx.Done():
			t.Fatalf("second replica refused %d times, want 3", srv.Refused())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if got := second.LastReconnectAttempt(); got < 3 {
		t.Errorf("after 3 refusals the backoff is at attempt %d, want it to grow", got)
	}
	if err := second.Ready(ctx); err == nil {
		t.Errorf("refused replica reports ready")
	}
	first.stop(t)
	second.waitReady(t)
	sendAll(t, srv, messages(srv, 3, base))
}

// connectProxy is a tiny HTTP proxy: CONNECT tunnels and plain forwarding.
// It records the targets it served.
type connectProxy struct {
	*httptest.Server
	mu       sync.Mutex
	connects []string // CONNECT targets
	forwards []string // plain requests' URLs
}

func newConnectProxy(t *testing.T) *connectProxy {
	p := &connectProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			p.mu.Lock()
			p.forwards = append(p.forwards, r.URL.String())
			p.mu.Unlock()
			r.RequestURI = ""
			resp, err := http.DefaultTransport.RoundTrip(r)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			for k, v := range resp.Header {
				w.Header()[k] = v
			}
			w.WriteHeader(resp.StatusCode)
			io.Copy(w, resp.Body)
			return
		}
		p.mu.Lock()
		p.connects = append(p.connects, r.Host)
		p.mu.Unlock()
		dst, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		src, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			dst.Close()
			return
		}
		src.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
		go func() { io.Copy(dst, brw); dst.Close() }()
		io.Copy(src, dst)
		src.Close()
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *connectProxy) seen() (connects, forwards []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.connects...), append([]string(nil), p.forwards...)
}

// B4: the WebSocket dial goes through the configured proxy, as the Web API
// calls do (cmd fills Config.Proxy from HTTPS_PROXY and NO_PROXY).
func TestSocketDialUsesProxy(t *testing.T) {
	t.Parallel()
	proxy := newConnectProxy(t)
	proxyURL, _ := url.Parse(proxy.URL)
	srv := slacktest.NewServer(t)
	MustRunApp(t, srv, func(c *slackapp.Config) {
		c.Proxy = func(*http.Request) (*url.URL, error) { return proxyURL, nil }
	})
	sendAll(t, srv, messages(srv, 3, base))
	connects, forwards := proxy.seen()
	api, _ := url.Parse(srv.APIURL())
	if len(connects) != 1 || connects[0] != api.Host {
		t.Errorf("CONNECTs through the proxy %v, want one to %s (the WebSocket)", connects, api.Host)
	}
	if len(forwards) == 0 {
		t.Errorf("no Web API call went through the proxy")
	}
}
