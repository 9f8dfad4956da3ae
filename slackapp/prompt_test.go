package slackapp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/slack-go/slack"
)

// wednesdayLA is Wednesday 25 Nov 2026 12:30 in Los Angeles: the W48
// prompt (Wed 12:00) is due.
var wednesdayLA = time.Date(2026, 11, 25, 20, 30, 0, 0, time.UTC)

func promptPosts(srv *slacktest.Server) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range srv.Messages(channel) {
		if strings.Contains(m.Args.Get("metadata"), "closeknit_prompt") {
			out = append(out, m)
		}
	}
	return out
}

func digestOff(cfg *slackapp.Config) { cfg.DigestAt = "off" }

// Two replicas and a restart post the week's prompt once, the head of
// the queue, and the queue loses exactly that one.
func TestPromptOnceAcrossTwoReplicasAndRestart(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	env := newDigestEnv(t, wednesdayLA)
	c := env.community(t, "America/Los_Angeles")
	c.PromptAt = "Wed 12:00"
	ctx := context.Background()
	for _, q := range []string{"What are you making this week?", "Which colour should we do next?"} {
		if _, err := env.store().AddPrompt(ctx, c, q); err != nil {
			t.Fatal(err)
		}
	}
	r1 := env.start(t, srv, c, digestOff)
	r2 := env.start(t, srv, c, digestOff)
	waitTaskRuns(t, "prompt", 3, r1, r2)
	posts := promptPosts(srv)
	if len(posts) != 1 || !strings.Contains(string(posts[0].Blocks), "What are you making this week?") {
		t.Fatalf("prompts posted by two replicas: %+v, want the first one, once", posts)
	}
	r1.stop(t)
	r2.stop(t)
	r3 := env.start(t, srv, c, digestOff)
	waitTaskRuns(t, "prompt", 3, r3)
	if n := len(promptPosts(srv)); n != 1 {
		t.Errorf("after a restart: %d prompts, want 1", n)
	}
	if q, err := env.store().PromptQueue(ctx, c); err != nil || len(q) != 1 || q[0] != "Which colour should we do next?" {
		t.Errorf("queue after the slot: %q, %v", q, err)
	}
	st, err := env.store().PromptSlotStatus(ctx, c, engagement.Week{Year: 2026, Num: 48})
	if err != nil || st.State != engagement.PromptSent || st.TS != posts[0].TS {
		t.Errorf("slot %+v, %v", st, err)
	}
	// A member's reply in its thread (delivered twice) and a staff reply
	// are tallied for the digest: one reply, one member.
	reply := srv.Event(message("U0MEMBER001", wednesdayLA.Add(5*time.Minute), posts[0].TS))
	sendAll(t, srv, []slacktest.Envelope{reply, redelivery(srv, reply), srv.Event(message("U0STAFF0001", wednesdayLA.Add(6*time.Minute), posts[0].TS))})
	k, err := env.store().KPIs(ctx, c, engagement.Week{Year: 2026, Num: 48}, engagement.KPIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p := k.Prompt; p == nil || p.Text != "What are you making this week?" || p.Replies != 1 || p.Participants != 1 {
		t.Errorf("the week's prompt in the KPIs: %+v", p)
	}
}

// A crash between chat.postMessage and recording the post: the next run
// finds the prompt in the channel by its metadata and does not post again.
func TestPromptRestartMidSend(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	srv.AddChannels(channel)
	env := newDigestEnv(t, wednesdayLA)
	c := env.community(t, "America/Los_Angeles")
	c.PromptAt = "Wed 12:00"
	ctx := context.Background()
	w := engagement.Week{Year: 2026, Num: 48}
	if _, err := env.store().AddPrompt(ctx, c, "Show us your desk"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.store().ClaimPromptSlot(ctx, c, w); err != nil {
		t.Fatal(err)
	}
	api := slack.New(srv.BotToken, slack.OptionAPIURL(srv.APIURL()))
	_, ts, err := api.PostMessage(channel, slack.MsgOptionText("Show us your desk", false),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "closeknit_prompt", EventPayload: map[string]any{"community": "acme", "week": "2026-W48"}}))
	if err != nil {
		t.Fatal(err)
	}
	r := env.start(t, srv, c, digestOff)
	waitTaskRuns(t, "prompt", 3, r)
	if n := len(promptPosts(srv)); n != 1 {
		t.Errorf("%d prompts in the channel, want the crashed attempt's only", n)
	}
	if st, err := env.store().PromptSlotStatus(ctx, c, w); err != nil || st.State != engagement.PromptSent || st.TS != ts {
		t.Errorf("slot %+v, %v; want sent as %s", st, err, ts)
	}
}

// The day before the slot, an empty queue is told to staff, once; nothing
// is posted.
func TestPromptEmptyQueueWarnsStaffTheDayBefore(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	env := newDigestEnv(t, wednesdayLA.Add(-20*time.Hour)) // Tuesday 16:30
	c := env.community(t, "America/Los_Angeles")
	c.PromptAt = "Wed 12:00"
	r1 := env.start(t, srv, c, digestOff)
	r2 := env.start(t, srv, c, digestOff)
	waitTaskRuns(t, "prompt", 3, r1, r2)
	var warnings int
	for _, m := range srv.Messages(brandChannel) {
		if strings.Contains(m.Text, "prompt queue of acme is empty") {
			warnings++
		}
	}
	if warnings != 1 || len(promptPosts(srv)) != 0 {
		t.Errorf("%d warnings and %d prompts; want 1 and 0", warnings, len(promptPosts(srv)))
	}
}

func TestPromptCommand(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	env := newDigestEnv(t, wednesdayLA.Add(-48*time.Hour))
	c := env.community(t, "America/Los_Angeles")
	c.PromptAt = "Wed 12:00"
	env.start(t, srv, c, digestOff)
	tests := []struct{ name, user, text, want string }{
		{"add", "U0STAFF0001", "prompt add What did you make?", "Queued as prompt 1. The next one goes out Wed 12:00"},
		{"add another", "U0STAFF0001", "prompt add Favourite tool?", "Queued as prompt 2"},
		{"move", "U0STAFF0001", "prompt move 2 1", "Moved to 1: Favourite tool?"},
		{"list", "U0STAFF0001", "prompt list", "1. Favourite tool?\n2. What did you make?"},
		{"drop", "U0STAFF0001", "prompt drop 2", "Dropped prompt 2: What did you make?"},
		{"drop missing", "U0STAFF0001", "prompt drop 5", "There is no prompt at that position"},
		{"bad position", "U0STAFF0001", "prompt move x 1", "is not a position"},
		{"usage", "U0STAFF0001", "prompt add", "Usage: /closeknit prompt"},
		{"members may not", "U0MEMBER001", "prompt add Hi", "for the brand team"},
		{"help lists it", "U0MEMBER001", "help", "/closeknit prompt"},
	}
	for _, tt := range tests {
		msg := runCommand(t, srv, brandChannel, tt.user, tt.text)
		if !strings.Contains(msg.Text, tt.want) || msg.ResponseType != "ephemeral" {
			t.Errorf("%s: reply %q (%s), want ephemeral text containing %q", tt.name, msg.Text, msg.ResponseType, tt.want)
		}
	}
	if q, _ := env.store().PromptQueue(context.Background(), c); len(q) != 1 || q[0] != "Favourite tool?" {
		t.Errorf("queue %q, want [Favourite tool?]", q)
	}
}
