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
	a.schedule("digest", a.cfg.SchedulerTick, runDigestJob) // digest.go: due check every tick, sent once per week
	// Interactions (block actions, shortcuts, view submissions) arrive with
	// the prototype and membership features; until then none is routed and
	// each is acked and counted as ignored.
}

// Subcommands of /closeknit, for help text and the manifest's usage hint.
var subcommands = []struct{ name, usage, help string }{
	{"help", "help", "what closeknit can do"},
	{"report", "report [YYYY-Www]", "this week's (or the given week's) figures; brand team only"},
	{"digest", "digest [YYYY-Www]", "last week's (or the given week's) digest, shown only to you; brand team only"},
}
