package slackapp

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
		"app_mention":           ignoreEvent, // the same post also arrives as a message, counted there
		"app_home_opened":       handleHomeOpened,
	}
	a.commands = map[string]commandHandler{
		"/closeknit": handleCloseknit,
	}
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
	a.schedule("prototypes", 0, closeDuePrototypes) // every scheduler tick: closing is due-time driven
}

// Subcommands of /closeknit, for help text and the manifest's usage hint.
var subcommands = []struct{ name, usage, help string }{
	{"help", "help", "what closeknit can do"},
	{"report", "report [YYYY-Www]", "this week's (or the given week's) figures; brand team only"},
	{"prototype", "prototype [close|extend ID [DAYS]]", "post a prototype or poll for feedback, or close or extend one; brand team only"},
	{"prototypes", "prototypes", "open and recent prototypes with their figures; brand team only"},
}
