// Package slackapp is everything in closeknit that speaks Slack: the Socket
// Mode connection, the dispatcher and its worker pool, the handlers listed
// in routes.go, Block Kit views and Web API metrics. It turns Slack
// payloads into engagement events; it never stores anything itself.
package slackapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/digest"
	"github.com/closeknit/closeknit/slackapp/drop"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/closeknit/closeknit/slackapp/membership"
	"github.com/closeknit/closeknit/slackapp/request"
	"github.com/closeknit/closeknit/slackapp/socketmode"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"
)

// Config is what the app needs to reach Slack and whom it serves. cmd
// fills it from the environment; this package never reads the environment.
type Config struct {
	AppToken    string // xapp-…: opens Socket Mode connections
	BotToken    string // xoxb-…: every Web API call
	APIURL      string // Web API base with trailing slash; the emulator's in tests
	Communities []*engagement.Community

	Workers     int           // event workers; default GOMAXPROCS (at least 2)
	QueueSize   int           // batches waiting for a worker; default 256
	PingTimeout time.Duration // socket considered dead without a frame or ping; default 30s
	ClientPing  time.Duration // interval of our own pings; default 15s
	RetryBudget time.Duration // how long to retry Redis before leaving an socketmode.Envelope un-acked; default 2.5s
	HTTPClient  *http.Client  // for the Web API; default a client with a 30s timeout that uses Proxy
	// Proxy chooses the HTTP proxy for the Socket Mode WebSocket dial (a
	// CONNECT tunnel) and the default Web API client; nil means
	// http.ProxyFromEnvironment (HTTPS_PROXY, NO_PROXY), as net/http does.
	Proxy func(*http.Request) (*url.URL, error)
	// ReconnectBackoff is the first wait before reconnecting after a lost
	// connection; it doubles per attempt without a hello, up to 5 min.
	// Default 1s.
	ReconnectBackoff time.Duration
	// MaxFrame is the largest Socket Mode frame read, in bytes; a larger
	// one is read to its end, discarded and acked. Default 64 MiB.
	MaxFrame int64
	// SchedulerTick is how often scheduled jobs (digest, prototype closing,
	// roster reconciliation, nudges) check whether they are due; default 30s.
	SchedulerTick time.Duration
	// StaffGroupTTL is how old the shared copy of a staff user group may
	// be before the replica that needs it reads it again; default 60s.
	StaffGroupTTL time.Duration
	// DigestAt is when each community's weekly digest goes out, in the
	// community's zone: "Mon 09:00" (the default when empty), or "off".
	DigestAt string
	// LapsingWeeks: a member who posted in at least this many of the last
	// 12 weeks and in neither of the last two is lapsing; default 4.
	LapsingWeeks int
}

// refreshOverlap is how long the old connection of a refresh is still read
// before the app closes it itself; Slack closes it ~10 s after a warning.
const refreshOverlap = 20 * time.Second

// App is a running closeknit Slack app.
type App struct {
	cfg        Config
	store      *engagement.Store
	log        *slog.Logger
	reg        prometheus.Registerer // feature packages register their metrics on it
	m          *metrics
	api        *slack.Client
	httpClient *http.Client // the Web API's, for response_urls
	sock       *socketmode.Socket
	byChannel  map[string]*engagement.Community
	botUserID  string
	botID      string // B…, from auth.test: tells our posts from other apps'
	teamID     string
	// workspaceURL is auth.test's "url" (https://acme.slack.com/): the
	// base of permalinks (workspace).
	workspaceURL atomic.Pointer[string]

	events      map[string]eventHandler
	commands    map[string]commandHandler
	subcommands map[string]feature.Command
	jobs        []job

	interactions interactionRoutes // interactive.go
	digest       *digest.Digest
	drops        *drop.Board  // routes.go
	requests     request.Deps // routes.go; its blocks are on a non-member's Home

	queue     chan []item // batches of events_api envelopes for the workers
	pending   []item      // envelopes read since the last hand-over; read goroutine only
	workers   sync.WaitGroup
	run       *pool               // slow work after the ack (dispatch.go)
	notify    *feature.Notifier   // private replies and staff notices
	members   *membership.Feature // its outbox runs beside the scheduler; its blocks are on the member Home
	inFlight  perPerson           // commands and interactions in flight per person (dispatch.go)
	drainOnce sync.Once
	connected atomic.Bool
}

