package slackapp_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// withIdeaThread is withProtoConfig with the idea cards in the thread of a
// pinned "Ideas" post.
func withIdeaThread(cfg *slackapp.Config) {
	withProtoConfig(cfg)
	cfg.Communities[0].Ideas = engagement.IdeasThread
}

// ideaParents are the app's top-level "Ideas" posts in the channel.
func ideaParents(srv *slacktest.Server) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range cards(srv) {
		if m.ThreadTS == "" && strings.Contains(m.Text, "*Ideas*") {
			out = append(out, m)
		}
	}
	return out
}

// postedIdeas submits the idea forms as the given authors at once (their
// cards race for the parent post) and waits until every idea's card is
// recorded; it returns them by title.
func postedIdeas(t *testing.T, srv *slacktest.Server, ta *testApp, forms map[string][2]string) map[string]*engagement.Idea {
	t.Helper()
	var envs []slacktest.Envelope
	for title, f := range forms { // f: author, view ID
		env := ideaSubmission(srv, f[0], f[1], title, "", "acme||")
		if err := srv.SendEnvelope(env); err != nil {
			t.Fatal(err)
		}
		envs = append(envs, env)
	}
	for _, env := range envs {
		if err := srv.WaitAcked(ctxT(t), env.ID); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]*engagement.Idea{}
	eventually(t, "the idea cards are posted and recorded", func() bool {
		list, err := ta.store.Ideas(context.Background(), ta.community)
		for _, i := range list {
			if _, ok := forms[i.Title]; ok && i.Posted() {
				got[i.Title] = i
			}
		}
		return err == nil && len(got) == len(forms)
	})
	return got
}

// message returns the message at ts in the channel.
func messageAt(t *testing.T, srv *slacktest.Server, ts string) slacktest.Message {
	t.Helper()
	for _, m := range srv.Messages(channel) {
		if m.TS == ts {
			return m
		}
	}
	t.Fatalf("no message at %s", ts)
	return slacktest.Message{}
}

// parentRecorded reports whether the store holds an idea thread parent.
func parentRecorded(t *testing.T, ta *testApp) bool {
	n, err := ta.rdb.Exists(context.Background(), ta.ns+":{"+ta.community.ID+"}:i:parent").Result()
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// With ideas: thread, two ideas at once make one parent post, pinned, and
// two cards in its thread; the cards update in place and their links open
// the thread. A deleted parent (message_deleted, or Slack answering
// thread_not_found) is replaced on the next idea.
func TestIdeaThread(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withIdeaThread)
	seatMembers(t, ta, protoMembers...)
	alice, bob, carol := protoMembers[0], protoMembers[1], protoMembers[2]

	ideas := postedIdeas(t, srv, ta, map[string][2]string{
		"A travel size":  {alice, "V0THREAD01"},
		"Refill pouches": {bob, "V0THREAD02"},
	})
	parents := ideaParents(srv)
	if len(parents) != 1 {
		t.Fatalf("%d Ideas posts for two ideas, want 1: %+v", len(parents), parents)
	}
	parent := parents[0]
	if !strings.Contains(parent.Text, "/closeknit idea") || !strings.Contains(parent.Text, "Upvote") {
		t.Errorf("the Ideas post does not say how to suggest and vote: %q", parent.Text)
	}
	if pins := srv.Pins(channel); !slices.Equal(pins, []string{parent.TS}) {
		t.Errorf("pins %v, want the Ideas post %s", pins, parent.TS)
	}
	for title, i := range ideas {
		if m := messageAt(t, srv, i.TS); m.ThreadTS != parent.TS || !strings.Contains(string(m.Blocks), title) {
			t.Errorf("card of %s: thread %q, want %q; blocks %s", i.ID, m.ThreadTS, parent.TS, m.Blocks)
		}
		if want := "/archives/" + channel + "/p" + strings.Replace(i.TS, ".", "", 1) + "?thread_ts=" + parent.TS + "&cid=" + channel; !strings.HasSuffix(i.Link, want) {
			t.Errorf("link of %s: %q, want it to end %q", i.ID, i.Link, want)
		}
	}
	waitTold(t, srv, alice, "in the pinned Ideas thread")
	// Card updates address the card itself: they work as in the channel.
	travel := ideas["A travel size"]
	send(t, srv, press(srv, carol, "idea_upvote", travel.TS, travel.ID, false))
	eventually(t, "the card in the thread shows 1 vote", func() bool { return strings.Contains(cardText(srv, travel.TS), "· 1 vote") })
	// The answers to presses on a card in the thread show in the thread.
	send(t, srv, press(srv, carol, "idea_status", travel.TS, travel.ID+"|planned", true))
	var answers []slacktest.Message
	eventually(t, "carol's vote and status press are answered", func() bool {
		answers = answers[:0]
		for _, m := range srv.Messages(channel) {
			if m.Ephemeral && m.User == carol {
				answers = append(answers, m)
			}
		}
		return len(answers) == 2
	})
	for _, m := range answers {
		if m.ThreadTS != parent.TS {
			t.Errorf("answer %q to a press in the thread shows in thread %q, want %q", m.Text, m.ThreadTS, parent.TS)
		}
	}
	// The Home links into the thread.
	if home := openHome(t, srv, staffUser); !strings.Contains(home, "thread_ts="+parent.TS) {
		t.Errorf("the staff Home does not link the cards in their thread:\n%s", home)
	}

	// Someone deletes the Ideas post: the next idea starts a new thread.
	send(t, srv, srv.Event(map[string]any{
		"type": "message", "subtype": "message_deleted", "hidden": true, "channel": channel, "channel_type": "channel",
		"ts": srv.NewTS(), "event_ts": srv.NewTS(), "deleted_ts": parent.TS,
		"previous_message": map[string]any{"type": "message", "ts": parent.TS, "user": srv.BotUserID, "text": parent.Text},
	}))
	eventually(t, "the deleted parent is forgotten", func() bool { return !parentRecorded(t, ta) })
	third := postedIdeas(t, srv, ta, map[string][2]string{"Glass bottles": {carol, "V0THREAD03"}})["Glass bottles"]
	parents = ideaParents(srv)
	if len(parents) != 2 {
		t.Fatalf("%d Ideas posts after the first was deleted, want 2", len(parents))
	}
	second := parents[1]
	if m := messageAt(t, srv, third.TS); m.ThreadTS != second.TS {
		t.Errorf("the card after the deletion is in thread %q, want the new %q", m.ThreadTS, second.TS)
	}
	if pins := srv.Pins(channel); !slices.Equal(pins, []string{parent.TS, second.TS}) {
		t.Errorf("pins %v, want both Ideas posts", pins)
	}

	// Slack no longer finds the thread (deleted without an event reaching
	// closeknit): that card goes under a new parent, posted once.
	srv.Configure(func(s *slacktest.Server) {
		s.MethodError = func(method string, form url.Values) string {
			if method == "chat.postMessage" && form.Get("thread_ts") == second.TS {
				return "thread_not_found"
			}
			return ""
		}
	})
	fourth := postedIdeas(t, srv, ta, map[string][2]string{"Unscented": {bob, "V0THREAD04"}})["Unscented"]
	parents = ideaParents(srv)
	if len(parents) != 3 {
		t.Fatalf("%d Ideas posts after thread_not_found, want 3", len(parents))
	}
	if m := messageAt(t, srv, fourth.TS); m.ThreadTS != parents[2].TS {
		t.Errorf("the card after thread_not_found is in thread %q, want %q", m.ThreadTS, parents[2].TS)
	}
	if n := len(cards(srv)); n != 3+4 {
		t.Errorf("%d messages in the channel, want 3 Ideas posts and 4 cards", n)
	}
}

