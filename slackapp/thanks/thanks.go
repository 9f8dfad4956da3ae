// Package thanks is shout-outs and the monthly spotlight: a member thanks
// another with `/closeknit thanks @member [why]` (a short post in the
// channel, or a DM to the person thanked only, per the community's Thanks
// setting) or with the community's thanks reaction on their post (counted
// on the hot path, engagement/thanks.go; the reaction is the thank-you, so
// nothing is posted). The digest lists the most thanked members and the
// best helpers; staff pick one of them from the App Home with one click,
// and the app posts the spotlight in the channel, once per month.
package thanks

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/slack-go/slack"
)

// Routes: the spotlight button's action ID (routes.go wires it).
const ActionSpotlight = "thanks_spotlight"

// EventType is the metadata event type of a posted spotlight: a press
// that takes over a claim cut short looks for it before posting again.
const EventType = "closeknit_spotlight"

// Usage is the command's usage line.
const Usage = "/closeknit thanks @member [why]"

// maxWhy bounds the reason repeated in the thank-you.
const maxWhy = 300

// API is the part of the Web API thanks use: posts, and the channel's
// history to find a spotlight an earlier attempt may have posted.
type API interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
}

// Deps is what the thanks feature depends on.
type Deps struct {
	API    API
	Store  *engagement.Store
	Log    *slog.Logger
	Run    feature.Runner
	Notify *feature.Notifier
	// Community is the community of a channel; with no community there,
	// the first configured one (a command typed in a DM).
	Community func(channel string) *engagement.Community
	// ByID finds a community by its ID ("" or unknown: nil).
	ByID func(id string) *engagement.Community
	// Ours tells the app's own messages from others'.
	Ours func(slack.Msg) bool
}

// Feature is the thanks feature of a running app.
type Feature struct {
	d      Deps
	thanks *prometheus.CounterVec
}

// New builds the feature, registers its metric on reg (none when nil) and
// hooks it into the store, which counts thanks given by reaction.
func New(d Deps, reg prometheus.Registerer, communities []*engagement.Community) *Feature {
	f := &Feature{d: d, thanks: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{Name: "closeknit_thanks_total",
		Help: "Thanks that counted (one per giver, receiver and day), by how they were given: command or reaction."},
		[]string{"community", "via"})}
	for _, c := range communities {
		for _, via := range []string{engagement.ThanksViaCommand, engagement.ThanksViaReaction} {
			f.thanks.WithLabelValues(c.ID, via)
		}
	}
	if d.Store != nil { // nil when the routes are only listed (the manifest test)
		d.Store.SetThanksObserver(func(community, via string) { f.thanks.WithLabelValues(community, via).Inc() })
	}
	return f
}

