// Package slacktest is an in-process Slack emulator for tests, the local
// sandbox and load tests. It serves a fake Web API under /api/ and a Socket
// Mode WebSocket endpoint under /link/, close enough to Slack that the real
// slack-go client (and our own Socket Mode client) run against it unchanged:
//
//	srv := slacktest.NewServer(t)
//	api := slack.New(srv.BotToken,
//		slack.OptionAppLevelToken(srv.AppToken),
//		slack.OptionAPIURL(srv.APIURL()))
//
// The design follows tailscale's tstest/integration/testcontrol: all state
// lives in the Server value (two servers in one process never interfere),
// exported hook fields inject faults (rate limits, method errors, dropped
// sockets, redeliveries), Wait* methods block until something has happened so
// tests never sleep, and a Web API method the emulator does not know fails the
// test loudly instead of answering something plausible: a silent fake is how
// an app ends up calling a method nobody checked.
//
// Socket Mode follows docs/SLACK.md §1: hello first, server PINGs, envelopes
// spread round-robin over the live connections, acks accepted on any
// connection, acks of 20 KB or more ignored, and events_api envelopes that are
// not acked redelivered with retry_attempt 1..3 and retry_reason "timeout".
// Slash commands and interactions are never redelivered, and an ack later
// than InteractionTimeout (3 s) is ignored and recorded (LateAcks); their
// trigger_ids open one modal within TriggerLifetime (3 s), and their
// response_urls point at this server, which records what is posted
// (Responses) and takes 5 posts within 30 minutes, as Slack does.
// After a warning or refresh_requested disconnect the old connection stays
// open, and may still get envelopes, until the client closes it or
// DisconnectGrace (10 s) passes; past MaxConnections (10) open connections
// a new one gets too_many_websockets; BigEdit and BigBlocks build frames
// over 1 MiB.
//
// NewServer is as hostile as Slack's contract allows (see Hostile): events
// arrive late and out of order (seeded; the seed is logged and
// SLACKTEST_SEED replays it), the app's own posts, edits, reactions, invites
// and kicks come back as events, channels nobody declared answer
// channel_not_found and channels without the bot not_in_channel, users never
// seen answer user_not_found, methods are rate limited per Slack tier, and an
// un-acked event is redelivered three times within seconds. Declare the
// workspace with AddChannels, SetChannel, SetMembers and SetUser. A test
// that needs a quiet workspace says why:
//
//	srv := slacktest.NewServer(t, slacktest.Calm("counts every envelope it sends"))
package slacktest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Defaults taken from docs/SLACK.md and the payload samples, so that the
// emulated workspace matches the IDs used throughout the samples.
const (
	DefaultTeamID    = "T04QJ9ZK2MN"
	DefaultAppID     = "A07F3KZ8QRT"
	DefaultBotUserID = "U07F4M2BX9Q"
	DefaultBotID     = "B07F4M2C1DE"
	DefaultAppToken  = "xapp-1-A07F3KZ8QRT-1-test"
	DefaultBotToken  = "xoxb-test-bot-token"
	// DefaultWorkspaceURL is the samples' workspace address (auth.test).
	DefaultWorkspaceURL = "https://acme.slack.com/"

	defaultPingInterval = 5 * time.Second
	defaultAckTimeout   = 3 * time.Second

	// maxAckSize is the size at which Slack silently drops a Socket Mode
	// response (slack-go's maxResponseSize); the emulator rejects such acks
	// so that tests catch them.
	maxAckSize = 20 * 1024
	// debugReconnectLifetime is the connection lifetime Slack uses when the
	// WebSocket URL carries debug_reconnects=true.
	debugReconnectLifetime = 360 * time.Second
	// disconnectGrace is how long a connection stays open after a
	// disconnect frame other than warning and refresh_requested before the
	// server closes it itself.
	disconnectGrace = time.Second
	// defaultRefreshGrace is how long a connection stays open after a
	// warning or refresh_requested disconnect: Slack closes it ~10 s
	// after a warning.
	defaultRefreshGrace = 10 * time.Second
	// closeWait is how long the server waits for the client to answer its
	// close frame, still reading acks, before it drops the connection.
	closeWait = time.Second
	// defaultMaxConnections is Slack's limit of Socket Mode connections
	// per app.
	defaultMaxConnections = 10
	// writeTimeout bounds every flush to a client, so that a client that
	// stops reading cannot wedge a writer goroutine.
	writeTimeout = 10 * time.Second
)

// ErrClosed is returned by the Wait methods, Send and Burst once the server
// has been closed.
var ErrClosed = errors.New("slacktest: server closed")

