package slacktest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/slack-go/slack"
)

// TestWebAPI drives the emulator with real slack-go calls, one fresh server
// per case.
func TestWebAPI(t *testing.T) {
	t.Parallel()
	const channel = "C05R8T2KLMN"
	tests := []struct {
		name string
		run  func(t *testing.T, srv *Server, api *slack.Client)
	}{
		{"auth.test", func(t *testing.T, srv *Server, api *slack.Client) {
			got, err := api.AuthTestContext(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			want := &slack.AuthTestResponse{URL: "https://acme.slack.com/", Team: "Acme Ops", User: "closeknit",
				TeamID: DefaultTeamID, UserID: DefaultBotUserID, BotID: DefaultBotID}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(slack.AuthTestResponse{}, "Header")); diff != "" {
				t.Errorf("auth.test (-want +got):\n%s", diff)
			}
		}},
		{"chat.postMessage is recorded, updated and linked", func(t *testing.T, srv *Server, api *slack.Client) {
			blocks := slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*Prototype*", false, false), nil, nil)
			ch, ts, err := api.PostMessageContext(t.Context(), channel,
				slack.MsgOptionText("Prototype early access", false), slack.MsgOptionBlocks(blocks))
			if err != nil {
				t.Fatal(err)
			}
			if ch != channel || ts == "" {
				t.Errorf("PostMessage = %q, %q", ch, ts)
			}
			_, ts2, err := api.PostMessageContext(t.Context(), channel, slack.MsgOptionText("reply", false), slack.MsgOptionTS(ts))
			if err != nil {
				t.Fatal(err)
			}
			if ts2 <= ts {
				t.Errorf("second ts %q not after first %q", ts2, ts)
			}
			if _, _, _, err := api.UpdateMessageContext(t.Context(), channel, ts, slack.MsgOptionText("edited", false)); err != nil {
				t.Fatal(err)
			}
			got := srv.Messages(channel)
			want := []Message{
				{Channel: channel, TS: ts, Text: "edited", Updates: 1},
				{Channel: channel, TS: ts2, ThreadTS: ts, Text: "reply"},
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Message{}, "Args", "Blocks")); diff != "" {
				t.Errorf("Messages (-want +got):\n%s", diff)
			}
			if !strings.Contains(string(got[0].Blocks), "*Prototype*") {
				t.Errorf("blocks = %s", got[0].Blocks)
			}
			link, err := api.GetPermalinkContext(t.Context(), &slack.PermalinkParameters{Channel: channel, Ts: ts})
			if err != nil || !strings.HasPrefix(link, "https://acme.slack.com/archives/"+channel+"/p") {
				t.Errorf("GetPermalink = %q, %v", link, err)
			}
			if _, _, _, err := api.UpdateMessageContext(t.Context(), channel, "1.000001", slack.MsgOptionText("x", false)); !isSlackError(err, "message_not_found") {
				t.Errorf("update of a missing message: %v, want message_not_found", err)
			}
		}},
		{"chat.postEphemeral", func(t *testing.T, srv *Server, api *slack.Client) {
			ts, err := api.PostEphemeralContext(t.Context(), channel, "U02H7K4N5PQ", slack.MsgOptionText("only you", false))
			if err != nil {
				t.Fatal(err)
			}
			want := []Message{{Channel: channel, TS: ts, Text: "only you", Ephemeral: true, User: "U02H7K4N5PQ"}}
			if diff := cmp.Diff(want, srv.Messages(""), cmpopts.IgnoreFields(Message{}, "Args")); diff != "" {
				t.Errorf("Messages (-want +got):\n%s", diff)
			}
		}},
		{"429 injection", func(t *testing.T, srv *Server, api *slack.Client) {
			srv.Configure(func(s *Server) {
				s.RateLimit = func(method string) (time.Duration, bool) {
					return 1500 * time.Millisecond, method == "chat.postMessage"
				}
			})
			_, _, err := api.PostMessageContext(t.Context(), channel, slack.MsgOptionText("hi", false))
			var rl *slack.RateLimitedError
			if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
				t.Errorf("PostMessage error = %v, want RateLimitedError with RetryAfter 2s", err)
			}
			if _, err := api.AuthTestContext(t.Context()); err != nil {
				t.Errorf("auth.test was limited too: %v", err)
			}
			if got := srv.Messages(""); len(got) != 0 {
				t.Errorf("rate-limited message was stored: %+v", got)
			}
		}},
		{"MethodError injection", func(t *testing.T, srv *Server, api *slack.Client) {
			srv.Configure(func(s *Server) {
				s.MethodError = func(method string, form url.Values) string {
					if method == "conversations.invite" && form.Get("channel") == channel {
						return "not_in_channel"
					}
					return ""
				}
			})
			_, err := api.InviteUsersToConversationContext(t.Context(), channel, "U05K2P7Q8TV")
			if !isSlackError(err, "not_in_channel") {
				t.Errorf("invite error = %v, want SlackErrorResponse not_in_channel", err)
			}
		}},
		{"conversations.members pages", func(t *testing.T, srv *Server, api *slack.Client) {
			members := []string{"U02H7K4N5PQ", "U03J8L5M6RS", "U05K2P7Q8TV", "U07F4M2BX9Q", "U09AAAAAAAA"}
			srv.SetMembers(channel, members)
			var got []string
			params := &slack.GetUsersInConversationParameters{ChannelID: channel, Limit: 2}
			for {
				page, next, err := api.GetUsersInConversationContext(t.Context(), params)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, page...)
				if next == "" {
					break
				}
				params.Cursor = next
			}
			if diff := cmp.Diff(members, got); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
			if n := len(srv.Calls("conversations.members")); n != 3 {
				t.Errorf("%d conversations.members calls, want 3", n)
			}
		}},
		{"conversations.invite and kick change members", func(t *testing.T, srv *Server, api *slack.Client) {
			srv.SetMembers(channel, []string{"U03J8L5M6RS"})
			srv.SetUser(User{ID: "U05K2P7Q8TV", Name: "carol"}) // a user of the workspace, not in the channel
			_, err := api.InviteUsersToConversationContext(t.Context(), channel, "U03J8L5M6RS", DefaultBotUserID)
			var se slack.SlackErrorResponse
			if !errors.As(err, &se) || se.Err != "already_in_channel" || len(se.Errors) != 2 {
				t.Errorf("partial failure = %#v, want already_in_channel with 2 per-user errors", err)
			}
			if _, err := api.InviteUsersToConversationContext(t.Context(), channel, "U05K2P7Q8TV"); err != nil {
				t.Fatal(err)
			}
			if err := api.KickUserFromConversationContext(t.Context(), channel, "U03J8L5M6RS"); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"U05K2P7Q8TV"}, srv.Members(channel)); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
			if err := api.KickUserFromConversationContext(t.Context(), channel, "U03J8L5M6RS"); !isSlackError(err, "not_in_channel") {
				t.Errorf("second kick: %v, want not_in_channel", err)
			}
		}},
		{"conversations.info and users.info", func(t *testing.T, srv *Server, api *slack.Client) {
			srv.SetChannel(Channel{ID: channel, Name: "insiders", IsPrivate: true})
			srv.SetMembers(channel, []string{DefaultBotUserID, "U02H7K4N5PQ"})
			ch, err := api.GetConversationInfoContext(t.Context(), &slack.GetConversationInfoInput{ChannelID: channel, IncludeNumMembers: true})
			if err != nil {
				t.Fatal(err)
			}
			if ch.ID != channel || ch.Name != "insiders" || !ch.IsPrivate || !ch.IsMember || ch.NumMembers != 2 {
				t.Errorf("conversations.info = %+v", ch.GroupConversation)
			}
			srv.SetUser(User{ID: "U02H7K4N5PQ", Name: "alice", RealName: "Alice", Email: "alice@acme.test"})
			u, err := api.GetUserInfoContext(t.Context(), "U02H7K4N5PQ")
			if err != nil {
				t.Fatal(err)
			}
			if u.Name != "alice" || u.Profile.Email != "alice@acme.test" || u.IsBot {
				t.Errorf("users.info = %+v", u)
			}
			bot, err := api.GetUserInfoContext(t.Context(), DefaultBotUserID)
			if err != nil || !bot.IsBot {
				t.Errorf("users.info for the bot = %+v, %v", bot, err)
			}
		}},
		{"views.open, views.publish, reactions.add", func(t *testing.T, srv *Server, api *slack.Client) {
			modal := slack.ModalViewRequest{Type: slack.VTModal, CallbackID: "new_prototype_modal",
				Title: slack.NewTextBlockObject("plain_text", "Open prototype", false, false)}
			// The trigger_id comes from an interaction the user just made.
			if err := srv.SendEnvelope(srv.Interaction(map[string]any{"type": "shortcut", "callback_id": "x", "trigger_id": "123.456.abc"})); err != nil {
				t.Fatal(err)
			}
			if _, err := api.OpenViewContext(t.Context(), "999.999.never", modal); !isSlackError(err, "invalid_trigger_id") {
				t.Errorf("trigger never issued: %v, want invalid_trigger_id", err)
			}
			resp, err := api.OpenViewContext(t.Context(), "123.456.abc", modal)
			if err != nil {
				t.Fatal(err)
			}
			if resp.View.ID == "" || resp.View.CallbackID != "new_prototype_modal" {
				t.Errorf("views.open view = %+v", resp.View)
			}
			if _, err := api.OpenViewContext(t.Context(), "123.456.abc", modal); !isSlackError(err, "exchanged_trigger_id") {
				t.Errorf("reused trigger: %v, want exchanged_trigger_id", err)
			}
			calls := srv.Calls("views.open")
			if len(calls) != 3 || calls[1].Token != DefaultBotToken || calls[1].JSON["trigger_id"] != "123.456.abc" {
				t.Errorf("views.open calls = %+v", calls)
			}
			home := slack.HomeTabViewRequest{Type: slack.VTHomeTab}
			if _, err := api.PublishViewContext(t.Context(), slack.PublishViewContextRequest{UserID: "U02H7K4N5PQ", View: home}); err != nil {
				t.Fatal(err)
			}
			ref := slack.ItemRef{Channel: channel, Timestamp: "1767269010.013600"}
			if err := api.AddReactionContext(t.Context(), "eyes", ref); err != nil {
				t.Fatal(err)
			}
			if err := api.AddReactionContext(t.Context(), "eyes", ref); !isSlackError(err, "already_reacted") {
				t.Errorf("second reaction: %v, want already_reacted", err)
			}
		}},
		{"pins.add", func(t *testing.T, srv *Server, api *slack.Client) {
			_, ts, err := api.PostMessageContext(t.Context(), channel, slack.MsgOptionText("Ideas", false))
			if err != nil {
				t.Fatal(err)
			}
			ref := slack.NewRefToMessage(channel, ts)
			if err := api.AddPinContext(t.Context(), channel, ref); err != nil {
				t.Fatal(err)
			}
			if err := api.AddPinContext(t.Context(), channel, ref); !isSlackError(err, "already_pinned") {
				t.Errorf("second pin: %v, want already_pinned", err)
			}
			if err := api.AddPinContext(t.Context(), channel, slack.NewRefToMessage(channel, "1767269010.013600")); !isSlackError(err, "message_not_found") {
				t.Errorf("pin of no message: %v, want message_not_found", err)
			}
			if diff := cmp.Diff([]string{ts}, srv.Pins(channel)); diff != "" {
				t.Errorf("Pins (-want +got):\n%s", diff)
			}
			srv.SetChannel(Channel{ID: "C0OUTSIDE01", Name: "outside", BotNotMember: true})
			if err := api.AddPinContext(t.Context(), "C0OUTSIDE01", slack.NewRefToMessage("C0OUTSIDE01", ts)); !isSlackError(err, "not_in_channel") {
				t.Errorf("pin where the bot is not: %v, want not_in_channel", err)
			}
		}},
		{"file upload v2", func(t *testing.T, srv *Server, api *slack.Client) {
			content := "week,messages\n2026-W01,42\n"
			sum, err := api.UploadFileContext(t.Context(), slack.UploadFileParameters{
				Content: content, FileSize: len(content), Filename: "digest.csv", Title: "Digest", Channel: channel,
			})
			if err != nil {
				t.Fatal(err)
			}
			want := []File{{ID: sum.ID, Name: "digest.csv", Title: "Digest", Length: len(content), Data: []byte(content),
				Uploaded: true, Completed: true, Channel: channel}}
			if diff := cmp.Diff(want, srv.Files()); diff != "" {
				t.Errorf("Files (-want +got):\n%s", diff)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := NewServer(t)
			srv.AddChannels(channel) // the bot is in the test channel
			tt.run(t, srv, newAPI(srv))
		})
	}
}

