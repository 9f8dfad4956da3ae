package slackapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/redistest"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
)

const (
	staffUser    = "U0STAFF0001"
	brandChannel = "C0BRAND0001"
)

// withProtoConfig gives the community a brand channel and makes the
// scheduler tick fast.
func withProtoConfig(cfg *slackapp.Config) {
	cfg.Communities[0].BrandChannel = brandChannel
	cfg.SchedulerTick = 20 * time.Millisecond
	cfg.DigestAt = "off" // the weekly digest would post into the brand channel too
}

// eventually waits (up to 10 s) until cond holds.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// send sends env, waits for its ack and returns the ack's payload.
func send(t testing.TB, srv *slacktest.Server, env slacktest.Envelope) json.RawMessage {
	t.Helper()
	if err := srv.SendEnvelope(env); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitAcked(ctxT(t), env.ID); err != nil {
		t.Fatalf("envelope %s not acked: %v", env.Type, err)
	}
	return srv.AckPayload(env.ID)
}

func slash(srv *slacktest.Server, user, text string) slacktest.Envelope {
	return srv.SlashCommand(map[string]any{
		"token": "x", "team_id": srv.TeamID, "channel_id": channel, "user_id": user,
		"command": "/closeknit", "text": text, "trigger_id": "13345224609.738474920.8088930838d88f008e0" + user,
		"response_url": "https://hooks.slack.com/commands/x",
	})
}

func ackText(t *testing.T, payload json.RawMessage) string {
	t.Helper()
	var msg struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(payload, &msg); err != nil {
		t.Fatalf("ack payload %q: %v", payload, err)
	}
	return msg.Text
}

// submission is a view_submission of the prototype modal.
func submission(srv *slacktest.Server, user, viewID string, values map[string]string, hide bool) slacktest.Envelope {
	state := map[string]any{}
	for field, v := range values {
		state[field] = map[string]any{field: map[string]any{"type": "plain_text_input", "value": v}}
	}
	if hide {
		state["hide_results"] = map[string]any{"hide_results": map[string]any{"type": "checkboxes",
			"selected_options": []any{map[string]any{"value": "hide", "text": map[string]any{"type": "plain_text", "text": "Hide"}}}}}
	}
	return srv.Interaction(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": srv.TeamID}, "user": map[string]any{"id": user, "team_id": srv.TeamID},
		"api_app_id": srv.AppID, "trigger_id": "1.2.3",
		"view": map[string]any{"id": viewID, "type": "modal", "callback_id": "proto_new", "private_metadata": "acme",
			"state": map[string]any{"values": state}},
	})
}

func validValues() map[string]string {
	return map[string]string{
		"name": "Cloud Paint 2.0", "description": "Layers and brushes", "image_url": "https://example.com/cp.png",
		"link": "https://example.com/try", "question": "Would you use it?", "reactions": "", "options": "", "open_days": "7",
	}
}

// blockAction is a button press on the card at cardTS.
func blockAction(srv *slacktest.Server, user, actionID, cardTS string) slacktest.Envelope {
	return srv.Interaction(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user}, "api_app_id": srv.AppID, "trigger_id": "1.2.3",
		"team":      map[string]any{"id": srv.TeamID},
		"container": map[string]any{"type": "message", "message_ts": cardTS, "channel_id": channel, "is_ephemeral": false},
		"channel":   map[string]any{"id": channel},
		"message":   map[string]any{"type": "message", "ts": cardTS, "user": srv.BotUserID},
		"actions":   []any{map[string]any{"action_id": actionID, "block_id": "x", "type": "button", "value": "", "action_ts": "1.1"}},
	})
}

func reactionEv(user, emoji, itemTS string, added bool, at time.Time) map[string]any {
	typ := "reaction_added"
	if !added {
		typ = "reaction_removed"
	}
	return map[string]any{"type": typ, "user": user, "reaction": emoji, "item_user": "U07F4M2BX9Q",
		"item": map[string]any{"type": "message", "channel": channel, "ts": itemTS}, "event_ts": tsOf(at)}
}

