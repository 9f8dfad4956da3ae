package slackapp_test

import (
	"strings"
	"testing"

	"github.com/closeknit/closeknit/slackapp/slacktest"
)

func TestSlashCommands(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	MustRunApp(t, srv, nil)
	sendAll(t, srv, []slacktest.Envelope{srv.Event(message("U00000001", base, ""))})
	tests := []struct {
		name, user, text, want string
	}{
		{"help for anyone", "U0MEMBER001", "help", "/closeknit report"},
		{"empty is help", "U0MEMBER001", "", "/closeknit help"},
		{"report refused to members", "U0MEMBER001", "report", "for the brand team"},
		{"report for staff", "U0STAFF0001", "report 2026-W47", "1 messages"},
		{"bad week", "U0STAFF0001", "report last-week", "is not a week"},
		{"too many args", "U0STAFF0001", "report 2026-W47 extra", "Usage: /closeknit report"},
		{"unknown subcommand", "U0MEMBER001", "frobnicate", "Try /closeknit help"},
	}
	for _, tt := range tests {
		msg := runCommand(t, srv, channel, tt.user, tt.text)
		if !strings.Contains(msg.Text, tt.want) || msg.ResponseType != "ephemeral" {
			t.Errorf("%s: reply %q (%s), want ephemeral text containing %q", tt.name, msg.Text, msg.ResponseType, tt.want)
		}
	}
}
