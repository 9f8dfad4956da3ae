package slackapp

import (
	"context"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/digest"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/closeknit/closeknit/slackapp/socketmode"
	"github.com/slack-go/slack"
)

// eventHandler turns an event into something to count (outCounted plus the
// event), an outcome without counting (outIgnored, outHandled), or an error
// for an event that can never be processed (rejected). It runs on the read
// goroutine: it must be quick and must not do I/O; slow work goes to a
// goroutine of its own. ev's strings point into the socket's read buffer:
// what that goroutine keeps must be copied (strings.Clone) first.
type eventHandler func(a *App, ev *slackEvent) (engagement.Event, outcome, error)

// humanSubtypes are message subtypes written by a person. Every other
// subtype is a system message (joins, edits, deletions, topic changes, bot
// posts) and is not counted.
var humanSubtypes = map[string]bool{"": true, "thread_broadcast": true, "file_share": true, "me_message": true}

func countMessage(a *App, ev *slackEvent) (engagement.Event, outcome, error) {
	if ev.ChannelType == "im" {
		return answerDM(a, ev)
	}
	c := a.byChannel[ev.Channel]
	if c != nil && ev.Subtype == "message_deleted" && c.Ideas == engagement.IdeasThread && ev.DeletedTS != "" {
		// Perhaps the idea thread's parent: then the next idea starts a
		// new thread (a reply to a deleted parent would be lost to view).
		if a.ideas.ParentDeleted(c, strings.Clone(ev.DeletedTS)) {
			return engagement.Event{}, outHandled, nil
		}
		return engagement.Event{}, outIgnored, nil
	}
	if c == nil || !humanSubtypes[ev.Subtype] || ev.BotID != "" || ev.User == "" || ev.User == a.botUserID {
		return engagement.Event{}, outIgnored, nil
	}
	t, err := engagement.ParseTS(ev.TS)
	if err != nil {
		return engagement.Event{}, outRejected, err
	}
	return engagement.Event{
		ID: ev.EventID, Community: c, Kind: engagement.KindMessage, User: ev.User, At: t,
		Reply: ev.ThreadTS != "" && ev.ThreadTS != ev.TS, TS: ev.TS, ThreadTS: ev.ThreadTS, ParentUser: ev.ParentUser,
		OnPersonsPost: ev.ParentUser != "" && ev.ParentUser != a.botUserID,
	}, outCounted, nil
}

func countReaction(a *App, ev *slackEvent) (engagement.Event, outcome, error) {
	c := a.byChannel[ev.ItemChannel]
	// The app's own reactions (seeded on its posts) are never counted.
	if c == nil || ev.User == "" || ev.User == a.botUserID {
		return engagement.Event{}, outIgnored, nil
	}
	t, err := engagement.ParseTS(ev.EventTS)
	if err != nil {
		return engagement.Event{}, outRejected, err
	}
	kind := engagement.KindReactionAdded
	if ev.Type == "reaction_removed" {
		kind = engagement.KindReactionRemoved
	}
	return engagement.Event{
		ID: ev.EventID, Community: c, Kind: kind, User: ev.User, At: t,
		ItemTS: ev.ItemTS, ItemUser: ev.ItemUser, Reaction: ev.Reaction,
		OnPersonsPost: ev.ItemUser != "" && ev.ItemUser != a.botUserID,
	}, outCounted, nil
}

func countMembership(a *App, ev *slackEvent) (engagement.Event, outcome, error) {
	c := a.byChannel[ev.Channel]
	if c == nil || ev.User == "" || ev.User == a.botUserID {
		return engagement.Event{}, outIgnored, nil
	}
	t, err := engagement.ParseTS(ev.EventTS)
	if err != nil {
		return engagement.Event{}, outRejected, err
	}
	kind := engagement.KindMemberJoined
	if ev.Type == "member_left_channel" {
		kind = engagement.KindMemberLeft
	}
	return engagement.Event{ID: ev.EventID, Community: c, Kind: kind, User: ev.User, At: t}, outCounted, nil
}

// answerDM answers a person's direct message to the app (its Messages
// tab) with the help text: closeknit is driven by /closeknit, and a message
// left unanswered looks broken. Only people's own messages are answered,
// never the app's (Slack echoes them as message.im too), another bot's, an
// edit or a deletion, so the app cannot talk to itself or to another app in
// a loop. Slack may deliver the event more than once: the claim on its
// event_id makes one answer, whichever replica gets it.
func answerDM(a *App, ev *slackEvent) (engagement.Event, outcome, error) {
	if !humanSubtypes[ev.Subtype] || ev.BotID != "" || ev.User == "" || ev.User == a.botUserID || len(a.cfg.Communities) == 0 {
		return engagement.Event{}, outIgnored, nil
	}
	eventID, channel, user := strings.Clone(ev.EventID), strings.Clone(ev.Channel), strings.Clone(ev.User)
	answered := a.run.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), feature.Courtesy)
		defer cancel()
		first, err := a.store.ClaimEvent(ctx, a.cfg.Communities[0], eventID) // the first community's keys hold DM markers
		if err != nil || !first {
			if err != nil {
				a.log.Warn("direct message not answered", "user_id", user, "err", err)
			}
			return
		}
		if _, _, err := a.api.PostMessageContext(ctx, channel, slack.MsgOptionText(dmHelpText(), false)); err != nil {
			a.log.Warn("direct message not answered", "user_id", user, "err", err)
		}
	})
	if !answered {
		return engagement.Event{}, outIgnored, nil // busy: they can write again
	}
	return engagement.Event{}, outHandled, nil
}

