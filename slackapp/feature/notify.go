package feature

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/closeknit/closeknit/engagement"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/slack-go/slack"
)

// Poster is the part of the Web API that notices use.
type Poster interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
}

// Notifier tells people things privately, and tells a community's brand
// team about problems only they can fix. Every feature shares one, so a
// problem is told once whichever feature met it first.
type Notifier struct {
	api   Poster
	http  *http.Client // for response_urls
	store *engagement.Store
	log   *slog.Logger
	run   Runner
	// refusals counts Slack calls refused for good, by community, the
	// step that was given up, and Slack's error code.
	refusals *prometheus.CounterVec
}

// NewNotifier builds the notifier and registers its metric on reg.
func NewNotifier(api Poster, httpClient *http.Client, store *engagement.Store, log *slog.Logger, run Runner, reg prometheus.Registerer) *Notifier {
	return &Notifier{api: api, http: httpClient, store: store, log: log, run: run,
		refusals: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{Name: "closeknit_slack_refusals_total",
			Help: "Slack calls refused for good (not_in_channel, missing_scope, ...): the step was given up, staff were told."},
			[]string{"community", "method", "error"})}
}

// Refused counts a Slack call refused for good: step names what was given
// up ("welcome.post", "card.update").
func (n *Notifier) Refused(c *engagement.Community, step, code string) {
	n.refusals.WithLabelValues(c.ID, step, code).Inc()
}

// Notice is whom to tell something privately, and how: through a
// response_url when Slack gave one, else by a DM from the app.
type Notice struct {
	User        string
	ResponseURL string
}

// Tell shows text to the person of to only, and waits for it (call it
// from work that is already detached). A response_url works wherever the
// command or interaction happened, a DM or a channel the bot is not in,
// where chat.postEphemeral fails; a DM from the app works everywhere.
func (n *Notifier) Tell(to Notice, text string) {
	if to.User == "" && to.ResponseURL == "" {
		return // a forgotten person (privacy): no one to tell
	}
	ctx, cancel := context.WithTimeout(context.Background(), Courtesy)
	defer cancel()
	var err error
	if to.ResponseURL != "" {
		err = slack.PostWebhookCustomHTTPContext(ctx, to.ResponseURL, n.http,
			&slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: text})
	} else {
		_, _, err = n.api.PostMessageContext(ctx, to.User, slack.MsgOptionText(text, false))
	}
	if err != nil {
		n.log.Warn("private reply not sent", "user_id", to.User, "via_response_url", to.ResponseURL != "", "err", err)
	}
}

// TellUser shows text to user only, in channel: best effort, in the
// background; a courtesy, never part of the work.
func (n *Notifier) TellUser(channel, user, text string) { n.TellUserIn(channel, "", user, text) }

// TellUserIn is TellUser in the thread of thread ("" for the channel),
// with more message options (blocks): the answer to a press on a message in
// a thread shows there, where the person is looking.
func (n *Notifier) TellUserIn(channel, thread, user, text string, more ...slack.MsgOption) {
	if channel == "" || user == "" {
		return
	}
	opts := append([]slack.MsgOption{slack.MsgOptionText(text, false)}, more...)
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	n.run.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), Courtesy)
		defer cancel()
		if _, err := n.api.PostEphemeralContext(ctx, channel, user, opts...); err != nil {
			n.log.Warn("ephemeral reply not sent", "user_id", user, "err", err)
		}
	})
}

// TellStaff posts a note in c's brand channel, if there is one. If Slack
// refuses the app there for good, the note is dropped and staff are told
// of the problem once (SetupProblem); the caller goes on. Other errors are
// returned, for the caller to retry.
func (n *Notifier) TellStaff(ctx context.Context, c *engagement.Community, text string) error {
	if c.BrandChannel == "" {
		n.log.Info("staff note (no brand channel configured)", "community", c.ID, "note", text)
		return nil
	}
	_, _, err := n.api.PostMessageContext(ctx, c.BrandChannel, slack.MsgOptionText(text, false))
	if code := Code(err); Final(code) {
		n.BrandRefused(ctx, c, "brand.note", code, "staff notes (promotions, people I could not invite or welcome)", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("brand channel note: %w", err)
	}
	n.ClearSetupProblems(ctx, c, "brand:")
	return nil
}

// BrandRefused handles a post to c's brand channel that Slack refused for
// good (Final): counted under step, logged, and staff told once
// (SetupProblem). what names the post for people. The app's own setup
// problems (not in the channel, a scope missing) share the brand channel's
// warning, so staff hear of one problem once, whatever hit it first.
func (n *Notifier) BrandRefused(ctx context.Context, c *engagement.Community, step, code, what string, err error) {
	n.Refused(c, step, code)
	n.log.Warn("slack refused a post to the brand channel; given up", "community", c.ID, "method", step, "post", what, "err", err)
	if AppProblem(code) {
		n.SetupProblem(ctx, c, "brand:"+code, BrandChannelProblem(c, code, what))
		return
	}
	n.SetupProblem(ctx, c, step+":"+code, fmt.Sprintf("Slack refused %s in <#%s> (`%s`), so it was not posted.", what, c.BrandChannel, code))
}

// BrandChannelProblem is the warning staff read when the app cannot post
// in c's brand channel, so that what (a post) does not reach them.
func BrandChannelProblem(c *engagement.Community, code, what string) string {
	return fmt.Sprintf("I cannot post in the brand channel <#%s> (`%s`), so %s will not reach you: "+
		"please invite me there with `/invite @closeknit` and check my permissions.", c.BrandChannel, code, what)
}

// SetupProblem records a problem staff must fix: shown on their App Home
// until fixed, and DMed to each listed staff member once.
func (n *Notifier) SetupProblem(ctx context.Context, c *engagement.Community, key, text string) {
	first, err := n.store.AddWarning(ctx, c, key, text)
	if err != nil || !first {
		return
	}
	n.log.Warn("setup problem; staff told", "community", c.ID, "problem", key)
	staff := slices.Clone(c.Staff)
	if g, err := n.store.StaffGroup(ctx, c); err == nil {
		staff = append(staff, g.Users...)
	}
	slices.Sort(staff)
	for _, u := range slices.Compact(staff) {
		if _, _, err := n.api.PostMessageContext(ctx, u, slack.MsgOptionText(":warning: "+text, false)); err != nil {
			n.log.Warn("setup problem not DMed", "community", c.ID, "user_id", u, "err", err)
		}
	}
}

// ClearSetupProblems forgets the problems under prefix once the app
// succeeded again where they were seen.
func (n *Notifier) ClearSetupProblems(ctx context.Context, c *engagement.Community, prefix string) {
	_ = n.store.ClearWarning(ctx, c, prefix+"not_in_channel", prefix+"channel_not_found", prefix+"is_archived", prefix+"missing_scope")
}