func isSlackError(err error, code string) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && se.Err == code
}

// TestToken checks where the emulator looks for tokens: the Authorization
// header or the form body, the app token for apps.connections.open and the
// bot token for everything else.
func TestToken(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	tests := []struct {
		name, method, header, form string
		want                       string // error code, "" for ok
	}{
		{"bot token in form", "auth.test", "", DefaultBotToken, ""},
		{"bot token in header", "auth.test", DefaultBotToken, "", ""},
		{"header wins", "auth.test", DefaultBotToken, "xoxb-wrong", ""},
		{"wrong token", "auth.test", "", "xoxb-wrong", "invalid_auth"},
		{"no token", "auth.test", "", "", "invalid_auth"},
		{"app token for bot method", "auth.test", DefaultAppToken, "", "invalid_auth"},
		{"app token in header", "apps.connections.open", DefaultAppToken, "", ""},
		{"bot token for connections", "apps.connections.open", DefaultBotToken, "", "invalid_auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			form := url.Values{}
			if tt.form != "" {
				form.Set("token", tt.form)
			}
			req, err := http.NewRequest(http.MethodPost, srv.APIURL()+tt.method, strings.NewReader(form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.header != "" {
				req.Header.Set("Authorization", "Bearer "+tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK || body.OK != (tt.want == "") || body.Error != tt.want {
				t.Errorf("HTTP %d ok=%v error=%q, want HTTP 200 error %q", resp.StatusCode, body.OK, body.Error, tt.want)
			}
		})
	}
}

// TestUnknownMethod checks the loud failure on a method the emulator does not
// know, through a fake testing.TB so that the real test passes.
func TestUnknownMethod(t *testing.T) {
	t.Parallel()
	tb := &fakeTB{TB: t}
	srv := NewServer(tb)
	api := newAPI(srv)
	_, _, err := api.ScheduleMessageContext(t.Context(), "C05R8T2KLMN", "1767300000", slack.MsgOptionText("later", false))
	if !isSlackError(err, "unknown_method") {
		t.Errorf("ScheduleMessage error = %v, want unknown_method", err)
	}
	if diff := cmp.Diff([]string{`slacktest: unknown Web API method "chat.scheduleMessage"`}, tb.errors()); diff != "" {
		t.Errorf("reported errors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"chat.scheduleMessage"}, srv.UnknownMethods()); diff != "" {
		t.Errorf("UnknownMethods (-want +got):\n%s", diff)
	}
}

// TestZeroValueServer checks the sandbox mode: a zero Server after Start,
// without a testing.TB, logs unknown methods instead of failing.
func TestZeroValueServer(t *testing.T) {
	t.Parallel()
	var logged []string
	srv := &Server{Logf: func(format string, args ...any) { logged = append(logged, format) }}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Post(srv.APIURL()+"team.info", "application/x-www-form-urlencoded",
		strings.NewReader("token="+DefaultBotToken))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"error":"unknown_method"`) {
		t.Errorf("body = %s", body)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	// Close has waited for every handler, so logged is safe to read.
	if diff := cmp.Diff([]string{"team.info"}, srv.UnknownMethods()); diff != "" {
		t.Errorf("UnknownMethods (-want +got):\n%s", diff)
	}
	if len(logged) != 1 {
		t.Errorf("logged %q, want one line", logged)
	}
}
