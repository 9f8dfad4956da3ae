package slackapp

import (
	"context"
	"time"

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
	a.subcommands = subcommandRoutes()
	a.schedule("roster", 10*time.Minute, reconcileRoster)
	a.schedule("nudges", 15*time.Minute, sendNudges)
	// Interactions: block_actions by action_id, view_submission by the
	// view's callback_id, shortcuts by callback_id. Anything else is acked
	// and counted as ignored.
	a.interactions = interactionRoutes{
		actions:   map[string]interactionHandler{actionProtoResults: handleProtoResults},
		views:     map[string]interactionHandler{viewNewPrototype: handleNewPrototypeSubmission},
		shortcuts: map[string]interactionHandler{shortcutNewPrototype: handleNewPrototypeShortcut},
	}
	for i := 1; i <= maxPollButtons; i++ {
		a.interactions.actions[voteActionID(i)] = handleProtoVote
	}
	a.schedule("prototypes", 0, closeDuePrototypes)         // every scheduler tick: closing is due-time driven
	a.schedule("digest", a.cfg.SchedulerTick, runDigestJob) // digest.go: due check every tick, sent once per week
}

// subcommand answers one /closeknit subcommand; args follow its name.
type subcommand func(ctx context.Context, a *App, cmd *slack.SlashCommand, args []string) (*slack.Msg, error)

// subcommandRoutes maps each /closeknit subcommand to its handler. Staff
// commands check the staff list themselves (staffCommunity), on every call.
func subcommandRoutes() map[string]subcommand {
	return map[string]subcommand{
		"help": func(context.Context, *App, *slack.SlashCommand, []string) (*slack.Msg, error) {
			return helpMessage(), nil
		},
		"status":   cmdStatus,
		"privacy":  cmdPrivacy,
		"optout":   cmdOptOut(true),
		"optin":    cmdOptOut(false),
		"forget":   cmdForget,
		"report":   cmdReport,
		"members":  cmdMembers,
		"invite":   cmdInvite,
		"remove":   cmdRemove,
		"waitlist": cmdWaitlist,
		"cap":      cmdCap,
		// Prototypes (prototype_handlers.go).
		"prototype":  prototypeCommand,
		"prototypes": prototypesCommand,
		"digest":     digestCommand, // digest_command.go
	}
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
}
