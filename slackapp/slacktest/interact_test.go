package slacktest

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// TestInteractionAckInTimeKeepsPayload checks the other side of late acks:
// an interaction acked within InteractionTimeout counts, with its payload.
func TestInteractionAckInTimeKeepsPayload(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.Configure(func(s *Server) { s.InteractionTimeout = time.Minute })
	ws := dialRaw(t, srv)
	env := srv.Interaction(map[string]any{"type": "view_submission", "view": map[string]any{"id": "V1"}})
	if err := srv.SendEnvelope(env); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ws.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	ws.WriteJSON(map[string]any{"envelope_id": env.ID, "payload": map[string]any{"response_action": "clear"}})
	if err := srv.WaitAcked(testContext(t), env.ID); err != nil {
		t.Fatal(err)
	}
	if got := string(srv.AckPayload(env.ID)); got != `{"response_action":"clear"}` || len(srv.LateAcks()) != 0 {
		t.Errorf("payload %s, late acks %v", got, srv.LateAcks())
	}
}

// TestTriggerExpires checks views.open against Slack's trigger rules: a
// trigger_id works once, within TriggerLifetime of the interaction.
func TestTriggerExpires(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	api := newAPI(srv)
	modal := slack.ModalViewRequest{Type: slack.VTModal, CallbackID: "m", Title: slack.NewTextBlockObject("plain_text", "M", false, false)}
	srv.Configure(func(s *Server) { s.TriggerLifetime = 20 * time.Millisecond })
	old := srv.SlashCommand(map[string]any{"command": "/x"})
	if old.TriggerID == "" || !strings.Contains(string(old.Frame), old.TriggerID) {
		t.Fatalf("no trigger_id in %s", old.Frame)
	}
	if err := srv.SendEnvelope(old); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // past the (compressed) lifetime
	if _, err := api.OpenViewContext(t.Context(), old.TriggerID, modal); !isSlackError(err, "expired_trigger_id") {
		t.Errorf("trigger after its lifetime: %v, want expired_trigger_id", err)
	}
	srv.Configure(func(s *Server) { s.TriggerLifetime = time.Minute })
	fresh := srv.Interaction(map[string]any{"type": "shortcut", "callback_id": "x"})
	if err := srv.SendEnvelope(fresh); err != nil {
		t.Fatal(err)
	}
	if _, err := api.OpenViewContext(t.Context(), fresh.TriggerID, modal); err != nil {
		t.Errorf("fresh trigger: %v", err)
	}
	if _, err := api.OpenViewContext(t.Context(), fresh.TriggerID, modal); !isSlackError(err, "exchanged_trigger_id") {
		t.Errorf("trigger used twice: %v, want exchanged_trigger_id", err)
	}
}

// TestResponseURL checks the response_url endpoint: on this server,
// recorded per envelope, 5 posts within its lifetime, then refused.
func TestResponseURL(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	ctx := testContext(t)
	env := srv.SlashCommand(map[string]any{"command": "/x", "response_url": "https://hooks.slack.com/commands/T1/2/abc"})
	if !strings.HasPrefix(env.ResponseURL, strings.TrimSuffix(srv.APIURL(), "api/")+"commands/"+srv.TeamID+"/") ||
		!strings.Contains(string(env.Frame), env.ResponseURL) {
		t.Fatalf("response_url %q in %s", env.ResponseURL, env.Frame)
	}
	for i := range 6 {
		err := slack.PostWebhookContext(ctx, env.ResponseURL, &slack.WebhookMessage{Text: "reply", ResponseType: "ephemeral"})
		var sce slack.StatusCodeError
		if i < 5 && err != nil || i == 5 && !(errors.As(err, &sce) && sce.Code == 404) {
			t.Errorf("post %d: %v", i+1, err)
		}
	}
	got, err := srv.WaitResponses(ctx, env.ID, 5)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Text != "reply" || got[0].ResponseType != "ephemeral" || got[0].URL != env.ResponseURL {
		t.Errorf("recorded %+v", got[0])
	}
	if all := srv.Responses(env.ID); len(all) != 6 || all[5].Error != "used_url" {
		t.Errorf("sixth post recorded as %+v", all[len(all)-1])
	}

	// Block actions get one too; it expires.
	srv.Configure(func(s *Server) { s.ResponseURLLifetime = 10 * time.Millisecond })
	act := srv.Interaction(map[string]any{"type": "block_actions", "actions": []any{}})
	if !strings.Contains(act.ResponseURL, "/actions/") {
		t.Fatalf("block_actions response_url %q", act.ResponseURL)
	}
	time.Sleep(30 * time.Millisecond) // past the (compressed) lifetime
	if err := slack.PostWebhookContext(ctx, act.ResponseURL, &slack.WebhookMessage{Text: "late"}); err == nil {
		t.Error("post to an expired response_url accepted")
	}
	if all := srv.Responses(act.ID); len(all) != 1 || all[0].Error != "expired_url" {
		t.Errorf("expired post recorded as %+v", all)
	}
	// view_submission payloads carry none (unless the modal asks for one).
	if v := srv.Interaction(map[string]any{"type": "view_submission"}); v.ResponseURL != "" {
		t.Errorf("view_submission got response_url %q", v.ResponseURL)
	}
}

// TestMethodDelay checks that a delayed method takes effect at once but
// answers late: a client that gives up does not learn that its message is
// up.
func TestMethodDelay(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.AddChannels("C05R8T2KLMN")
	srv.Configure(func(s *Server) {
		s.MethodDelay = func(method string, _ url.Values) time.Duration {
			if method == "chat.postMessage" {
				return time.Minute
			}
			return 0
		}
	})
	// The client gives up once the message is up (not on a timer, which a
	// loaded machine can reach before the request does).
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		for len(srv.Messages("C05R8T2KLMN")) == 0 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	_, _, err := newAPI(srv).PostMessageContext(ctx, "C05R8T2KLMN", slack.MsgOptionText("slow", false))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("PostMessage = %v, want the client's cancellation", err)
	}
	if msgs := srv.Messages("C05R8T2KLMN"); len(msgs) != 1 || msgs[0].Text != "slow" {
		t.Errorf("messages %+v, want the slow one posted", msgs)
	}
}