// Command answers /closeknit thanks @member [why]. The thanks is recorded
// before the ack; the thank-you is posted after it (chat.postMessage can
// take longer than Slack's 3 s), and only when the thanks counted, so a
// redelivered command or a second thanks the same day posts nothing more.
func (f *Feature) Command(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	if len(args) == 0 {
		return nil, feature.Say("Usage: " + Usage)
	}
	users, err := feature.Users(args[:1], Usage)
	if err != nil {
		return nil, err
	}
	c, giver, receiver := f.d.Community(cmd.ChannelID), cmd.UserID, users[0]
	why := reason(cmd.Text)
	id := cmd.TriggerID
	if id == "" { // never from Slack; the day's rule still holds
		id = "cmd-" + giver + "-" + receiver
	}
	r, err := f.d.Store.Thank(ctx, c, engagement.Thanks{ID: "cmd:" + id, Giver: giver, Receiver: receiver, At: f.d.Store.Now()})
	if err != nil {
		return nil, err
	}
	switch r.Outcome {
	case engagement.ThanksSelf:
		return nil, feature.Say("Thanking yourself is kind, but it does not count: thank someone who helped you!")
	case engagement.ThanksStaffToStaff:
		return nil, feature.Say("Thanks between members of the brand team do not count here: this is for thanking the community.")
	case engagement.ThanksBot:
		return nil, feature.Say("Thanks come from people.")
	case engagement.ThanksGiverNotMember:
		return nil, feature.Sayf("Thanks are for members of the community: you need a seat in <#%s> to give them.", c.Channel)
	case engagement.ThanksReceiverNotMember:
		return nil, feature.Sayf("<@%s> is not a member of <#%s>: thanks go to people holding a seat, or to the brand team.", receiver, c.Channel)
	case engagement.ThanksAlreadyToday:
		return reply(fmt.Sprintf("You already thanked <@%s> today: one thanks a day counts. Tell them again tomorrow!", receiver))
	}
	if r.Repeat { // Slack delivered the command again: the first one posts
		return reply(fmt.Sprintf("Your thanks to <@%s> is on its way.", receiver))
	}
	to := feature.Notice{User: giver, ResponseURL: cmd.ResponseURL}
	if !f.d.Run.Go(func() { f.postThanks(c, giver, receiver, why, to) }) {
		f.d.Log.Warn("thank-you not posted: busy", "community", c.ID)
		return reply(fmt.Sprintf("Your thanks to <@%s> counted, but I am too busy to pass it on right now: tell them yourself!", receiver))
	}
	if c.Thanks == engagement.ThanksDM {
		return reply(fmt.Sprintf("Thank you! I am telling <@%s> privately.", receiver))
	}
	return reply(fmt.Sprintf("Thank you! Your thanks to <@%s> goes up in <#%s>.", receiver, c.Channel))
}

func reply(text string) (*slack.Msg, error) { return &slack.Msg{Text: text}, nil }

// postThanks posts the thank-you in the channel, or DMs it to the receiver;
// the giver hears only if it failed.
func (f *Feature) postThanks(c *engagement.Community, giver, receiver, why string, to feature.Notice) {
	ctx, cancel := context.WithTimeout(context.Background(), feature.Post)
	defer cancel()
	where, text := c.Channel, fmt.Sprintf(":raised_hands: <@%s> thanks <@%s>", giver, receiver)
	if c.Thanks == engagement.ThanksDM {
		where, text = receiver, fmt.Sprintf(":raised_hands: <@%s> thanks you", giver)
	}
	if why != "" {
		text += ": " + why
	} else {
		text += "!"
	}
	_, _, err := f.d.API.PostMessageContext(ctx, where, slack.MsgOptionText(text, false))
	if err == nil {
		return
	}
	code := feature.Code(err)
	if feature.Final(code) {
		f.d.Notify.Refused(c, "thanks.post", code)
	}
	f.d.Log.Warn("thank-you not posted", "community", c.ID, "dm", c.Thanks == engagement.ThanksDM, "err", err)
	f.d.Notify.Tell(to, fmt.Sprintf("Your thanks to <@%s> counted, but Slack would not pass it on (%s): tell them yourself!", receiver, code))
}

var (
	// specialMention is @channel, @here, @everyone or a user group as
	// Slack escapes them: repeated by the app, they would notify everyone.
	specialMention = regexp.MustCompile(`<!(?:subteam\^[A-Z0-9]+\|)?@?([a-zA-Z0-9_.-]+)[^>]*>`)
	space          = regexp.MustCompile(`\s+`)
)

// reason is what follows the mention in the command's text, on one line,
// without mass mentions, cut to maxWhy.
func reason(text string) string {
	text = strings.TrimSpace(text)
	if w, rest, ok := strings.Cut(text, " "); ok && strings.EqualFold(w, "thanks") {
		text = strings.TrimSpace(rest)
	}
	_, why, _ := strings.Cut(text, " ") // after the mention
	why = specialMention.ReplaceAllString(why, "@$1")
	why = strings.TrimSpace(space.ReplaceAllString(why, " "))
	return feature.Truncate(why, maxWhy)
}
