package slackapp

import (
	"context"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/digest"
	"github.com/closeknit/closeknit/slackapp/drop"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/closeknit/closeknit/slackapp/idea"
	"github.com/closeknit/closeknit/slackapp/membership"
	"github.com/closeknit/closeknit/slackapp/privacy"
	"github.com/closeknit/closeknit/slackapp/prompt"
	"github.com/closeknit/closeknit/slackapp/prototype"
	"github.com/closeknit/closeknit/slackapp/request"
	"github.com/closeknit/closeknit/slackapp/thanks"
	"github.com/slack-go/slack"
)

// routes lists the whole Slack surface of closeknit: every event type,
// slash command, action ID and view callback it handles. manifest.yaml must
// subscribe to exactly these (manifest_test.go checks), so adding a route
// here and forgetting the manifest fails the tests.
func (a *App) routes() {
	a.events = map[string]eventHandler{
		"message":               countMessage,
		"reaction_added":        countReaction,
		"reaction_removed":      countReaction,
		"member_joined_channel": countMembership,
		"member_left_channel":   countMembership,
		"app_home_opened":       handleHomeOpened,
	}
	a.commands = map[string]commandHandler{
		"/closeknit": handleCloseknit,
	}
	a.members = membership.New(membership.Deps{API: a.api, Store: a.store, Log: a.log, Staff: staffCheck{a}, Notify: a.notify,
		Communities: a.cfg.Communities, ByChannel: a.byChannel, RefreshStaff: a.refreshStaff,
		BotUser: func() string { return a.botUserID }}, a.reg)
	a.ideas = idea.New(idea.Deps{API: a.api, Store: a.store, Log: a.log, Run: a.run, Notify: a.notify, Staff: staffCheck{a},
		Community: a.communityOf, ByID: a.communityByID, Workspace: a.workspace, Metrics: idea.NewMetrics(a.reg)})
	shoutouts := thanks.New(thanks.Deps{API: a.api, Store: a.store, Log: a.log, Run: a.run, Notify: a.notify,
		Community: a.communityOf, ByID: a.communityByID, Ours: a.postedByUs}, a.reg, a.cfg.Communities)
	// The staff Home's sections of other features: the ideas waiting for
	// a status, then the spotlight's candidates.
	staffHome := func(ctx context.Context, c *engagement.Community, user string) ([]slack.Block, error) {
		ideas, err := a.ideas.StaffHomeBlocks(ctx, c)
		if err != nil {
			return nil, err
		}
		more, err := shoutouts.HomeBlocks(ctx, c, user)
		return append(ideas, more...), err
	}
	a.digest = digest.New(digest.Deps{API: a.api, Store: a.store, Log: a.log, Staff: staffCheck{a}, Notifier: a.notify,
		Communities: a.cfg.Communities, DigestAt: a.cfg.DigestAt, LapsingWeeks: a.cfg.LapsingWeeks,
		Workspace: a.workspace, Ours: a.postedByUs, HomeExtra: staffHome}, a.reg)
	proto := prototype.New(prototype.Deps{API: a.api, Store: a.store, Log: a.log, Run: a.run, Staff: staffCheck{a},
		Notify: a.notify, Communities: a.cfg.Communities}, a.reg)
	a.drops = drop.New(drop.Deps{API: a.api, Store: a.store, Log: a.log, Run: a.run, Notify: a.notify, Staff: staffCheck{a},
		Community: func(ch string) *engagement.Community { return a.byChannel[ch] }, ByID: a.communityByID,
		Metrics: drop.NewMetrics(a.reg)})
	a.requests = request.Deps{API: a.api, Store: a.store, Log: a.log, Run: a.run, Notify: a.notify, Staff: staffCheck{a},
		Community: a.communityOf, ByID: a.communityByID, RefreshHome: a.publishHome, Metrics: request.NewMetrics(a.reg, a.cfg.Communities)}
	a.subcommands = a.subcommandRoutes(proto, a.ideas)
	a.subcommands["thanks"] = shoutouts.Command
	a.scheduleAtStart("roster", 10*time.Minute, a.members.Roster)
	a.schedule("nudges", 15*time.Minute, a.members.Nudges)
	// Interactions: block_actions by action_id, view_submission by the
	// view's callback_id, shortcuts by callback_id. Anything else is acked
	// and counted as ignored.
	a.interactions = interactionRoutes{
		actions:   map[string]feature.Interaction{prototype.ActionResults: proto.Results},
		views:     map[string]feature.Interaction{prototype.ViewNew: proto.Submission},
		shortcuts: map[string]feature.Interaction{prototype.ShortcutNew: proto.Shortcut},
	}
	for i := 1; i <= prototype.MaxPollButtons; i++ {
		a.interactions.actions[prototype.VoteActionID(i)] = proto.Vote
	}
	a.interactions.actions[idea.ActionUpvote] = idea.Upvote(a.ideas)
	a.interactions.actions[idea.ActionUnvote] = idea.Unvote(a.ideas)
	a.interactions.actions[idea.ActionStatus] = idea.Status(a.ideas)
	a.interactions.views[idea.ViewNew] = idea.Submission(a.ideas)
	a.interactions.shortcuts[idea.ShortcutMake] = idea.Shortcut(a.ideas)
	a.interactions.actions[drop.ActionClaim] = a.drops.Claim
	a.interactions.actions[drop.ActionConfirm] = a.drops.Confirm
	a.interactions.actions[drop.ActionPassOn] = a.drops.PassOn
	a.interactions.actions[thanks.ActionSpotlight] = shoutouts.Spotlight
	a.interactions.views[drop.ViewNew] = a.drops.Submission
	a.interactions.actions[request.ActionAsk] = request.Ask(a.requests)
	a.interactions.actions[request.ActionApprove] = request.Approve(a.requests)
	a.interactions.actions[request.ActionDecline] = request.Decline(a.requests)
	a.interactions.views[request.ViewAsk] = request.Submission(a.requests)
	a.schedule("prototypes", 0, proto.CloseDue)             // every scheduler tick: closing is due-time driven
	a.schedule("digest", a.cfg.SchedulerTick, a.digest.Job) // due check every tick, sent once per week
	a.schedule("drops", 0, a.drops.Job)                     // every tick: closing is due-time driven, failed DMs are retried
	a.schedule("ideas", time.Minute, idea.Job(a.ideas))     // the ideas-by-status gauge
	a.schedule("requests", 0, request.Job(a.requests))      // every tick: request cards not posted yet, notices a decision owes
	// The weekly prompt, at each community's prompt_at: off by default, and
	// then not scheduled at all (no lease taken every tick for nothing).
	if prompt.On(a.cfg.Communities) {
		a.schedule("prompt", a.cfg.SchedulerTick, prompt.Job(a.promptDeps()))
	}
}