// handleHomeOpened publishes the App Home: the community's week so far. The
// envelope is acked at once; the view is published in the background.
func handleHomeOpened(a *App, ev *slackEvent) (engagement.Event, outcome, error) {
	if ev.Tab != "home" || ev.User == "" {
		return engagement.Event{}, outIgnored, nil
	}
	user := strings.Clone(ev.User)
	published := a.run.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), feature.Courtesy)
		defer cancel()
		if err := a.publishHome(ctx, user); err != nil {
			a.log.Warn("app home not published", "user_id", user, "err", err)
		}
	})
	if !published {
		return engagement.Event{}, outIgnored, nil // busy: the next open refreshes it
	}
	return engagement.Event{}, outHandled, nil
}

func (a *App) publishHome(ctx context.Context, userID string) error {
	if a.isStaff(userID) {
		return a.digest.PublishStaffHome(ctx, userID) // the live dashboard
	}
	var blocks []slack.Block
	for _, c := range a.cfg.Communities {
		r, err := a.store.Report(ctx, c, engagement.WeekOf(a.store.Now(), c.Location))
		if err != nil {
			return err
		}
		if !c.IsStaff(userID) {
			seat, err := a.members.HomeBlocks(ctx, c, userID)
			if err != nil {
				return err
			}
			blocks = append(blocks, seat...)
			door, err := a.requests.HomeBlocks(ctx, c, userID) // Request a seat, for someone not in it
			if err != nil {
				return err
			}
			blocks = append(blocks, door...)
			ideas, err := a.ideas.HomeBlocks(ctx, c, userID) // the top open ideas and the member's own
			if err != nil {
				return err
			}
			blocks = append(blocks, ideas...)
			r.Members = nil // members see channel totals, never each other's counts
		}
		blocks = append(blocks, digest.ReportBlocks(r).BlockSet...)
		blocks = append(blocks, slack.NewDividerBlock())
	}
	_, err := a.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: userID, View: homeView(blocks)})
	return err
}

// homeView wraps the App Home's blocks in a view.
func homeView(blocks []slack.Block) slack.HomeTabViewRequest {
	if len(blocks) == 0 {
		blocks = append(blocks, slack.NewSectionBlock(feature.Mrkdwn("No community is configured yet."), nil, nil))
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}
}

// commandHandler answers a slash command. What it returns goes back in the
// ack, shown only to the caller.
type commandHandler func(ctx context.Context, a *App, cmd *slack.SlashCommand) (*slack.Msg, error)

// handleInteractive acks and handles a slash command or an interaction,
// within Slack's 3 s, on a goroutine of its own.
func (a *App) handleInteractive(env socketmode.Envelope, received time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), feature.Ack)
	defer cancel()
	if env.Type != "slash_commands" {
		a.handleInteraction(ctx, env, received)
		return
	}
	var cmd slack.SlashCommand
	if err := cmd.UnmarshalJSON([]byte(env.Payload)); err != nil {
		a.ackNow(env.Type, outRejected, socketmode.Ack{EnvelopeID: env.ID}, received)
		a.log.Warn("rejected malformed slash command", "envelope_id", env.ID, "err", err)
		return
	}
	h := a.commands[cmd.Command]
	if h == nil {
		a.ackNow(env.Type, outRejected, socketmode.Ack{EnvelopeID: env.ID}, received)
		a.log.Warn("rejected unknown slash command", "envelope_id", env.ID, "command", cmd.Command)
		return
	}
	msg, err := h(ctx, a, &cmd)
	if err != nil {
		msg = a.userError(err, "envelope_id", env.ID, "user_id", cmd.UserID, "command", cmd.Command)
	}
	if msg == nil { // answered otherwise (e.g. a modal opened): a bare ack
		a.ackNow(env.Type, outHandled, socketmode.Ack{EnvelopeID: env.ID}, received)
		return
	}
	msg.ResponseType = slack.ResponseTypeEphemeral
	a.ackNow(env.Type, outHandled, socketmode.Ack{EnvelopeID: env.ID, Payload: msg}, received)
}

// userError is the one error funnel for commands and interactions: an
// error that carries a sentence for the person (feature.Text) is shown as
// is; anything else is logged and shown as a short apology.
func (a *App) userError(err error, logArgs ...any) *slack.Msg {
	text, said := feature.Text(err)
	if !said {
		a.log.Error("command failed", append(logArgs, "err", err)...)
	}
	return &slack.Msg{Text: text}
}
