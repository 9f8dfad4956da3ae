package slackapp_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// ideaSubmission is a view_submission of the idea form.
func ideaSubmission(srv *slacktest.Server, user, viewID, title, details, metadata string) slacktest.Envelope {
	field := func(name, v string) map[string]any {
		return map[string]any{name: map[string]any{"type": "plain_text_input", "value": v}}
	}
	return srv.Interaction(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": srv.TeamID}, "user": map[string]any{"id": user, "team_id": srv.TeamID},
		"api_app_id": srv.AppID, "trigger_id": "1.2.3",
		"view": map[string]any{"id": viewID, "type": "modal", "callback_id": "idea_new", "private_metadata": metadata,
			"state": map[string]any{"values": map[string]any{"title": field("title", title), "details": field("details", details)}}},
	})
}

// press is a button (or overflow option) pressed on the message at ts.
func press(srv *slacktest.Server, user, actionID, ts, value string, overflow bool) slacktest.Envelope {
	action := map[string]any{"action_id": actionID, "block_id": "idea_actions", "type": "button", "value": value, "action_ts": "1.1"}
	if overflow {
		action = map[string]any{"action_id": actionID, "block_id": "idea_actions", "type": "overflow", "action_ts": "1.1",
			"selected_option": map[string]any{"value": value, "text": map[string]any{"type": "plain_text", "text": value}}}
	}
	// As Slack does, a press on a reply in a thread carries the thread.
	container := map[string]any{"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false}
	message := map[string]any{"type": "message", "ts": ts, "user": srv.BotUserID}
	for _, m := range srv.Messages(channel) {
		if m.TS == ts && m.ThreadTS != "" {
			container["thread_ts"], message["thread_ts"] = m.ThreadTS, m.ThreadTS
		}
	}
	return srv.Interaction(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user}, "api_app_id": srv.AppID, "trigger_id": "1.2.3",
		"team":      map[string]any{"id": srv.TeamID},
		"container": container,
		"channel":   map[string]any{"id": channel},
		"message":   message,
		"actions":   []any{action},
	})
}

// postIdea submits the form as author and waits for the card.
func postIdea(t *testing.T, srv *slacktest.Server, ta *testApp, author, viewID, title string) *engagement.Idea {
	t.Helper()
	before := len(cards(srv))
	if p := send(t, srv, ideaSubmission(srv, author, viewID, title, "Smaller, for travel", "acme||")); len(p) != 0 && string(p) != "null" {
		t.Fatalf("valid idea acked with %s, want a bare ack (the modal closes)", p)
	}
	var i *engagement.Idea
	eventually(t, "the idea card is posted and recorded", func() bool {
		if len(cards(srv)) != before+1 {
			return false
		}
		list, err := ta.store.Ideas(context.Background(), ta.community)
		for _, got := range list {
			if got.Title == title && got.Posted() {
				i = got
			}
		}
		return err == nil && i != nil
	})
	return i
}

// cardText is the blocks of the card at ts, as last posted or updated.
func cardText(srv *slacktest.Server, ts string) string {
	for _, m := range srv.Messages(channel) {
		if m.TS == ts {
			return string(m.Blocks)
		}
	}
	return ""
}

