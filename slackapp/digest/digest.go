// Package digest is closeknit's view of a community's figures for its
// brand team: the weekly digest posted to the brand channel (with its
// chart), `/closeknit digest` and `/closeknit report`, the staff App Home
// dashboard, the Markdown digest of the command line, and the KPI gauges
// of /metrics. It reads the figures from engagement; it records nothing
// but the digest's own sending state.
package digest

import (
	"context"
	"log/slog"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"
)

// API is the part of Slack's Web API the digest calls (*slack.Client).
type API interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
	UploadFileContext(ctx context.Context, params slack.UploadFileParameters) (*slack.FileSummary, error)
	PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error)
}

// Deps is what the digest needs from the Slack core.
type Deps struct {
	API         API
	Store       *engagement.Store
	Log         *slog.Logger
	Staff       feature.Staff     // who may ask for a digest or a report
	Notifier    *feature.Notifier // staff told when Slack refuses the digest
	Communities []*engagement.Community
	// DigestAt is when the weekly digest goes out (Schedule); checked by
	// the core before it builds the digest.
	DigestAt string
	// LapsingWeeks is engagement.KPIOptions.LapsingMinWeeks.
	LapsingWeeks int
	// Workspace returns the workspace's address (auth.test's "url"), the
	// base of message links, or "" when it is not known: then digests go
	// out without links.
	Workspace func(context.Context) string
	// Ours reports whether a message was posted by this app's bot.
	Ours func(slack.Msg) bool
	// HomeExtra, if set, adds blocks of other features to a staff
	// member's Home, after the dashboards (the spotlight's candidates):
	// within the Home's block limit, cut short if need be.
	HomeExtra func(ctx context.Context, c *engagement.Community, user string) ([]slack.Block, error)
}

// Digest is the digest feature of a running app.
type Digest struct {
	api          API
	store        *engagement.Store
	log          *slog.Logger
	staff        feature.Staff
	notify       *feature.Notifier
	communities  []*engagement.Community
	at           engagement.WeeklyAt
	on           bool
	lapsingWeeks int
	workspace    func(context.Context) string
	ours         func(slack.Msg) bool
	homeExtra    func(context.Context, *engagement.Community, string) ([]slack.Block, error)
	m            *metrics
}

// New builds the digest and registers its metrics on reg (none when reg
// is nil).
func New(deps Deps, reg prometheus.Registerer) *Digest {
	at, on, _ := Schedule(deps.DigestAt) // checked by the core
	d := &Digest{api: deps.API, store: deps.Store, log: deps.Log, staff: deps.Staff, notify: deps.Notifier,
		communities: deps.Communities, at: at, on: on, lapsingWeeks: deps.LapsingWeeks, workspace: deps.Workspace, ours: deps.Ours,
		homeExtra: deps.HomeExtra}
	d.m = newMetrics(reg, d)
	return d
}

// Schedule parses Config.DigestAt: "" is the default, "off" none.
func Schedule(s string) (at engagement.WeeklyAt, on bool, err error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return engagement.DefaultDigestAt, true, nil
	case "off":
		return engagement.WeeklyAt{}, false, nil
	}
	at, err = engagement.ParseWeeklyAt(s)
	return at, err == nil, err
}

// KPIs computes week w's KPIs of community c with the app's settings, with
// links into the workspace (permalink.go).
func (d *Digest) KPIs(ctx context.Context, c *engagement.Community, w engagement.Week) (*engagement.KPIs, error) {
	workspace := d.workspace(ctx)
	k, err := d.store.KPIs(ctx, c, w, engagement.KPIOptions{LapsingMinWeeks: d.lapsingWeeks})
	if err != nil {
		return nil, err
	}
	addPermalinks(k, workspace)
	return k, nil
}
