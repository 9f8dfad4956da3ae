package slackapp

import (
	"context"
	"fmt"
	"strings"

	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// handleCloseknit answers /closeknit and its subcommands.
func handleCloseknit(ctx context.Context, a *App, cmd *slack.SlashCommand) (*slack.Msg, error) {
	args := strings.Fields(cmd.Text)
	sub := "help"
	if len(args) > 0 {
		sub = strings.ToLower(args[0])
		args = args[1:]
	}
	run := a.subcommands[sub]
	if run == nil {
		return nil, feature.Say(fmt.Sprintf("I don't know %q. Try /closeknit help.", sub))
	}
	return run(ctx, cmd, args)
}

// dmHelpText answers a direct message to the app.
func dmHelpText() string {
	return "Hi! I don't read messages here: I answer the `/closeknit` command, here or in the community channel.\n" + helpMessage().Text
}

func helpMessage() *slack.Msg {
	var b strings.Builder
	b.WriteString("*closeknit* looks after this small community: seats, welcomes, and how it talks, week by week.\n")
	for _, s := range subcommands {
		fmt.Fprintf(&b, "• `/closeknit %s`: %s\n", s.usage, s.help)
	}
	return &slack.Msg{Text: b.String()}
}