func TestIdeaBoardVotes(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withProtoConfig)
	seatMembers(t, ta, protoMembers...)
	alice, bob, carol := protoMembers[0], protoMembers[1], protoMembers[2]

	// The command opens the form for anyone.
	send(t, srv, slash(srv, alice, "idea"))
	if opens := srv.Calls("views.open"); len(opens) != 1 || !strings.Contains(opens[0].Args.Get("view"), `"callback_id":"idea_new"`) {
		t.Fatalf("views.open calls: %+v", opens)
	}
	// Someone without a seat cannot post; an empty title comes back too.
	var resp struct {
		Errors map[string]string `json:"errors"`
	}
	mustJSON(t, send(t, srv, ideaSubmission(srv, "UNOSEAT001", "V0IDEA0000", "Refills", "", "acme||")), &resp)
	if !strings.Contains(resp.Errors["title"], "seat") {
		t.Errorf("a submission without a seat: %+v", resp)
	}
	mustJSON(t, send(t, srv, ideaSubmission(srv, alice, "V0IDEA0009", " ", "", "acme||")), &resp)
	if resp.Errors["title"] == "" {
		t.Errorf("an empty title: %+v", resp)
	}

	i := postIdea(t, srv, ta, alice, "V0IDEA0001", "A travel size")
	waitTold(t, srv, alice, "Posted your idea "+i.ID)
	// By default (ideas: channel) the card is a post in the channel: no
	// Ideas post, no thread, nothing pinned, a plain link.
	if all := cards(srv); len(all) != 1 || all[0].ThreadTS != "" || len(srv.Pins(channel)) != 0 || strings.Contains(i.Link, "thread_ts") {
		t.Errorf("default ideas place: messages %+v, pins %v, link %q; want one top-level card", all, srv.Pins(channel), i.Link)
	}
	// The same view submitted again (a retry, another replica) posts nothing more.
	send(t, srv, ideaSubmission(srv, alice, "V0IDEA0001", "A travel size", "", "acme||"))
	if n := len(cards(srv)); n != 1 {
		t.Errorf("%d cards after a repeated submission, want 1", n)
	}

	// Bob presses Upvote twice (a double click): one vote, one answer
	// with a way back.
	send(t, srv, press(srv, bob, "idea_upvote", i.TS, i.ID, false))
	send(t, srv, press(srv, bob, "idea_upvote", i.TS, i.ID, false))
	send(t, srv, press(srv, carol, "idea_upvote", i.TS, i.ID, false))
	// Someone without a seat is told, privately; nothing changes.
	send(t, srv, press(srv, "UNOSEAT001", "idea_upvote", i.TS, i.ID, false))
	eventually(t, "the stranger is told their vote did not count", func() bool {
		for _, m := range srv.Messages(channel) {
			if m.Ephemeral && m.User == "UNOSEAT001" && strings.Contains(m.Text, "not counted") {
				return true
			}
		}
		return false
	})
	got, err := ta.store.Idea(ctxT(t), ta.community, i.ID)
	if err != nil || got.Votes != 2 {
		t.Fatalf("idea after votes: %+v, %v; want 2 votes", got, err)
	}
	eventually(t, "the card shows 2 votes", func() bool { return strings.Contains(cardText(srv, i.TS), "· 2 votes") })
	// Bob takes his vote back from the answer's button.
	send(t, srv, press(srv, bob, "idea_unvote", i.TS, i.ID, false))
	eventually(t, "the card shows 1 vote", func() bool { return strings.Contains(cardText(srv, i.TS), "· 1 vote") })
	if got := metricValue(t, ta, "closeknit_idea_votes_total"); got != 2 {
		t.Errorf("closeknit_idea_votes_total = %v, want 2 (a repeated or refused vote does not count)", got)
	}
	// /closeknit ideas lists it for everyone.
	if text := ackText(t, send(t, srv, slash(srv, carol, "ideas"))); !strings.Contains(text, "A travel size") || !strings.Contains(text, "1 vote") {
		t.Errorf("/closeknit ideas: %q", text)
	}
}

func TestIdeaStatusMergeAndOptOut(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withProtoConfig)
	seatMembers(t, ta, protoMembers...)
	alice, bob, carol := protoMembers[0], protoMembers[1], protoMembers[2]
	kept := postIdea(t, srv, ta, alice, "V0IDEA0001", "Unscented")
	dup := postIdea(t, srv, ta, bob, "V0IDEA0002", "Fragrance free")
	send(t, srv, press(srv, carol, "idea_upvote", kept.TS, kept.ID, false))
	send(t, srv, press(srv, carol, "idea_upvote", dup.TS, dup.ID, false))
	send(t, srv, press(srv, alice, "idea_upvote", dup.TS, dup.ID, false))

	// Staff set a status: the card says so and the author is told, once.
	if text := ackText(t, send(t, srv, slash(srv, staffUser, "idea status "+kept.ID+" under review looking at suppliers"))); !strings.Contains(text, "under review") {
		t.Errorf("status command: %q", text)
	}
	waitTold(t, srv, alice, "is now *under review*: looking at suppliers")
	send(t, srv, slash(srv, staffUser, "idea status "+kept.ID+" under review looking at suppliers"))
	// The card's menu: a member is refused; staff set planned.
	send(t, srv, press(srv, bob, "idea_status", kept.TS, kept.ID+"|declined", true))
	send(t, srv, press(srv, staffUser, "idea_status", kept.TS, kept.ID+"|planned", true))
	waitTold(t, srv, alice, "is now *planned*")
	dms := 0
	for _, m := range srv.Messages(alice) {
		if strings.Contains(m.Text, "is now") {
			dms++
		}
	}
	if dms != 2 {
		t.Errorf("alice got %d status DMs, want 2 (under review once, then planned)", dms)
	}
	if text := ackText(t, send(t, srv, slash(srv, bob, "idea status "+kept.ID+" shipped"))); !strings.Contains(text, "brand team") {
		t.Errorf("a member setting a status: %q", text)
	}

	// Merge: carol voted for both and counts once.
	if text := ackText(t, send(t, srv, slash(srv, staffUser, "idea merge "+dup.ID+" "+kept.ID))); !strings.Contains(text, "Merged") {
		t.Errorf("merge command: %q", text)
	}
	got, _ := ta.store.Idea(ctxT(t), ta.community, kept.ID)
	if got.Votes != 2 || got.Status != engagement.IdeaPlanned {
		t.Errorf("kept idea after the merge: %d votes, %s; want 2, planned", got.Votes, got.Status)
	}
	eventually(t, "the duplicate's card says where it went", func() bool {
		return strings.Contains(cardText(srv, dup.TS), "Merged into "+kept.ID)
	})

	// An opted-out author is "a member" on the card.
	if err := ta.store.SetOptOut(ctxT(t), ta.community, alice, true); err != nil {
		t.Fatal(err)
	}
	send(t, srv, slash(srv, staffUser, "idea status "+kept.ID+" shipped"))
	eventually(t, "the card no longer names the opted-out author", func() bool {
		c := cardText(srv, kept.TS)
		return strings.Contains(c, "shipped") && strings.Contains(c, "suggested by a member") && !strings.Contains(c, alice)
	})
}

