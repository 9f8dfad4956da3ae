package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"time"

	"github.com/closeknit/closeknit/cmd/closeknit/internal/redisconn"
	"github.com/closeknit/closeknit/cmd/closeknit/internal/sandbox"
	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := bindSettings(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := s.load(true)
	if err != nil {
		return err
	}
	if getenv("GOGC") == "" {
		// The live heap is a few MB while every envelope is ~1.5 KB of
		// garbage, so at the default GOGC=100 the collector runs dozens of
		// times a second under load. 400 costs a few MB more and measured
		// ~13% less CPU per event (closeknit loadtest, 2 cores: 10.4-13.5 ->
		// 8.8-9.1 µs). An explicit GOGC wins.
		debug.SetGCPercent(400)
	}
	return serveConfig(ctx, cfg, stderr, nil)
}

// serveConfig runs the app with cfg until ctx is cancelled. If ready is not
// nil it receives the metrics address once the HTTP server listens (the
// sandbox and tests use it; port 0 picks a free port).
func serveConfig(ctx context.Context, cfg *config, logw io.Writer, ready chan<- string) error {
	log := newLogger(logw, cfg.LogLevel)
	rdb, err := redisconn.Open(ctx, cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	store := engagement.NewStore(rdb, engagement.Options{Namespace: cfg.Namespace})

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	app, err := slackapp.New(slackapp.Config{
		AppToken:      cfg.AppToken,
		BotToken:      cfg.BotToken,
		APIURL:        cfg.APIURL,
		Communities:   cfg.Communities,
		SchedulerTick: cfg.SchedulerTick,
		DigestAt:      cfg.DigestAt,
		LapsingWeeks:  cfg.LapsingWeeks,
		Proxy:         cfg.Proxy,
	}, store, log, reg)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := app.Ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	if cfg.Pprof {
		addPprof(mux)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	httpErr := make(chan error, 1)
	go func() { httpErr <- srv.Serve(ln) }()
	log.Info("http listening", "addr", ln.Addr().String())
	if ready != nil {
		ready <- ln.Addr().String()
	}

	runErr := app.Run(ctx)
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutCtx)
	if err := <-httpErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http: %w", err)
	}
	return runErr
}

// serveSandbox runs the app for the sandbox, with the emulator's settings.
func serveSandbox(ctx context.Context, app sandbox.App, logw io.Writer, ready chan<- string) error {
	return serveConfig(ctx, &config{
		AppToken: app.AppToken, BotToken: app.BotToken, APIURL: app.APIURL,
		RedisURL: app.RedisURL, Namespace: app.Namespace, HTTPAddr: app.HTTPAddr,
		Communities: app.Communities, DigestAt: app.DigestAt,
	}, logw, ready)
}

// addPprof serves Go profiles at /debug/pprof/, to loopback clients only:
// HTTP_ADDR is usually every interface (Prometheus scrapes it), and
// profiles show memory contents and cost CPU. `kubectl port-forward` and
// `curl localhost` inside the container still reach them.
func addPprof(mux *http.ServeMux) {
	mux.Handle("/debug/pprof/", loopbackOnly(http.HandlerFunc(pprof.Index)))
	mux.Handle("/debug/pprof/profile", loopbackOnly(http.HandlerFunc(pprof.Profile)))
}

// loopbackOnly answers 404 to any client not on a loopback address.
func loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}