// promptDeps are what the weekly prompt needs of the app.
func (a *App) promptDeps() prompt.Deps {
	return prompt.Deps{API: a.api, Store: a.store, Staff: staffCheck{a}, Notify: a.notify, Log: a.log, Ours: a.postedByUs}
}

// subcommandRoutes maps each /closeknit subcommand to its handler. Staff
// commands check the staff list themselves, on every call. It must not
// call into a's fields: the manifest test routes an empty App.
func (a *App) subcommandRoutes(proto *prototype.Feature, ideas idea.Deps) map[string]feature.Command {
	m := a.members
	p := privacy.New(privacy.Deps{Store: a.store, Log: a.log, Staff: staffCheck{a}, Notify: a.notify, Run: a.run,
		Communities: a.cfg.Communities, ByChannel: a.byChannel, Forgetting: ideas.Forgetting})
	return map[string]feature.Command{
		"help": func(context.Context, *slack.SlashCommand, []string) (*slack.Msg, error) {
			return helpMessage(), nil
		},
		"status":     m.Status,
		"privacy":    p.Privacy,
		"optout":     p.OptOut(true),
		"optin":      p.OptOut(false),
		"forget":     p.Forget,
		"report":     a.digest.Report,
		"members":    m.Members,
		"invite":     m.Invite,
		"remove":     m.Remove,
		"waitlist":   m.Waitlist,
		"cap":        m.Cap,
		"prototype":  proto.Command,
		"prototypes": proto.List,
		"digest":     a.digest.Command,
		"idea":       idea.Command(ideas),
		"ideas":      idea.List(ideas),
		"drop":       a.drops.Command,
		"prompt":     prompt.Command(a.promptDeps()),
		"nominate":   request.Nominate(a.requests),
		"requests":   request.List(a.requests),
	}
}