func TestMakeThisAnIdeaShortcut(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	MustRunApp(t, srv, withProtoConfig)
	send(t, srv, srv.Interaction(map[string]any{
		"type": "message_action", "callback_id": "make_idea", "trigger_id": "9.9.9",
		"user": map[string]any{"id": protoMembers[0]}, "team": map[string]any{"id": srv.TeamID},
		"channel": map[string]any{"id": channel}, "message_ts": "1700000000.000100",
		"message": map[string]any{"type": "message", "ts": "1700000000.000100", "text": "Could you make a refill pouch?"},
	}))
	opens := srv.Calls("views.open")
	if len(opens) != 1 {
		t.Fatalf("views.open calls: %d", len(opens))
	}
	view := opens[0].Args.Get("view")
	if !strings.Contains(view, "Could you make a refill pouch?") || !strings.Contains(view, "acme|"+channel+"|1700000000.000100") {
		t.Errorf("the shortcut's form: %s", view)
	}
}

func mustJSON(t *testing.T, payload []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(payload, v); err != nil {
		t.Fatalf("payload %q: %v", payload, err)
	}
}

// TestIdeaVoteWhileTheCardIsPosted: Slack shows a card before it answers
// the chat.postMessage that posts it, so a member can vote before the app
// knows the card's ts. The card still comes to show the vote.
func TestIdeaVoteWhileTheCardIsPosted(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	slowPosts(srv, "idea_upvote")
	ta := MustRunApp(t, srv, withProtoConfig)
	seatMembers(t, ta, protoMembers...)
	alice, bob := protoMembers[0], protoMembers[1]
	send(t, srv, ideaSubmission(srv, alice, "V0IDEA0001", "A travel size", "", "acme||"))
	card := cardWith(t, srv, "idea_upvote") // up, its post not answered yet
	all, err := ta.store.Ideas(ctxT(t), ta.community)
	if err != nil || len(all) != 1 || all[0].Posted() {
		t.Fatalf("ideas while the card is posted: %+v, %v; want one, its card not recorded yet", all, err)
	}
	send(t, srv, press(srv, bob, "idea_upvote", card.TS, all[0].ID, false))
	waitTold(t, srv, alice, "Posted your idea "+all[0].ID)
	eventually(t, "the card shows the vote", func() bool { return strings.Contains(cardText(srv, card.TS), "· 1 vote") })
}

// TestIdeaCardSlackTroubleIsPostedByTheJob: Slack answers the card's post
// with trouble of its own (internal_error), and again at the job's first
// try. The author is told once that it will be tried again; the ideas job
// leaves the claim alone while it is fresh, and posts the card, once, when
// it is stale.
func TestIdeaCardSlackTroubleIsPostedByTheJob(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	troubleFirst(srv, "idea_upvote", 2)
	ta := MustRunApp(t, srv, withProtoConfig)
	seatMembers(t, ta, protoMembers...)
	alice := protoMembers[0]
	send(t, srv, ideaSubmission(srv, alice, "V0IDEA0001", "A travel size", "", "acme||"))
	const retold = "I will post it again in a few minutes"
	waitTold(t, srv, alice, retold)
	ctx := ctxT(t)
	if err := ta.RunJob(ctx, "ideas"); err != nil {
		t.Fatal(err)
	}
	if n := len(cards(srv)); n != 0 {
		t.Fatalf("%d cards posted under a fresh claim, want 0", n)
	}
	for try := range 2 { // Slack's trouble again, then the card
		ta.later(6 * time.Minute)
		if err := ta.RunJob(ctx, "ideas"); err != nil {
			t.Fatal(err)
		}
		if n := len(cards(srv)); n != try {
			t.Fatalf("after the job's try %d: %d cards, want %d", try+1, n, try)
		}
	}
	if err := ta.RunJob(ctx, "ideas"); err != nil { // finds the card up
		t.Fatal(err)
	}
	all, err := ta.store.Ideas(ctx, ta.community)
	if err != nil || len(all) != 1 || !all[0].Posted() {
		t.Fatalf("ideas after the job: %+v, %v; want one, its card up", all, err)
	}
	if n := len(cards(srv)); n != 1 {
		t.Errorf("%d cards, want 1", n)
	}
	waitTold(t, srv, alice, "Posted your idea "+all[0].ID)
	if n := countMessages(srv, alice, retold); n != 1 {
		t.Errorf("alice was told %d times that the card will be tried again, want once", n)
	}
}
