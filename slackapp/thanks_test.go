package slackapp_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

var triggerSeq atomic.Int64

// thanksCommand is /closeknit TEXT as user with a trigger_id of its own, as
// every invocation has in Slack (a redelivery repeats it).
func thanksCommand(srv *slacktest.Server, user, text string) slacktest.Envelope {
	return srv.SlashCommand(map[string]any{
		"token": "x", "team_id": srv.TeamID, "channel_id": channel, "user_id": user,
		"command": "/closeknit", "text": text, "trigger_id": "1334.7384." + user + "." + strconv.FormatInt(triggerSeq.Add(1), 10),
		"response_url": "https://hooks.slack.com/commands/x",
	})
}

// withThanks seats nobody but configures the community for thanks tests:
// a brand channel, a second staff member, quick scheduler ticks, no digest.
func withThanks(mod func(c *engagement.Community)) func(*slackapp.Config) {
	return func(cfg *slackapp.Config) {
		withProtoConfig(cfg)
		c := cfg.Communities[0]
		c.Staff = append(c.Staff, staffUser2)
		if mod != nil {
			mod(c)
		}
	}
}

// thankYous are the app's thank-you posts in the channel.
func thankYous(srv *slacktest.Server) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range srv.Messages(channel) {
		if !m.Ephemeral && strings.HasPrefix(m.Text, ":raised_hands:") {
			out = append(out, m)
		}
	}
	return out
}

func thanked(t *testing.T, ta *testApp) map[string]int64 {
	t.Helper()
	a, err := ta.store.Appreciation(ctxT(t), ta.community, ta.store.RecentWeeks(ta.community), 10)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, k := range a.MostThanked {
		out[k.User] = k.Thanks
	}
	return out
}

// One thanks per giver, receiver and day counts and is posted once,
// whatever Slack redelivers; self-thanks, staff thanking staff, and people
// without a seat are told why and nothing is posted.
func TestThanksCommandLimits(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withThanks(nil))
	alice, bob, carol := protoMembers[0], protoMembers[1], protoMembers[2]
	seatMembers(t, ta, alice, bob, carol)

	first := thanksCommand(srv, alice, "thanks <@"+bob+"|bob> for the  tip on\nthe refill")
	if text := ackText(t, send(t, srv, first)); !strings.Contains(text, "goes up in") {
		t.Errorf("first thanks answered %q", text)
	}
	eventually(t, "the thank-you is posted", func() bool { return len(thankYous(srv)) == 1 })
	if got := thankYous(srv)[0].Text; got != ":raised_hands: <@"+alice+"> thanks <@"+bob+">: for the tip on the refill" {
		t.Errorf("thank-you %q", got)
	}
	// Slack delivers the same command again: answered, not posted again.
	if text := ackText(t, send(t, srv, redelivery(srv, first))); !strings.Contains(text, "on its way") {
		t.Errorf("redelivered command answered %q", text)
	}
	for _, tc := range []struct{ user, text, want string }{
		{alice, "thanks <@" + bob + ">", "already thanked"},
		{alice, "thanks <@" + alice + ">", "does not count"},
		{staffUser, "thanks <@" + staffUser2 + ">", "brand team do not count"},
		{"UNOSEAT001", "thanks <@" + alice + ">", "you need a seat"},
		{alice, "thanks <@UNOSEAT001>", "is not a member"},
		{alice, "thanks bob", "mention them with @"},
		{alice, "thanks", "Usage"},
	} {
		if text := ackText(t, send(t, srv, thanksCommand(srv, tc.user, tc.text))); !strings.Contains(text, tc.want) {
			t.Errorf("%s: /closeknit %s answered %q, want %q", tc.user, tc.text, text, tc.want)
		}
	}
	// Another giver counts; a mass mention in the reason notifies nobody.
	send(t, srv, thanksCommand(srv, carol, "thanks <@"+bob+"> <!channel> look at this"))
	send(t, srv, thanksCommand(srv, staffUser, "thanks <@"+alice+">"))
	eventually(t, "three thank-yous", func() bool { return len(thankYous(srv)) == 3 })
	for _, m := range thankYous(srv) {
		if strings.Contains(m.Text, "<!") {
			t.Errorf("a thank-you carries a mass mention: %q", m.Text)
		}
	}
	if diff := thanked(t, ta); diff[bob] != 2 || diff[alice] != 1 || len(diff) != 2 {
		t.Errorf("thanked %v, want bob 2, alice 1", diff)
	}
	if got := metricValue(t, ta, "closeknit_thanks_total", "community=acme", "via=command"); got != 3 {
		t.Errorf("closeknit_thanks_total{via=command} = %v, want 3", got)
	}
	if n := len(thankYous(srv)); n != 3 {
		t.Errorf("%d thank-yous, want 3", n)
	}

	// Forgotten, bob's thanks are gone.
	env, _ := sendCommand(t, srv, channel, bob, "forget")
	laterReply(t, srv, env)
	if got := thanked(t, ta); got[bob] != 0 || got[alice] != 1 {
		t.Errorf("after bob's forget: %v", got)
	}
}

