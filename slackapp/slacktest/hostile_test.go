package slacktest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
)

// inner is an events_api envelope as a raw client sees it.
type inner struct {
	EnvelopeID   string
	EventID      string
	RetryAttempt int
	Event        map[string]any
}

// readEvents reads frames from ws until n events_api envelopes arrived,
// acking each when ack is set.
func readEvents(t *testing.T, ws *websocket.Conn, n int, ack bool) []inner {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	var out []inner
	for len(out) < n {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("after %d events: %v", len(out), err)
		}
		var f struct {
			EnvelopeID   string `json:"envelope_id"`
			Type         string `json:"type"`
			RetryAttempt int    `json:"retry_attempt"`
			Payload      struct {
				EventID string         `json:"event_id"`
				Event   map[string]any `json:"event"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(msg, &f); err != nil || f.Type != "events_api" {
			continue
		}
		if ack {
			if err := ws.WriteMessage(websocket.TextMessage, []byte(`{"envelope_id":"`+f.EnvelopeID+`"}`)); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, inner{f.EnvelopeID, f.Payload.EventID, f.RetryAttempt, f.Payload.Event})
	}
	return out
}

// TestHostileReordersEvents checks that events sent back to back arrive
// late and in another order, every one of them, and that the seed is
// logged so that the run can be replayed.
func TestHostileReordersEvents(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, Hostility(), WithSeed(42))
	srv.Configure(func(s *Server) { s.MaxDelay = 200 * time.Millisecond })
	ws := dialRaw(t, srv)
	var sent []string
	for i := range 20 {
		env := srv.Event(map[string]any{"type": "message", "user": "U02H7K4N5PQ", "text": "n",
			"ts": srv.NewTS(), "channel": "C05R8T2KLMN", "channel_type": "channel", "n": i})
		sent = append(sent, env.EventID)
		if err := srv.SendEnvelope(env); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, ev := range readEvents(t, ws, 20, true) {
		got = append(got, ev.EventID)
	}
	if slices.Equal(got, sent) {
		t.Errorf("20 events arrived in the order sent; want them reordered within MaxDelay")
	}
	if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(sent))) {
		t.Errorf("got events %v, want each of %v once", got, sent)
	}
	if err := srv.WaitAllAcked(testContext(t)); err != nil {
		t.Fatal(err)
	}
}

// TestHostileSeedLogged checks that a hostile server logs its seed and that
// SLACKTEST_SEED overrides it.
func TestHostileSeedLogged(t *testing.T) {
	t.Setenv("SLACKTEST_SEED", "12345")
	var logged []string
	srv := &Server{Logf: func(format string, args ...any) {
		if len(args) > 0 {
			logged = append(logged, strings.TrimSpace(strings.ReplaceAll(format, "%d", "")))
			if n, ok := args[0].(uint64); ok && n != 12345 {
				t.Errorf("seed %d, want 12345 from SLACKTEST_SEED", n)
			}
		}
	}}
	Hostility()(srv)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.Seed != 12345 || len(logged) != 1 || !strings.Contains(logged[0], "SLACKTEST_SEED") {
		t.Errorf("Seed %d, logged %q; want 12345 and a line naming SLACKTEST_SEED", srv.Seed, logged)
	}
}

// TestEchoes checks that the app's own actions come back as events, as on
// Slack: its post as a message with bot_id, app_id and the bot user, its
// edit as message_changed, its reaction as reaction_added, its invite and
// kick as member events. A DM to a user echoes nothing.
func TestEchoes(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, Hostility())
	const ch = "C05R8T2KLMN"
	srv.SetMembers(ch, []string{"U02H7K4N5PQ"})
	srv.SetUser(User{ID: "U03J8L5M6RS", Name: "bob"})
	ws := dialRaw(t, srv)
	api := newAPI(srv)

	if _, _, err := api.PostMessage("U02H7K4N5PQ", slack.MsgOptionText("dm", false)); err != nil {
		t.Fatal(err)
	}
	_, ts, err := api.PostMessage(ch, slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.UpdateMessage(ch, ts, slack.MsgOptionText("card v2", false)); err != nil {
		t.Fatal(err)
	}
	if err := api.AddReaction("thumbsup", slack.NewRefToMessage(ch, ts)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.InviteUsersToConversation(ch, "U03J8L5M6RS"); err != nil {
		t.Fatal(err)
	}
	if err := api.KickUserFromConversation(ch, "U02H7K4N5PQ"); err != nil {
		t.Fatal(err)
	}
	byKind := map[string]map[string]any{}
	for _, ev := range readEvents(t, ws, 5, true) {
		kind, _ := ev.Event["type"].(string)
		if st, ok := ev.Event["subtype"].(string); ok {
			kind += "/" + st
		}
		if _, dup := byKind[kind]; dup {
			t.Errorf("two %s events", kind)
		}
		byKind[kind] = ev.Event
	}
	msg := byKind["message"]
	if msg["bot_id"] != srv.BotID || msg["app_id"] != srv.AppID || msg["user"] != srv.BotUserID ||
		msg["ts"] != ts || msg["channel"] != ch || msg["text"] != "card" {
		t.Errorf("message echo %v; want the app's post of %s", msg, ts)
	}
	changed := byKind["message/message_changed"]
	if m, _ := changed["message"].(map[string]any); m["text"] != "card v2" || m["ts"] != ts || m["bot_id"] != srv.BotID {
		t.Errorf("message_changed echo %v", changed)
	}
	if p, _ := changed["previous_message"].(map[string]any); p["text"] != "card" {
		t.Errorf("message_changed previous_message %v, want text card", changed["previous_message"])
	}
	r := byKind["reaction_added"]
	if item, _ := r["item"].(map[string]any); r["user"] != srv.BotUserID || r["reaction"] != "thumbsup" || item["ts"] != ts {
		t.Errorf("reaction_added echo %v", r)
	}
	if j := byKind["member_joined_channel"]; j["user"] != "U03J8L5M6RS" || j["inviter"] != srv.BotUserID || j["channel_type"] != "C" {
		t.Errorf("member_joined_channel echo %v", j)
	}
	if l := byKind["member_left_channel"]; l["user"] != "U02H7K4N5PQ" {
		t.Errorf("member_left_channel echo %v", l)
	}
	if err := srv.WaitEchoes(testContext(t), 5); err != nil {
		t.Fatal(err)
	}
}

// TestHostileRedelivery checks that redelivery is on by default in a
// hostile server and runs on its compressed schedule: an un-acked event
// comes back three times, then is lost.
func TestHostileRedelivery(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, Hostility())
	srv.Configure(func(s *Server) { s.AckTimeout = 20 * time.Millisecond })
	ws := dialRaw(t, srv)
	env := srv.Event(map[string]any{"type": "message", "user": "U02H7K4N5PQ", "text": "x",
		"ts": srv.NewTS(), "channel": "C05R8T2KLMN", "channel_type": "channel"})
	if err := srv.SendEnvelope(env); err != nil {
		t.Fatal(err)
	}
	var attempts []int
	for _, ev := range readEvents(t, ws, 4, false) {
		if ev.EventID != env.EventID {
			t.Errorf("event %s, want %s", ev.EventID, env.EventID)
		}
		attempts = append(attempts, ev.RetryAttempt)
	}
	if !slices.Equal(attempts, []int{0, 1, 2, 3}) {
		t.Errorf("retry attempts %v, want 0 1 2 3", attempts)
	}
	if err := srv.WaitLost(testContext(t), env.ID); err != nil {
		t.Fatal(err)
	}
}

// slackErr returns the Slack error code of err, or its text.
func slackErr(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestChannelRefusals checks the answers for channels the bot cannot use:
// undeclared, bot not a member, archived; DMs always work.
func TestChannelRefusals(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, Hostility())
	srv.AddChannels("CIN")
	srv.SetChannel(Channel{ID: "COUT", Name: "out", BotNotMember: true})
	srv.SetChannel(Channel{ID: "COLD", Name: "old", Archived: true})
	srv.SetMembers("COUT", []string{"U02H7K4N5PQ"})
	api := newAPI(srv)
	ctx := testContext(t)

	_, ts, err := api.PostMessage("CIN", slack.MsgOptionText("hi", false))
	if err != nil {
		t.Fatalf("post to a channel the bot is in: %v", err)
	}
	if _, _, err := api.PostMessage("U02H7K4N5PQ", slack.MsgOptionText("dm", false)); err != nil {
		t.Fatalf("post to a user's DM: %v", err)
	}
	post := func(ch string) error { _, _, err := api.PostMessage(ch, slack.MsgOptionText("hi", false)); return err }
	for _, c := range []struct {
		name, want string
		err        error
	}{
		{"post, unknown channel", "channel_not_found", post("CNOPE")},
		{"post, bot not in channel", "not_in_channel", post("COUT")},
		{"post, archived", "is_archived", post("COLD")},
		{"ephemeral, bot not in channel", "not_in_channel", func() error {
			_, err := api.PostEphemeral("COUT", "U02H7K4N5PQ", slack.MsgOptionText("x", false))
			return err
		}()},
		{"update, bot not in channel", "not_in_channel", func() error {
			_, _, _, err := api.UpdateMessage("COUT", ts, slack.MsgOptionText("x", false))
			return err
		}()},
		{"reaction, bot not in channel", "not_in_channel", api.AddReaction("x", slack.NewRefToMessage("COUT", ts))},
		{"history, bot not in channel", "not_in_channel", func() error {
			_, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "COUT"})
			return err
		}()},
		{"invite, bot not in channel", "not_in_channel", func() error {
			_, err := api.InviteUsersToConversation("COUT", "U03J8L5M6RS")
			return err
		}()},
		{"kick, bot not in channel", "not_in_channel", api.KickUserFromConversation("COUT", "U02H7K4N5PQ")},
		{"info, unknown channel", "channel_not_found", func() error {
			_, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "CNOPE"})
			return err
		}()},
	} {
		if got := slackErr(c.err); got != c.want {
			t.Errorf("%s: %q, want %s", c.name, got, c.want)
		}
	}
	info, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: "COUT"})
	if err != nil || info.IsMember {
		t.Errorf("conversations.info COUT: is_member %v, %v; want false", info != nil && info.IsMember, err)
	}
	members, _, err := api.GetUsersInConversation(&slack.GetUsersInConversationParameters{ChannelID: "CIN"})
	if err != nil || !slices.Contains(members, srv.BotUserID) {
		t.Errorf("conversations.members CIN = %v, %v; want the bot listed", members, err)
	}
}

// TestUnknownAndDeletedUsers checks users.info: a user never seen answers
// user_not_found, one seen in an event is known, a deleted one says so.
func TestUnknownAndDeletedUsers(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, Hostility())
	srv.AddChannels("C05R8T2KLMN")
	srv.SetUser(User{ID: "U0GONE", Name: "gone", Deleted: true})
	api := newAPI(srv)

	if _, err := api.GetUserInfo("U0NOBODY"); slackErr(err) != "user_not_found" {
		t.Errorf("users.info of an unknown user: %v, want user_not_found", err)
	}
	if _, err := api.InviteUsersToConversation("C05R8T2KLMN", "U0NOBODY"); slackErr(err) != "user_not_found" {
		t.Errorf("invite of an unknown user: %v, want user_not_found", err)
	}
	u, err := api.GetUserInfo("U0GONE")
	if err != nil || !u.Deleted {
		t.Errorf("users.info of a deleted user: %+v, %v; want deleted", u, err)
	}
	if err := srv.SendEnvelope(srv.Event(map[string]any{"type": "message", "user": "U0POSTER", "text": "x",
		"ts": srv.NewTS(), "channel": "C05R8T2KLMN"})); err != nil {
		t.Fatal(err)
	}
	if _, err := api.GetUserInfo("U0POSTER"); err != nil {
		t.Errorf("users.info of a user who posted: %v", err)
	}
}

// TestRateLimitTiers checks Slack's limits at RateScale 1: a second
// chat.postMessage to one channel within a second is refused with
// Retry-After, another channel is not; Tier 2 allows 20 calls at once.
func TestRateLimitTiers(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, Hostility())
	srv.Configure(func(s *Server) { s.RateScale = 1 })
	srv.AddChannels("CA", "CB")
	srv.SetUserGroup("S1", []string{"U02H7K4N5PQ"})
	api := newAPI(srv)
	post := func(ch string) error { _, _, err := api.PostMessage(ch, slack.MsgOptionText("hi", false)); return err }
	if err := post("CA"); err != nil {
		t.Fatal(err)
	}
	var rl *slack.RateLimitedError
	if err := post("CA"); !errors.As(err, &rl) || rl.RetryAfter < time.Second {
		t.Errorf("second post to CA: %v, want RateLimitedError with Retry-After >= 1s", err)
	}
	if err := post("CB"); err != nil {
		t.Errorf("first post to CB: %v, want ok (per-channel limit)", err)
	}
	for i := range 21 {
		_, err := api.GetUserGroupMembersContext(context.Background(), "S1")
		if i < 20 && err != nil {
			t.Fatalf("usergroups.users.list call %d: %v", i+1, err)
		}
		if i == 20 && !errors.As(err, &rl) {
			t.Errorf("usergroups.users.list call 21: %v, want ratelimited (Tier 2)", err)
		}
	}
}

// TestCalm checks that Calm turns everything off and needs a reason.
func TestCalm(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, Hostility(), Calm("checking Calm"))
	if srv.Hostile != (Hostile{Seed: srv.Seed}) || srv.MemberEvents {
		t.Errorf("Calm left %+v, MemberEvents %v", srv.Hostile, srv.MemberEvents)
	}
	if _, _, err := newAPI(srv).PostMessage("CANY", slack.MsgOptionText("hi", false)); err != nil {
		t.Errorf("calm post to an undeclared channel: %v", err)
	}
	ft := &fakeTB{TB: t}
	NewServer(ft, Calm(""))
	if len(ft.errors()) != 1 {
		t.Errorf("Calm(\"\") reported %q, want one error", ft.errors())
	}
}

// TestSeedReplays checks that the seed decides every delay: two servers
// with one seed choose the same delays, another seed other ones.
func TestSeedReplays(t *testing.T) {
	t.Parallel()
	delays := func(seed uint64) []time.Duration {
		srv := NewServer(t, WithSeed(seed))
		srv.mu.Lock()
		defer srv.mu.Unlock()
		var out []time.Duration
		for range 10 {
			out = append(out, srv.randDelayLocked(time.Second))
		}
		return out
	}
	if a, b := delays(7), delays(7); !slices.Equal(a, b) {
		t.Errorf("seed 7 gave %v then %v", a, b)
	}
	if a, b := delays(7), delays(8); slices.Equal(a, b) {
		t.Errorf("seeds 7 and 8 both gave %v", a)
	}
}