// A parent post Slack refuses (the app is not in the channel) loses no
// idea: the author is told to submit again, the claims are released, and
// the same form once the app is back posts the parent and the card, once.
// A pin Slack refuses leaves the thread working.
func TestIdeaThreadRefused(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	srv.SetChannel(slacktest.Channel{ID: channel, Name: "insiders", BotNotMember: true})
	srv.Configure(func(s *slacktest.Server) {
		s.MethodError = func(method string, _ url.Values) string {
			if method == "pins.add" {
				return "missing_scope" // an install from before pins:write
			}
			return ""
		}
	})
	ta := MustRunApp(t, srv, withIdeaThread)
	seatMembers(t, ta, protoMembers...)
	alice := protoMembers[0]

	send(t, srv, ideaSubmission(srv, alice, "V0REFUSE01", "A travel size", "", "acme||"))
	waitTold(t, srv, alice, "please submit it again")
	if n := len(cards(srv)); n != 0 {
		t.Fatalf("%d messages in a channel the app is not in", n)
	}
	list, err := ta.store.Ideas(ctxT(t), ta.community)
	if err != nil || len(list) != 1 || list[0].Posted() || list[0].TS != "" {
		t.Fatalf("the idea after a refused parent: %+v, %v; want it kept, its card claim released", list, err)
	}
	if parentRecorded(t, ta) {
		t.Error("a refused parent post was recorded")
	}

	// The app is invited; the author submits the same form again.
	srv.SetChannel(slacktest.Channel{ID: channel, Name: "insiders"})
	send(t, srv, ideaSubmission(srv, alice, "V0REFUSE01", "A travel size", "", "acme||"))
	waitTold(t, srv, alice, "Posted your idea "+list[0].ID)
	i, err := ta.store.Idea(ctxT(t), ta.community, list[0].ID)
	if err != nil || !i.Posted() {
		t.Fatalf("idea after the retry: %+v, %v", i, err)
	}
	parents := ideaParents(srv)
	if len(parents) != 1 || len(cards(srv)) != 2 {
		t.Fatalf("%d Ideas posts and %d messages, want 1 and 2 (the parent, the card)", len(parents), len(cards(srv)))
	}
	if m := messageAt(t, srv, i.TS); m.ThreadTS != parents[0].TS {
		t.Errorf("the card is in thread %q, want %q", m.ThreadTS, parents[0].TS)
	}
	if pins := srv.Pins(channel); len(pins) != 0 {
		t.Errorf("pins %v although pins.add was refused", pins)
	}
	if v := metricValue(t, ta, "closeknit_slack_refusals_total", "community=acme", "method=idea.pin", "error=missing_scope"); v != 1 {
		t.Errorf("refusals{method=idea.pin} = %v, want 1", v)
	}
}