// The thanks reaction on a member's post counts once, redelivered or not,
// and stays counted when removed; other reactions do not count. In DM mode
// the command's thank-you reaches the receiver alone.
func TestThanksReactionAndDM(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withThanks(func(c *engagement.Community) { c.Thanks = engagement.ThanksDM }))
	alice, bob, carol := protoMembers[0], protoMembers[1], protoMembers[2]
	seatMembers(t, ta, alice, bob, carol)
	post := time.Now().Add(-time.Hour)
	rx := func(typ, user, emoji, itemUser string, at time.Time) slacktest.Envelope {
		return srv.Event(map[string]any{"type": typ, "user": user, "reaction": emoji, "item_user": itemUser,
			"item": map[string]any{"type": "message", "channel": channel, "ts": tsOf(post)}, "event_ts": tsOf(at)})
	}
	now := time.Now()
	hands := rx("reaction_added", alice, "raised_hands::skin-tone-4", bob, now)
	sendAll(t, srv, []slacktest.Envelope{hands, redelivery(srv, hands),
		rx("reaction_added", carol, "heart", bob, now), // not the thanks reaction
		rx("reaction_added", bob, "raised_hands", bob, now),
	})
	sendAll(t, srv, []slacktest.Envelope{rx("reaction_removed", alice, "raised_hands::skin-tone-4", bob, now.Add(time.Second))})
	sendAll(t, srv, []slacktest.Envelope{rx("reaction_added", alice, "raised_hands", bob, now.Add(2*time.Second))})
	if got := thanked(t, ta); got[bob] != 1 || len(got) != 1 {
		t.Errorf("thanked %v, want bob once: a removal keeps it, a re-add the same day adds nothing", got)
	}
	if got := metricValue(t, ta, "closeknit_thanks_total", "community=acme", "via=reaction"); got != 1 {
		t.Errorf("closeknit_thanks_total{via=reaction} = %v, want 1", got)
	}
	// DM mode: carol hears, the channel does not.
	if text := ackText(t, send(t, srv, thanksCommand(srv, alice, "thanks <@"+carol+"> for the photos"))); !strings.Contains(text, "privately") {
		t.Errorf("DM-mode thanks answered %q", text)
	}
	waitTold(t, srv, carol, "<@"+alice+"> thanks you: for the photos")
	if n := len(thankYous(srv)); n != 0 {
		t.Errorf("%d thank-yous in the channel in DM mode", n)
	}
	if got := thanked(t, ta); got[carol] != 1 {
		t.Errorf("thanked %v, want carol once", got)
	}
}

// spotlightPress is a press of a candidate's Spotlight button on the Home.
func spotlightPress(srv *slacktest.Server, user, value string) slacktest.Envelope {
	return srv.Interaction(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user}, "api_app_id": srv.AppID, "trigger_id": "1.2.3",
		"team":      map[string]any{"id": srv.TeamID},
		"container": map[string]any{"type": "view", "view_id": "V0HOME0001"},
		"view":      map[string]any{"id": "V0HOME0001", "type": "home"},
		"actions": []any{map[string]any{"action_id": "thanks_spotlight", "block_id": "b1", "type": "button", "value": value,
			"action_ts": "1.1"}},
	})
}

func countContaining(texts []string, want string) int {
	n := 0
	for _, s := range texts {
		if strings.Contains(s, want) {
			n++
		}
	}
	return n
}

func spotlights(srv *slacktest.Server) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range srv.Messages(channel) {
		if strings.Contains(m.Args.Get("metadata"), "closeknit_spotlight") {
			out = append(out, m)
		}
	}
	return out
}