// communityOf is the community of channel, or else the first configured:
// where a member's command from a DM or another channel belongs.
func (a *App) communityOf(channel string) *engagement.Community {
	if c := a.byChannel[channel]; c != nil {
		return c
	}
	return a.cfg.Communities[0]
}

// communityByID finds a configured community (nil if none has that ID).
func (a *App) communityByID(id string) *engagement.Community {
	for _, c := range a.cfg.Communities {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// cmd, act and job adapt handlers that still take the whole *App to the
// feature contract, until their feature moves to a package of its own.
func (a *App) cmd(h func(context.Context, *App, *slack.SlashCommand, []string) (*slack.Msg, error)) feature.Command {
	return func(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
		return h(ctx, a, cmd, args)
	}
}

func (a *App) act(h func(context.Context, *App, *slack.InteractionCallback) (any, error)) feature.Interaction {
	return func(ctx context.Context, cb *slack.InteractionCallback) (any, error) { return h(ctx, a, cb) }
}

func (a *App) job(h func(context.Context, *App, *engagement.Community) error) feature.Job {
	return func(ctx context.Context, c *engagement.Community) error { return h(ctx, a, c) }
}

// Subcommands of /closeknit, for help text and the manifest's usage hint.
var subcommands = []struct{ name, usage, help string }{
	{"help", "help", "what closeknit can do"},
	{"status", "status", "your seat, or your place on the waitlist"},
	{"privacy", "privacy", "what is stored about you; `optout`, `optin` and `forget` act on it"},
	{"optout", "optout", "stop per-person statistics about you (you still count in totals)"},
	{"optin", "optin", "turn per-person statistics back on"},
	{"forget", "forget", "delete everything stored about you"},
	{"report", "report [YYYY-Www]", "this week's (or the given week's) figures; brand team only"},
	{"members", "members", "seats used and free, the waitlist, quiet members; brand team only"},
	{"invite", "invite @user…", "give a seat (or a waitlist place); brand team only"},
	{"remove", "remove @user", "remove a member and free their seat; brand team only"},
	{"waitlist", "waitlist [add|drop|move @user [position]]", "show or change the waitlist; brand team only"},
	{"cap", "cap N", "change the number of seats; brand team only"},
	{"prototype", "prototype [close|extend ID [DAYS]]", "post a prototype or poll for feedback, or close or extend one; brand team only"},
	{"prototypes", "prototypes", "open and recent prototypes with their figures; brand team only"},
	{"digest", "digest [YYYY-Www]", "last week's (or the given week's) digest, shown only to you; brand team only"},
	{"idea", "idea [unvote ID | status ID STATUS [note] | merge ID KEPT]", "suggest an idea (opens a form); staff set its status or merge duplicates"},
	{"ideas", "ideas", "the top ideas by votes, with their status"},
	{"drop", "drop [release ID @user | close ID]", "post an early-access drop (opens a form), give a unit back, or close it; brand team only"},
	{"prompt", "prompt [add TEXT|list|drop N|move N M]", "queue the weekly conversation prompts; brand team only"},
	{"nominate", "nominate @person [why]", "put someone forward for a seat; the brand team decides"},
	{"requests", "requests", "seat requests waiting for a decision, with Approve and Decline; brand team only"},
	{"thanks", "thanks @member [why]", "thank a member: a short thank-you in the channel (or a DM); one a day per person counts"},
}
