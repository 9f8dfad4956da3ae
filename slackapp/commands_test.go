package slackapp_test

import (
	"encoding/json"
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
		env := srv.SlashCommand(map[string]any{
			"token": "x", "team_id": srv.TeamID, "channel_id": channel, "user_id": tt.user,
			"command": "/closeknit", "text": tt.text, "trigger_id": "1.2.3", "response_url": "https://hooks.slack.com/commands/x",
		})
		if err := srv.SendEnvelope(env); err != nil {
			t.Fatal(err)
		}
		if err := srv.WaitAcked(ctxT(t), env.ID); err != nil {
			t.Fatalf("%s: not acked: %v", tt.name, err)
		}
		var msg struct {
			Text         string `json:"text"`
			ResponseType string `json:"response_type"`
		}
		if err := json.Unmarshal(srv.AckPayload(env.ID), &msg); err != nil {
			t.Fatalf("%s: ack payload %q: %v", tt.name, srv.AckPayload(env.ID), err)
		}
		if !strings.Contains(msg.Text, tt.want) || msg.ResponseType != "ephemeral" {
			t.Errorf("%s: reply %q (%s), want ephemeral text containing %q", tt.name, msg.Text, msg.ResponseType, tt.want)
		}
	}
}
