package slackapp

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are closeknit's Prometheus series. Labels never carry a user or
// message: only types, outcomes, reasons, methods and community names.
type metrics struct {
	envelopes      *prometheus.CounterVec // type, outcome
	ackLatency     prometheus.Histogram
	redisLatency   *prometheus.HistogramVec // op
	redisErrors    *prometheus.CounterVec   // op
	webAPICalls    *prometheus.CounterVec   // method, outcome
	jobRuns        *prometheus.CounterVec   // job, outcome
	jobLastOK      *prometheus.GaugeVec     // job
	jobDuration    *prometheus.HistogramVec // job
	jobInterval    *prometheus.GaugeVec     // job
	lastEnvelope   atomic.Int64             // unix nanoseconds
	envelopeCounts [numOutcomes]prometheus.Counter
}

// Outcomes of an socketmode.Envelope, the values of the "outcome" label.
type outcome uint8

const (
	outCounted   outcome = iota // recorded in Redis
	outDuplicate                // seen before (a redelivery)
	outIgnored                  // valid, but nothing to count (bots, other channels, system messages)
	outHandled                  // a command, interaction or other event that was handled
	outRejected                 // malformed or unknown: acked so it is not redelivered forever
	outFailed                   // Redis did not take it in time: left un-acked for Slack to redeliver
	outShed                     // the work queue was full: left un-acked for Slack to redeliver
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"counted", "duplicate", "ignored", "handled", "rejected", "failed", "shed"}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		envelopes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "closeknit_socket_envelopes_total",
			Help: "Socket Mode envelopes by envelope type and outcome.",
		}, []string{"type", "outcome"}),
		ackLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "closeknit_socket_ack_latency_seconds",
			Help:    "Time from reading an envelope to writing its ack.",
			Buckets: []float64{.0005, .001, .002, .003, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		redisLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "closeknit_redis_duration_seconds",
			Help:    "Redis round trips by operation.",
			Buckets: []float64{.0002, .0005, .001, .002, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"op"}),
		redisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "closeknit_redis_errors_total",
			Help: "Failed Redis round trips by operation.",
		}, []string{"op"}),
		webAPICalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "closeknit_slack_api_calls_total",
			Help: "Slack Web API calls by method and outcome (ok, ratelimited, http_error, or the Slack error code).",
		}, []string{"method", "outcome"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "closeknit_job_runs_total",
			Help: "Scheduled job runs on this replica by task (the job's name) and outcome (ok, error).",
		}, []string{"task", "outcome"}),
		jobLastOK: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "closeknit_job_last_success_timestamp_seconds",
			Help: "Unix time of the job's last successful run on this replica.",
		}, []string{"task"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "closeknit_job_duration_seconds",
			Help:    "How long scheduled job runs took.",
			Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 30, 120},
		}, []string{"task"}),
	}
	m.jobInterval = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "closeknit_job_interval_seconds",
		Help: "How often each scheduled job runs (at most once per interval across replicas; every scheduler tick for jobs that decide from Redis what is due).",
	}, []string{"task"})
	sinceLast := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "closeknit_socket_seconds_since_last_envelope",
		Help: "Seconds since the last Socket Mode socketmode.Envelope arrived (-1 before the first). A socket that looks connected but stays silent is dead.",
	}, func() float64 {
		last := m.lastEnvelope.Load()
		if last == 0 {
			return -1
		}
		return time.Since(time.Unix(0, last)).Seconds()
	})
	for o := range numOutcomes {
		m.envelopeCounts[o] = m.envelopes.WithLabelValues("events_api", outcomeNames[o])
	}
	reg.MustRegister(m.envelopes, m.ackLatency, m.redisLatency, m.redisErrors, m.webAPICalls, sinceLast,
		m.jobRuns, m.jobLastOK, m.jobDuration, m.jobInterval)
	return m
}

// initSeries creates, at 0, the series of every labelled counter for the
// label values known at start (job, envelope type and outcome; the feature
// packages create theirs, by community, where they declare them). Without it a series appears only
// when it first moves, so dashboards show gaps and alerts on rate() or
// absent() cannot tell "none yet" from "not running".
// Slack API calls (methods and Slack's error codes) and Redis errors (by
// operation) have open-ended labels: their series appear on first use.
func (a *App) initSeries() {
	for _, typ := range []string{"events_api", "slash_commands", "interactive"} {
		for _, o := range outcomeNames {
			a.m.envelopes.WithLabelValues(typ, o)
		}
	}
	for _, j := range a.jobs {
		for _, o := range []string{"ok", "error"} {
			a.m.jobRuns.WithLabelValues(j.name, o)
		}
	}
}

// envelope counts one envelope. The events_api counters are looked up once,
// in newMetrics: they are on the hot path.
func (m *metrics) envelope(typ string, o outcome) {
	if typ == "events_api" {
		m.envelopeCounts[o].Inc()
		return
	}
	if typ == "" {
		typ = "unknown"
	}
	m.envelopes.WithLabelValues(typ, outcomeNames[o]).Inc()
}

// observeRedis is the engagement.Options.Observe hook.
func (m *metrics) observeRedis(op string, took time.Duration, err error) {
	m.redisLatency.WithLabelValues(op).Observe(took.Seconds())
	errs := m.redisErrors.WithLabelValues(op) // the series exists, at 0, from the first call
	if err != nil {
		errs.Inc()
	}
}

// jobRun records one run of a scheduled job.
func (m *metrics) jobRun(job string, took time.Duration, err error) {
	m.jobDuration.WithLabelValues(job).Observe(took.Seconds())
	if err != nil {
		m.jobRuns.WithLabelValues(job, "error").Inc()
		return
	}
	m.jobRuns.WithLabelValues(job, "ok").Inc()
	m.jobLastOK.WithLabelValues(job).SetToCurrentTime()
}