// Server is an emulated Slack workspace with one app installed. Its zero value
// is ready to use after Start; NewServer returns a started one bound to a
// test.
//
// The exported fields are read under the server's lock. Set them before
// Start, or change them later only through Configure: a plain assignment after
// Start races with the goroutines that serve requests.
type Server struct {
	// Addr is the address Start listens on; empty means 127.0.0.1:0.
	Addr string

	// PingInterval is how often the server sends WebSocket PING control
	// frames. slack-go reconnects when no PING arrives within its own
	// interval (30 s by default). Default 5 s.
	PingInterval time.Duration
	// AckTimeout is how long an envelope may stay un-acked before Slack
	// counts the delivery as failed. Default 3 s.
	AckTimeout time.Duration
	// RetrySchedule holds the extra delays, after AckTimeout, before
	// redelivery 1, 2 and 3 of an un-acked events_api envelope. Nil means
	// Slack's {0, 1m, 5m}; an empty non-nil slice disables redelivery.
	// Tests compress it to milliseconds.
	RetrySchedule []time.Duration
	// InteractionTimeout is how long a slash command or an interaction may
	// stay un-acked: Slack then shows the user an error, never redelivers
	// it, and ignores a later ack (recorded, see LateAcks). Default 3 s;
	// kept apart from AckTimeout so that tests can compress event
	// redelivery without making every interaction late.
	InteractionTimeout time.Duration
	// TriggerLifetime is how long a trigger_id, issued when its envelope is
	// sent, can open a modal; views.open answers expired_trigger_id after.
	// Default 3 s, as on Slack.
	TriggerLifetime time.Duration
	// ResponseURLLifetime and ResponseURLUses bound a response_url: Slack
	// takes up to 5 posts within 30 minutes (the defaults).
	ResponseURLLifetime time.Duration
	ResponseURLUses     int
	// ConnectionLifetime, if positive, makes the server send a
	// refresh_requested disconnect on every connection after this long, as
	// Slack does every few hours. A WebSocket URL with
	// debug_reconnects=true gets 360 s regardless, like on Slack.
	ConnectionLifetime time.Duration
	// DisconnectGrace is how long a connection stays open after a warning
	// or refresh_requested disconnect before the server closes it, unless
	// the client closes it first. Default 10 s, as Slack after a warning.
	DisconnectGrace time.Duration
	// MaxConnections is how many connections may be open at once; one
	// more gets a too_many_websockets disconnect and is closed. Default
	// 10, Slack's limit per app.
	MaxConnections int

	// RateLimit, if set, is asked before every Web API call. When it
	// reports limited, the call gets HTTP 429 with Retry-After (whole
	// seconds, rounded up) and {"ok":false,"error":"ratelimited"}.
	RateLimit func(method string) (retryAfter time.Duration, limited bool)
	// MethodError, if set, is asked after authentication. A non-empty
	// result is returned as {"ok":false,"error":<result>}. form holds the
	// call's arguments without the token.
	MethodError func(method string, form url.Values) string
	// MethodDelay, if set, is asked after a Web API call took effect (form
	// as for MethodError): the
	// answer is held back that long, as when Slack is slow to answer
	// although the message is already up. A client that gives up meanwhile
	// never learns the outcome.
	MethodDelay func(method string, form url.Values) time.Duration
	// MemberEvents makes conversations.invite and conversations.kick send
	// member_joined_channel and member_left_channel events over Socket
	// Mode, as Slack does. Off by default so tests that count envelopes
	// see only their own.
	MemberEvents bool
	// Logf receives diagnostics; nil discards them. NewServer sets it to
	// tb.Logf. It is read once, by Start.
	Logf func(format string, args ...any)

	// TeamID, AppID, BotUserID and BotID identify the workspace and the
	// app; they default to the IDs of the payload samples.
	TeamID, AppID, BotUserID, BotID string
	// WorkspaceURL is the workspace's address: auth.test's "url", and the
	// base of chat.getPermalink's links. Default https://acme.slack.com/.
	WorkspaceURL string
	// AppToken (xapp-) is required by apps.connections.open, BotToken
	// (xoxb-) by every other method.
	AppToken, BotToken string

	// Hostile holds the behaviour of Slack that makes an app's life hard
	// (late and reordered events, echoes, refusals, rate limits): see
	// hostile.go. NewServer turns it on.
	Hostile

	tb   testing.TB
	logf func(format string, args ...any)

	mu      sync.Mutex
	started bool
	closed  bool
	hs      *http.Server
	baseURL string        // http://127.0.0.1:PORT/
	quit    chan struct{} // closed by Close
	wg      sync.WaitGroup
	changed chan struct{} // closed and cleared on every change a waiter may see

	socketState
	webState
	interactState
	hostileState
}