// The digest and the staff Home list the candidates (thanked, first to
// answer); a staff click posts the spotlight once a month, however many
// clicks; a member's click is refused politely.
func TestSpotlightOncePerMonth(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withThanks(nil))
	alice, bob, carol := protoMembers[0], protoMembers[1], protoMembers[2]
	seatMembers(t, ta, alice, bob, carol)
	send(t, srv, thanksCommand(srv, alice, "thanks <@"+bob+">"))
	send(t, srv, thanksCommand(srv, carol, "thanks <@"+bob+">"))
	// carol answers alice's question first, bob second.
	q := time.Now().Add(-2 * time.Hour)
	sendAll(t, srv, []slacktest.Envelope{srv.Event(message(alice, q, ""))})
	sendAll(t, srv, []slacktest.Envelope{
		srv.Event(message(bob, q.Add(10*time.Minute), tsOf(q))),
		srv.Event(message(carol, q.Add(5*time.Minute), tsOf(q))),
	})
	k, err := ta.store.KPIs(ctxT(t), ta.community, engagement.WeekOf(q, time.UTC), engagement.KPIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(k.MostThanked) != 1 || k.MostThanked[0] != (engagement.Candidate{User: bob, Thanks: 2}) ||
		len(k.Helpers) != 1 || k.Helpers[0] != (engagement.Candidate{User: carol, FirstAnswers: 1}) || k.Thanks != 2 {
		t.Errorf("digest candidates: thanks %d, %+v, %+v", k.Thanks, k.MostThanked, k.Helpers)
	}

	home := func(user string) string {
		n := len(srv.Calls("views.publish"))
		sendAll(t, srv, []slacktest.Envelope{srv.Event(map[string]any{"type": "app_home_opened", "user": user, "channel": "D0HOME0001", "tab": "home", "event_ts": tsOf(time.Now())})})
		calls, err := srv.WaitCall(ctxT(t), "views.publish", n+1)
		if err != nil {
			t.Fatal(err)
		}
		return calls[n].Args.Get("view")
	}
	view := home(staffUser)
	for _, want := range []string{"Spotlight of", `"action_id":"thanks_spotlight"`, "acme|" + bob + "|2|0", "acme|" + carol + "|0|1",
		"first to answer 1 post", "2 thanks"} {
		if !strings.Contains(view, want) {
			t.Errorf("staff Home lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(home(alice), "thanks_spotlight") {
		t.Errorf("a member's Home offers the spotlight")
	}

	// A member presses (a crafted payload): refused, nothing posted.
	// (The emulator gives every interaction a response_url, where the
	// answers go; Slack gives none on the Home tab, and they come by DM.)
	press := func(user, value string) slacktest.Envelope {
		env := spotlightPress(srv, user, value)
		send(t, srv, env)
		return env
	}
	if text := laterReply(t, srv, press(alice, "acme|"+bob+"|2|0")); !strings.Contains(text, "up to the brand team") {
		t.Errorf("a member's press answered %q", text)
	}
	// Staff double-click, and a second staff member picks someone else.
	clicks := []slacktest.Envelope{press(staffUser, "acme|"+bob+"|2|0"), press(staffUser, "acme|"+bob+"|2|0"), press(staffUser2, "acme|"+carol+"|0|1")}
	eventually(t, "the spotlight is posted", func() bool { return len(spotlights(srv)) == 1 })
	var answers []string
	for _, env := range clicks {
		answers = append(answers, laterReply(t, srv, env))
	}
	if up, once := countContaining(answers, "is up in"), countContaining(answers, "one a month"); up != 1 || once != 2 {
		t.Errorf("answers to three staff clicks: %q, want one posted and two told it is one a month", answers)
	}
	if sp := spotlights(srv); len(sp) != 1 || !strings.Contains(sp[0].Text, "<@"+bob+">") || !strings.Contains(sp[0].Text, "2 thanks") {
		t.Errorf("spotlights %+v, want one, on bob", sp)
	}
	if view := home(staffUser2); !strings.Contains(view, `picked by \u003c@`+staffUser) || strings.Contains(view, "thanks_spotlight") {
		t.Errorf("staff Home after the spotlight:\n%s", view)
	}
	sp, err := ta.store.SpotlightOf(context.Background(), ta.community, engagement.SpotlightMonth(time.Now(), ta.community))
	if err != nil || sp.State != engagement.SpotlightSent || sp.User != bob || sp.TS != spotlights(srv)[0].TS {
		t.Errorf("spotlight record %+v, %v", sp, err)
	}
}