// New builds the app. A nil logger discards logs; metrics register on reg.
// It does not contact Slack or Redis: Run does.
func New(cfg Config, store *engagement.Store, logger *slog.Logger, reg prometheus.Registerer) (*App, error) {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if !strings.HasPrefix(cfg.AppToken, "xapp-") || !strings.HasPrefix(cfg.BotToken, "xoxb-") {
		return nil, errors.New("slackapp: need an xapp- app token and an xoxb- bot token")
	}
	if len(cfg.Communities) == 0 {
		return nil, errors.New("slackapp: no community configured")
	}
	if cfg.Workers <= 0 {
		// One batch in Redis while the next one forms is what keeps the
		// pipeline full; more workers than cores only add wake-ups
		// (measured: 2 workers beat 4 on 2 cores).
		cfg.Workers = max(2, runtime.GOMAXPROCS(0))
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 256
	}
	if cfg.PingTimeout <= 0 {
		cfg.PingTimeout = 30 * time.Second
	}
	if cfg.ClientPing <= 0 {
		cfg.ClientPing = 15 * time.Second
	}
	if cfg.SchedulerTick <= 0 {
		cfg.SchedulerTick = 30 * time.Second
	}
	if cfg.StaffGroupTTL <= 0 {
		cfg.StaffGroupTTL = time.Minute
	}
	if _, _, err := digest.Schedule(cfg.DigestAt); err != nil {
		return nil, fmt.Errorf("slackapp: digest time: %w", err)
	}
	if cfg.RetryBudget <= 0 {
		cfg.RetryBudget = 2500 * time.Millisecond
	}
	if cfg.Proxy == nil {
		cfg.Proxy = http.ProxyFromEnvironment
	}
	if cfg.ReconnectBackoff <= 0 {
		cfg.ReconnectBackoff = time.Second
	}
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = 64 << 20
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			t := dt.Clone()
			t.Proxy = cfg.Proxy
			httpClient.Transport = t
		}
	}
	m := newMetrics(reg)
	store.SetObserver(m.observeRedis)
	next := httpClient.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc := *httpClient
	hc.Transport = instrumented{next: next, m: m}
	opts := []slack.Option{slack.OptionAppLevelToken(cfg.AppToken), slack.OptionHTTPClient(&hc)}
	if cfg.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.APIURL))
	}
	a := &App{
		cfg:        cfg,
		store:      store,
		log:        logger,
		reg:        reg,
		m:          m,
		api:        slack.New(cfg.BotToken, opts...),
		httpClient: &hc,
		byChannel:  map[string]*engagement.Community{},
		queue:      make(chan []item, cfg.QueueSize),
		run:        newPool(32, 4096),
	}
	for _, c := range cfg.Communities {
		c.Defaults()
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("slackapp: %w", err)
		}
		if other, dup := a.byChannel[c.Channel]; dup {
			return nil, fmt.Errorf("slackapp: communities %s and %s share channel %s", other.ID, c.ID, c.Channel)
		}
		a.byChannel[c.Channel] = c
	}
	a.notify = feature.NewNotifier(a.api, &hc, store, logger, a.run, reg)
	a.sock = socketmode.New(socketmode.Config{
		API:         a.api,
		Log:         logger,
		PingTimeout: cfg.PingTimeout,
		ClientPing:  cfg.ClientPing,
		Backoff:     cfg.ReconnectBackoff,
		MaxFrame:    cfg.MaxFrame,
		Overlap:     refreshOverlap,
		Proxy:       cfg.Proxy,
		OnEnvelope:  a.dispatch,
		OnIdle:      a.handOver,
		OnConnected: a.connected.Store,
		Drain:       a.drain,
	}, reg)
	a.routes()
	for _, j := range a.jobs {
		a.m.jobInterval.WithLabelValues(j.name).Set(max(j.every, a.cfg.SchedulerTick).Seconds())
	}
	a.initSeries()
	return a, nil
}

// Run connects to Slack and serves until ctx is cancelled; then it stops
// reading, finishes and acks the work in flight, and returns nil. It
// returns an error at once for what retrying cannot fix: bad tokens, Redis
// not answering at start-up.
func (a *App) Run(ctx context.Context) error {
	auth, err := a.api.AuthTestContext(ctx)
	if err != nil {
		return fmt.Errorf("slackapp: auth.test with SLACK_BOT_TOKEN: %w", err)
	}
	a.botUserID, a.botID, a.teamID = auth.UserID, auth.BotID, auth.TeamID
	a.workspaceURL.Store(&auth.URL)
	if err := a.store.LoadScripts(ctx); err != nil {
		return fmt.Errorf("slackapp: %w", err)
	}
	a.log.Info("starting", "team_id", a.teamID, "bot_user_id", a.botUserID, "communities", len(a.cfg.Communities))
	a.checkBrandChannels(ctx)

	for range a.cfg.Workers {
		a.workers.Add(1)
		go a.worker()
	}
	bgCtx, stopBackground := context.WithCancel(ctx)
	var background sync.WaitGroup
	background.Go(func() { a.runScheduler(bgCtx) })
	for _, c := range a.cfg.Communities {
		background.Go(func() { a.members.Outbox(bgCtx, c) })
	}
	err = a.sock.Run(ctx) // returns after ctx is cancelled, or on a fatal error
	stopBackground()
	background.Wait()
	a.drain()
	if err != nil {
		return fmt.Errorf("slackapp: %w", err)
	}
	a.log.Info("stopped")
	return nil
}

// drain stops the workers after they finished what is queued, and waits
// for handlers still running. Called once the socket stopped reading.
func (a *App) drain() {
	a.drainOnce.Do(func() {
		a.handOver()
		close(a.queue)
		a.workers.Wait()
		a.run.Wait()
	})
}

// Ready reports whether the app can do its job: Socket Mode connected and
// Redis answering.
func (a *App) Ready(ctx context.Context) error {
	if !a.connected.Load() {
		return errors.New("socket mode not connected")
	}
	return a.store.Ping(ctx)
}

// PostDrop records a drop in c and posts its card (the command line's
// drop post); token names the request, as a modal's view ID does.
func (a *App) PostDrop(ctx context.Context, c *engagement.Community, spec engagement.DropSpec, token string) (*engagement.Drop, error) {
	d, err := a.store.CreateDrop(ctx, c, spec, token)
	if err != nil {
		return nil, err
	}
	if err := a.drops.PostCard(c, d.ID); err != nil {
		return nil, err
	}
	return a.store.Drop(ctx, c, d.ID)
}

// API returns the Web API client, for commands that post outside Socket
// Mode (e.g. the sandbox, the CLI).
func (a *App) API() *slack.Client { return a.api }