// NewServer starts a Server on 127.0.0.1:0 for the test tb and closes it when
// the test ends. Unknown Web API methods, oversized acks and other misuse
// are reported with tb.Errorf.
//
// The server is as hostile as Slack's contract allows (Hostility: late and
// reordered events, echoes of the app's own actions, refusals, rate limits,
// compressed redelivery). Pass Calm("why") for a test that needs a quiet
// workspace, WithSeed to replay a run.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{tb: tb, Logf: tb.Logf}
	Hostility()(s)
	for _, o := range opts {
		o(s)
	}
	if err := s.Start(); err != nil {
		tb.Fatalf("slacktest: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Start fills in defaults and starts serving. It fails if the server was
// already started or the address cannot be bound.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("slacktest: server already started")
	}
	s.setDefaultsLocked()
	addr := s.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("slacktest: listen: %w", err)
	}
	s.started = true
	s.logf = s.Logf
	if s.logf == nil {
		s.logf = func(string, ...any) {}
	}
	s.startHostileLocked()
	s.baseURL = "http://" + ln.Addr().String() + "/"
	s.quit = make(chan struct{})
	s.hs = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		s.hs.Serve(ln)
	}()
	go s.retryLoop()
	return nil
}

func (s *Server) setDefaultsLocked() {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&s.TeamID, DefaultTeamID)
	def(&s.AppID, DefaultAppID)
	def(&s.BotUserID, DefaultBotUserID)
	def(&s.BotID, DefaultBotID)
	def(&s.WorkspaceURL, DefaultWorkspaceURL)
	def(&s.AppToken, DefaultAppToken)
	def(&s.BotToken, DefaultBotToken)
	positive(&s.PingInterval, defaultPingInterval)
	positive(&s.AckTimeout, defaultAckTimeout)
	positive(&s.DisconnectGrace, defaultRefreshGrace)
	positive(&s.MaxConnections, defaultMaxConnections)
	s.setInteractionDefaultsLocked()
	if s.RetrySchedule == nil {
		s.RetrySchedule = []time.Duration{0, time.Minute, 5 * time.Minute}
	}
	s.socketState.init()
	s.webState.init()
	s.interactState.init()
}

// Configure runs f with the server's lock held, so that f may change the
// exported fields of a running server without a data race. f must not call
// methods of s.
func (s *Server) Configure(f func(*Server)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// Close stops the listener, closes every connection, stops redelivery and
// waits for all of the server's goroutines. It is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if !s.started || s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.quit)
	conns := s.detachConnsLocked()
	s.mu.Unlock()

	err := s.hs.Close()
	for _, c := range conns {
		c.closeNow()
	}
	s.wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// APIURL returns the Web API base URL, with the trailing slash that
// slack.OptionAPIURL needs: "http://127.0.0.1:PORT/api/".
func (s *Server) APIURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL + "api/"
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("/link/", s.serveLink)
	mux.HandleFunc("POST /upload/{id}", s.serveUpload)
	mux.HandleFunc("POST /commands/{team}/{id}/{secret}", s.serveResponseURL)
	mux.HandleFunc("POST /actions/{team}/{id}/{secret}", s.serveResponseURL)
	// Every handler counts as a server goroutine, so that Close can wait
	// for it and no tb call happens after the test has finished.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			http.Error(w, "slacktest: server closed", http.StatusServiceUnavailable)
			return
		}
		s.wg.Add(1)
		s.mu.Unlock()
		defer s.wg.Done()
		mux.ServeHTTP(w, r)
	})
}

// fail reports misuse of the emulator: loudly through tb.Errorf in tests,
// through Logf otherwise.
func (s *Server) fail(format string, args ...any) {
	if s.tb != nil {
		s.tb.Errorf(format, args...)
		return
	}
	s.logf(format, args...)
}

// notifyLocked wakes every waiter so that it re-checks its condition.
func (s *Server) notifyLocked() {
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// waitFor blocks until cond, evaluated with the lock held, is true, ctx is
// done or the server is closed.
func (s *Server) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		if cond() {
			s.mu.Unlock()
			return nil
		}
		if s.closed || !s.started {
			s.mu.Unlock()
			return ErrClosed
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// positive gives a duration or count field its default when it is not set
// (or set to nonsense: zero or negative).
func positive[T ~int | ~int64](p *T, v T) {
	if *p <= 0 {
		*p = v
	}
}