// cards returns the cards (non-ephemeral messages) in the community channel.
func cards(srv *slacktest.Server) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range srv.Messages(channel) {
		if !m.Ephemeral {
			out = append(out, m)
		}
	}
	return out
}

// ackAction is the response_action of a view_submission's ack.
func ackAction(t *testing.T, payload json.RawMessage) string {
	t.Helper()
	var resp struct {
		ResponseAction string `json:"response_action"`
	}
	if err := json.Unmarshal(payload, &resp); err != nil {
		t.Fatalf("submission ack %q: %v", payload, err)
	}
	return resp.ResponseAction
}

// postPrototype posts one through the modal and returns it as recorded.
// The submission is acked at once with a "Posting…" view; the card follows.
// protoMembers hold a seat in the prototype tests' community: only
// seated members' feedback counts.
var protoMembers = []string{"UALICE0001", "UBOB000001", "UCAROL0001", "UDAVE00001", "U0MEMBER001"}

// seatMembers gives users a seat, as the seat scripts would, without the
// Slack side of an invitation. Seated now: the roster check leaves a fresh
// seat alone for its grace period.
func seatMembers(t testing.TB, ta *testApp, users ...string) {
	t.Helper()
	for _, u := range users {
		if err := ta.rdb.ZAdd(context.Background(), ta.ns+":{"+ta.community.ID+"}:seats", redis.Z{Score: float64(time.Now().UnixMilli()), Member: u}).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

func postPrototype(t *testing.T, srv *slacktest.Server, ta *testApp, viewID string, values map[string]string, hide bool) *engagement.Prototype {
	t.Helper()
	seatMembers(t, ta, protoMembers...)
	before := len(cards(srv))
	if p := send(t, srv, submission(srv, staffUser, viewID, values, hide)); ackAction(t, p) != "update" {
		t.Fatalf("valid submission acked with %s, want the Posting… view", p)
	}
	var p *engagement.Prototype
	eventually(t, "the card is posted and recorded", func() bool {
		cs := cards(srv)
		if len(cs) != before+1 {
			return false
		}
		var err error
		p, err = ta.store.PrototypeByTS(ctxT(t), ta.community, cs[before].TS)
		return err == nil
	})
	return p
}

// waitTold waits until user got a DM from the app containing want.
func waitTold(t *testing.T, srv *slacktest.Server, user, want string) {
	t.Helper()
	eventually(t, user+" is told "+want, func() bool {
		for _, m := range srv.Messages(user) {
			if strings.Contains(m.Text, want) {
				return true
			}
		}
		return false
	})
}

func TestPrototypeModalRoundTrip(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withProtoConfig)

	// The command opens the modal with its trigger_id, and acks bare.
	if p := send(t, srv, slash(srv, staffUser, "prototype")); len(p) != 0 && string(p) != "null" {
		t.Errorf("/closeknit prototype acked with %s, want a bare ack", p)
	}
	opens := srv.Calls("views.open")
	if len(opens) != 1 || !strings.HasSuffix(opens[0].Args.Get("trigger_id"), staffUser) ||
		!strings.Contains(opens[0].Args.Get("view"), `"callback_id":"proto_new"`) {
		t.Fatalf("views.open calls: %+v", opens)
	}
	if got := ackText(t, send(t, srv, slash(srv, "U0MEMBER001", "prototype"))); !strings.Contains(got, "brand team") {
		t.Errorf("member ran /closeknit prototype: %q", got)
	}
	// The global shortcut opens it too; for a member it explains instead.
	shortcut := func(user string) slacktest.Envelope {
		return srv.Interaction(map[string]any{"type": "shortcut", "callback_id": "new_prototype", "trigger_id": "9.9.9" + user,
			"user": map[string]any{"id": user}, "team": map[string]any{"id": srv.TeamID}})
	}
	send(t, srv, shortcut(staffUser))
	send(t, srv, shortcut("U0MEMBER001"))
	opens = srv.Calls("views.open")
	if len(opens) != 3 || !strings.Contains(opens[1].Args.Get("view"), "proto_new") || !strings.Contains(opens[2].Args.Get("view"), "for the brand team") {
		t.Errorf("views.open after the shortcuts: %d calls", len(opens))
	}

	// Validation errors come back in the modal; nothing is posted.
	bad := validValues()
	bad["name"], bad["image_url"], bad["open_days"], bad["reactions"] = " ", "http://example.com/cp.png", "seven", "heart_eyes=2"
	var resp struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(send(t, srv, submission(srv, staffUser, "V0BAD00001", bad, false)), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.ResponseAction != "errors" || resp.Errors["name"] == "" || resp.Errors["image_url"] == "" ||
		resp.Errors["open_days"] == "" || resp.Errors["reactions"] == "" || len(resp.Errors) != 4 {
		t.Errorf("invalid submission ack: %+v", resp)
	}
	badPoll := validValues()
	badPoll["options"] = "Only one"
	if err := json.Unmarshal(send(t, srv, submission(srv, staffUser, "V0BAD00002", badPoll, false)), &resp); err != nil || resp.Errors["options"] == "" {
		t.Errorf("one-option poll: %+v, %v", resp, err)
	}
	if err := json.Unmarshal(send(t, srv, submission(srv, "U0MEMBER001", "V0BAD00003", validValues(), false)), &resp); err != nil || resp.Errors["name"] == "" {
		t.Errorf("member submitting: %+v, %v", resp, err)
	}
	if n := len(cards(srv)); n != 0 {
		t.Fatalf("%d cards posted by invalid submissions", n)
	}

	// A valid one posts the card, records it, seeds the reactions, puts
	// the ID on the card and tells the poster.
	p := postPrototype(t, srv, ta, "V0GOOD0001", validValues(), false)
	if p.ID != "P1" || p.Name != "Cloud Paint 2.0" || p.Status != "open" || len(p.Reactions) != 4 ||
		p.ClosesAt.Sub(p.OpenedAt) != 7*24*time.Hour || p.Author != staffUser {
		t.Errorf("recorded %+v", p)
	}
	if _, err := srv.WaitCall(ctxT(t), "reactions.add", 4); err != nil {
		t.Fatal(err)
	}
	var seeded []string
	for _, c := range srv.Calls("reactions.add") {
		if c.Args.Get("timestamp") != p.TS || c.Args.Get("channel") != channel {
			t.Errorf("reaction seeded on %s/%s", c.Args.Get("channel"), c.Args.Get("timestamp"))
		}
		seeded = append(seeded, c.Args.Get("name"))
	}
	if diff := cmp.Diff([]string{"heart_eyes", "+1", "thinking_face", "-1"}, seeded); diff != "" {
		t.Errorf("seeded reactions (-want +got):\n%s", diff)
	}
	waitTold(t, srv, staffUser, "Posted P1")
	eventually(t, "the card shows its ID", func() bool {
		for _, m := range srv.Messages(channel) {
			if m.TS == p.TS && m.Updates == 1 && strings.Contains(string(m.Blocks), "Early access · P1") {
				return true
			}
		}
		return false
	})
	// The same view submitted again (a retry) posts nothing more.
	send(t, srv, submission(srv, staffUser, "V0GOOD0001", validValues(), false))
	if n := len(cards(srv)); n != 1 {
		t.Errorf("%d cards after a repeated submission, want 1", n)
	}
}

// TestPrototypeCardFailsCleanly: Slack refuses the card. The modal was
// already answered, so the poster is told by DM; nothing is posted or
// recorded, and the same form can be posted once Slack takes it.
func TestPrototypeCardFailsCleanly(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withProtoConfig)
	srv.Configure(func(s *slacktest.Server) {
		s.MethodError = func(method string, form url.Values) string {
			if method == "chat.postMessage" && form.Get("channel") == channel {
				return "not_in_channel"
			}
			return ""
		}
	})
	if got := ackAction(t, send(t, srv, submission(srv, staffUser, "V0FAIL0001", validValues(), false))); got != "update" {
		t.Errorf("submission acked with %q, want update (the Posting… view)", got)
	}
	waitTold(t, srv, staffUser, "not_in_channel")
	waitTold(t, srv, staffUser, "nothing was posted")
	if all, err := ta.store.AllPrototypeResults(ctxT(t), ta.community, 0); err != nil || len(all) != 0 {
		t.Errorf("prototypes recorded: %d, %v", len(all), err)
	}
	if n := len(cards(srv)); n != 0 {
		t.Errorf("%d cards in the channel", n)
	}
	// Once Slack takes it, the same view can be submitted again.
	srv.Configure(func(s *slacktest.Server) { s.MethodError = nil })
	postPrototype(t, srv, ta, "V0FAIL0001", validValues(), false)
}

func TestPrototypeFeedbackCounted(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	fastRetries(srv)
	ta := MustRunApp(t, srv, withProtoConfig)
	p := postPrototype(t, srv, ta, "V0FEED0001", validValues(), false)
	now := time.Now()
	at := func(s int) time.Time { return now.Add(time.Duration(s) * time.Millisecond) }
	aliceLove := srv.Event(reactionEv("UALICE0001", "heart_eyes", p.TS, true, at(1)))
	aliceReply := srv.Event(message("UALICE0001", at(2), p.TS))
	envs := []slacktest.Envelope{
		aliceLove, aliceReply,
		srv.Event(reactionEv(srv.BotUserID, "heart_eyes", p.TS, true, at(3))), // the app's seeded reaction
		srv.Event(reactionEv("UBOB000001", "+1", p.TS, true, at(4))),
		srv.Event(message("UBOB000001", at(5), p.TS)),
		srv.Event(message("UALICE0001", at(6), p.TS)),
		srv.Event(reactionEv(staffUser, "heart_eyes", p.TS, true, at(7))), // the brand team's own
		srv.Event(message("UCAROL0001", at(8), "")),                       // not on the card
		srv.Event(reactionEv("UCAROL0001", "+1", tsOf(at(8)), true, at(9))),
	}
	sendAll(t, srv, envs)
	// Carol adds 👎, removes it, adds it again (one at a time, as Slack sends them).
	sendAll(t, srv, []slacktest.Envelope{srv.Event(reactionEv("UCAROL0001", "-1", p.TS, true, at(10)))})
	sendAll(t, srv, []slacktest.Envelope{srv.Event(reactionEv("UCAROL0001", "-1", p.TS, false, at(11)))})
	sendAll(t, srv, []slacktest.Envelope{srv.Event(reactionEv("UCAROL0001", "-1", p.TS, true, at(12)))})
	// Dave adds and removes: not a participant in the end.
	sendAll(t, srv, []slacktest.Envelope{srv.Event(reactionEv("UDAVE00001", "thinking_face", p.TS, true, at(13)))})
	sendAll(t, srv, []slacktest.Envelope{srv.Event(reactionEv("UDAVE00001", "thinking_face", p.TS, false, at(14)))})
	// Redeliveries change nothing.
	sendAll(t, srv, []slacktest.Envelope{redelivery(srv, aliceLove), redelivery(srv, aliceReply)})

	r, err := ta.store.PrototypeResultsByID(ctxT(t), ta.community, p.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"heart_eyes": 1, "+1": 1, "-1": 1}
	if diff := cmp.Diff(want, r.Summary.Reactions); diff != "" {
		t.Errorf("reactions (-want +got):\n%s", diff)
	}
	if s := r.Summary; s.Participants != 3 || s.Comments != 3 || s.Commenters != 2 || s.Sentiment != 0.167 {
		t.Errorf("participants %d comments %d commenters %d sentiment %v; want 3, 3, 2, 0.167 ((1+0.5-1)/3)",
			s.Participants, s.Comments, s.Commenters, s.Sentiment)
	}
	// Counted reactions: Alice, Bob, Carol x2, Dave; removals: Carol, Dave.
	for kind, want := range map[string]float64{"reaction": 5, "reaction_removed": 2, "comment": 3} {
		if got := metricValue(t, ta, "closeknit_prototype_feedback_total", "community=acme", "kind="+kind); got != want {
			t.Errorf("feedback metric %s = %v, want %v", kind, got, want)
		}
	}
	// The weekly counters still see every human reaction and message.
	if got := ta.report(t, engagement.WeekOf(now, time.UTC)).Reactions; got < 5 {
		t.Errorf("weekly reactions %d", got)
	}
}

// TestPrototypeClosesOnceWithTwoReplicas runs two apps (replicas) against one
// emulator and one Redis namespace. Both run the closing job; the card is
// updated once and the results are posted once.
func TestPrototypeClosesOnceWithTwoReplicas(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ns := fmt.Sprintf("cktest-app-%d-%d", os.Getpid(), nsSeq.Add(1))
	r1 := MustRunAppNS(t, srv, redistest.URL(), ns, withProtoConfig)
	r2 := MustRunAppNS(t, srv, redistest.URL(), ns, withProtoConfig)
	if err := srv.WaitConnections(ctxT(t), 2); err != nil {
		t.Fatal(err)
	}
	seatMembers(t, r1, protoMembers...)
	// A prototype posted eight days ago with seven days of feedback: due.
	ctx := ctxT(t)
	_, cardTS, err := r1.API().PostMessageContext(ctx, channel, slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}
	spec := engagement.PrototypeSpec{Name: "Old idea", Question: "Well?", Reactions: engagement.DefaultReactions, OpenFor: 7 * 24 * time.Hour}
	p, err := r2.store.CreatePrototype(ctx, r2.community, spec, time.Now().Add(-8*24*time.Hour), channel, cardTS)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the results summary", func() bool { return len(srv.Messages(brandChannel)) > 0 })
	// Let each replica run the job at least twice more after the closing.
	runs := func(ta *testApp) float64 {
		return metricValue(t, ta, "closeknit_job_runs_total", "task=prototypes", "outcome=ok")
	}
	n1, n2 := runs(r1), runs(r2)
	eventually(t, "both replicas running the job again", func() bool { return runs(r1) >= n1+2 && runs(r2) >= n2+2 })

	if got := srv.Messages(brandChannel); len(got) != 1 || !strings.Contains(got[0].Text, "Results of Old idea (P1)") {
		t.Errorf("brand channel got %d messages, want one summary: %+v", len(got), got)
	}
	var card slacktest.Message
	for _, m := range srv.Messages(channel) {
		if m.TS == cardTS {
			card = m
		}
	}
	if card.Updates != 1 || !strings.Contains(string(card.Blocks), "feedback closed") {
		t.Errorf("card updated %d times (want 1), blocks %s", card.Updates, card.Blocks)
	}
	if got := metricValue(t, r1, "closeknit_prototypes_open", "community=acme") + metricValue(t, r2, "closeknit_prototypes_open", "community=acme"); got != 0 {
		t.Errorf("open prototypes metric %v", got)
	}
	// A reaction after closing is kept as late and not counted.
	sendAll(t, srv, []slacktest.Envelope{srv.Event(reactionEv("UALICE0001", "heart_eyes", p.TS, true, time.Now()))})
	res, err := r1.store.PrototypeResultsByID(ctx, r1.community, p.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "closed" || len(res.Summary.Reactions) != 0 || res.LateReactions != 1 {
		t.Errorf("after closing: status %s reactions %v late %d", res.Status, res.Summary.Reactions, res.LateReactions)
	}
	if late := metricValue(t, r1, "closeknit_prototype_feedback_total", "kind=late") + metricValue(t, r2, "closeknit_prototype_feedback_total", "kind=late"); late != 1 {
		t.Errorf("late feedback metric %v", late)
	}

	// An open prototype recorded by one replica: reactions delivered to
	// either replica (the emulator alternates) are all counted, though the
	// other replica's card index was loaded before the card existed.
	_, openTS, err := r2.API().PostMessageContext(ctx, channel, slack.MsgOptionText("card 2", false))
	if err != nil {
		t.Fatal(err)
	}
	open, err := r2.store.CreatePrototype(ctx, r2.community, spec, time.Time{}, channel, openTS)
	if err != nil {
		t.Fatal(err)
	}
	var envs []slacktest.Envelope
	for i := range 20 {
		u := fmt.Sprintf("UMEMBER%04d", i)
		seatMembers(t, r1, u)
		envs = append(envs, srv.Event(reactionEv(u, "+1", openTS, true, time.Now())))
	}
	sendAll(t, srv, envs)
	res, err = r1.store.PrototypeResultsByID(ctx, r1.community, open.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Reactions["+1"] != 20 || res.Summary.Participants != 20 {
		t.Errorf("reactions through two replicas: %v, %d participants; want +1: 20", res.Summary.Reactions, res.Summary.Participants)
	}
	var counted float64
	for _, r := range []*testApp{r1, r2} {
		n := metricValue(t, r, "closeknit_prototype_feedback_total", "kind=reaction")
		if n == 0 {
			t.Errorf("a replica counted no reaction: both should have taken some")
		}
		counted += n
	}
	if counted != 20 {
		t.Errorf("feedback metric over both replicas %v, want 20", counted)
	}
}

func TestPrototypeStaffCommands(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withProtoConfig)
	p := postPrototype(t, srv, ta, "V0CMD00001", validValues(), false)
	sendAll(t, srv, []slacktest.Envelope{srv.Event(reactionEv("UALICE0001", "heart_eyes", p.TS, true, time.Now()))})
	tests := []struct{ user, text, want string }{
		{"U0MEMBER001", "prototype close P1", "for the brand team"},
		{"U0MEMBER001", "prototypes", "for the brand team"},
		{staffUser, "prototype close", "Usage: /closeknit prototype"},
		{staffUser, "prototype close P9", `no prototype "P9"`},
		{staffUser, "prototype extend P1 zero", "DAYS is a whole number"},
		{staffUser, "prototype extend P1 2", "Extended P1 (Cloud Paint 2.0)"},
		{staffUser, "prototype extend P1 30", "at most 30 days"},
		{staffUser, "prototypes", "1 prototypes in acme"},
		{staffUser, "prototype close p1", "Closed P1 (Cloud Paint 2.0)"},
		{staffUser, "prototype close P1", "already closed"},
		{staffUser, "prototype extend P1", "closed already"},
	}
	for _, tt := range tests {
		if got := ackText(t, send(t, srv, slash(srv, tt.user, tt.text))); !strings.Contains(got, tt.want) {
			t.Errorf("%s by %s: %q, want %q", tt.text, tt.user, got, tt.want)
		}
	}
	eventually(t, "the closing announced", func() bool { return len(srv.Messages(brandChannel)) == 1 })
	summary := srv.Messages(brandChannel)[0]
	if !strings.Contains(string(summary.Blocks), ":heart_eyes: 1") {
		t.Errorf("summary blocks %s", summary.Blocks)
	}
	// The listing carries the figures.
	var list struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	json.Unmarshal(send(t, srv, slash(srv, staffUser, "prototypes")), &list)
	if !strings.Contains(string(list.Blocks), "P1 · Cloud Paint 2.0") || !strings.Contains(string(list.Blocks), "1 participants") {
		t.Errorf("prototypes list %s", list.Blocks)
	}
}

func TestPollVotesAndResultsButton(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withProtoConfig)
	v := validValues()
	v["name"], v["options"] = "Next colour", "Blue\nGreen\n\nRed\n"
	p := postPrototype(t, srv, ta, "V0POLL0001", v, true)
	if diff := cmp.Diff([]string{"Blue", "Green", "Red"}, p.Options); diff != "" || !p.HideResults || len(p.Reactions) != 0 {
		t.Fatalf("poll recorded: options (-want +got) %s, hide %v, reactions %v", diff, p.HideResults, p.Reactions)
	}
	card := srv.Messages(channel)[0]
	for _, id := range []string{"proto_vote_1", "proto_vote_2", "proto_vote_3"} {
		if !strings.Contains(string(card.Blocks), id) {
			t.Errorf("card lacks button %s", id)
		}
	}
	ephemeralTo := func(user string) []string {
		var out []string
		for _, m := range srv.Messages(channel) {
			if m.Ephemeral && m.User == user {
				out = append(out, m.Text)
			}
		}
		return out
	}
	send(t, srv, blockAction(srv, "UALICE0001", "proto_vote_1", p.TS))
	send(t, srv, blockAction(srv, "UALICE0001", "proto_vote_2", p.TS))
	send(t, srv, blockAction(srv, "UALICE0001", "proto_vote_2", p.TS))
	send(t, srv, blockAction(srv, "UBOB000001", "proto_vote_2", p.TS))
	send(t, srv, blockAction(srv, staffUser, "proto_vote_3", p.TS))
	eventually(t, "the voters are answered", func() bool { return len(ephemeralTo("UALICE0001")) == 3 && len(ephemeralTo("UBOB000001")) == 1 })
	// Each answer is posted on its own, so they may reach Slack in any order.
	alice := strings.Join(ephemeralTo("UALICE0001"), "\n")
	for _, want := range []string{"You voted for *Blue*. You can change your vote until the poll closes. Results are shared when the poll closes.",
		"Changed your vote from *Blue* to *Green*", "already voted for *Green*"} {
		if !strings.Contains(alice, want) {
			t.Errorf("Alice was not told %q; she was told %q", want, alice)
		}
	}
	r, err := ta.store.PrototypeResultsByID(ctxT(t), ta.community, p.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int64{"Blue": 0, "Green": 2, "Red": 0}, r.Summary.Votes); diff != "" || r.Summary.Participants != 2 {
		t.Errorf("votes (-want +got):\n%s participants %d", diff, r.Summary.Participants)
	}
	// Results: staff get the detail ephemerally, members a polite no.
	send(t, srv, blockAction(srv, staffUser, "proto_results", p.TS))
	send(t, srv, blockAction(srv, "UBOB000001", "proto_results", p.TS))
	var detail *slacktest.Message
	eventually(t, "the results answers", func() bool {
		for _, m := range srv.Messages(channel) {
			if m.Ephemeral && m.User == staffUser && strings.HasPrefix(m.Text, "Results of") {
				detail = &m
			}
		}
		return detail != nil && len(ephemeralTo("UBOB000001")) == 2
	})
	if !strings.Contains(string(detail.Blocks), "Green 2 (100%)") {
		t.Errorf("staff results: %+v", detail)
	}
	if got := strings.Join(ephemeralTo("UBOB000001"), "\n"); !strings.Contains(got, "for the brand team") {
		t.Errorf("member pressing Results was told %q", got)
	}
	if got := metricValue(t, ta, "closeknit_prototype_feedback_total", "community=acme", "kind=vote"); got != 3 {
		t.Errorf("vote metric %v, want 3 (Alice twice, Bob)", got)
	}
	// An interaction nobody routes is acked and counted as ignored.
	send(t, srv, blockAction(srv, "UBOB000001", "somebody_elses_button", p.TS))
	if got := metricValue(t, ta, "closeknit_socket_envelopes_total", "type=interactive", "outcome=ignored"); got != 1 {
		t.Errorf("ignored interactions %v, want 1", got)
	}
	// A malformed one is acked, counted as rejected, and changes nothing.
	send(t, srv, srv.Interaction(map[string]any{"type": "block_actions", "user": map[string]any{"id": "UBOB000001"}, "actions": "proto_vote_1"}))
	if got := metricValue(t, ta, "closeknit_socket_envelopes_total", "type=interactive", "outcome=rejected"); got != 1 {
		t.Errorf("rejected interactions %v, want 1", got)
	}
}
