package slackapp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

const betaChannel = "C0BETA00001"

// twoCommunities runs the app with acme (channel) and beta (betaChannel).
func twoCommunities(t *testing.T) (*testApp, *slacktest.Server, *engagement.Community) {
	t.Helper()
	srv := slacktest.NewServer(t)
	srv.AddChannels(betaChannel)
	beta := &engagement.Community{ID: "beta", Channel: betaChannel, Location: time.UTC, Cap: 10}
	ta := MustRunApp(t, srv, func(cfg *slackapp.Config) { cfg.Communities = append(cfg.Communities, beta) })
	return ta, srv, beta
}

// TestPrivacyCommandsFromDMActEverywhere (issue 11 B1): privacy, optout
// and forget run from a DM (or any channel that is no community's) act on
// every community where the person has records, and say which (old main:
// the first community only).
func TestPrivacyCommandsFromDMActEverywhere(t *testing.T) {
	t.Parallel()
	ta, srv, beta := twoCommunities(t)
	const u, other = "U0MEMBER001", "U0MEMBER002"
	now := time.Now()
	msgIn := func(user, ch string, at time.Time) map[string]any {
		return map[string]any{"type": "message", "user": user, "channel": ch, "channel_type": "channel", "text": "hi", "ts": tsOf(at), "event_ts": tsOf(at)}
	}
	sendAll(t, srv, []slacktest.Envelope{
		srv.Event(msgIn(u, channel, now)), srv.Event(msgIn(u, betaChannel, now.Add(time.Millisecond))),
		srv.Event(msgIn(other, channel, now.Add(2*time.Millisecond))),
	})
	const dm = "D0MEMBER001"
	later := func(text string) string {
		t.Helper()
		env, r := sendCommand(t, srv, dm, u, text)
		if !strings.Contains(r.Text, "…") {
			t.Fatalf("%s from a DM: ack %q, want a working note", text, r.Text)
		}
		return laterReply(t, srv, env)
	}
	if got := later("privacy"); !strings.Contains(got, "<#"+channel+">") || !strings.Contains(got, "<#"+betaChannel+">") {
		t.Errorf("privacy from a DM: %q, want both communities", got)
	}
	if got := later("optout"); !strings.Contains(got, "<#"+channel+">") || !strings.Contains(got, "<#"+betaChannel+">") {
		t.Errorf("optout from a DM: %q, want both communities named", got)
	}
	for _, c := range []*engagement.Community{ta.community, beta} {
		out, err := ta.store.OptedOut(context.Background(), c)
		if err != nil || !out[u] {
			t.Errorf("%s: opted out %v (%v), want %s", c.ID, out, err, u)
		}
	}
	before := dumpNamespace(t, ta)
	if !strings.Contains(before, "{beta}") || !strings.Contains(before, u) {
		t.Fatalf("nothing recorded in beta:\n%s", before)
	}
	if got := later("forget"); !strings.Contains(got, "<#"+channel+">") || !strings.Contains(got, "<#"+betaChannel+">") {
		t.Errorf("forget from a DM: %q, want both communities named", got)
	}
	after := dumpNamespace(t, ta)
	if strings.Contains(after, u) {
		t.Errorf("after forget from a DM, Redis still holds %s:\n%s", u, after)
	}
	if !strings.Contains(after, other) {
		t.Errorf("forget removed someone else's records:\n%s", after)
	}
	if got := later("privacy"); !strings.Contains(got, "nothing, in any community") {
		t.Errorf("privacy after forget: %q", got)
	}
}

// TestPrivacyFloodDoesNotStarveOthers (issue 11 B3): 40 privacy calls from
// one member run one at a time on a pool of their own, and one person holds
// only a few of the slots commands share; every command is answered (none
// dropped) and another member's privacy request is taken on (old main: the
// flood took the shared slots, later commands were dropped unacked or
// answered "busy").
func TestPrivacyFloodDoesNotStarveOthers(t *testing.T) {
	t.Parallel()
	ta, srv := memberApp(t, 10, engagement.PolicyRemove)
	// A namespace with many keys, so that each scan takes a while.
	ctx := context.Background()
	pipe := ta.rdb.Pipeline()
	for i := range 20000 {
		pipe.Set(ctx, fmt.Sprintf("%s:{acme}:ev:Fill%05d", ta.ns, i), "1", time.Hour)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	const flooder, member = "U0FLOOD001", "U0MEMBER002"
	var envs []slacktest.Envelope
	for range 40 {
		env := srv.SlashCommand(map[string]any{"token": "x", "team_id": srv.TeamID, "channel_id": channel, "user_id": flooder,
			"command": "/closeknit", "text": "privacy", "trigger_id": "1.2.3"})
		if err := srv.SendEnvelope(env); err != nil {
			t.Fatal(err)
		}
		envs = append(envs, env)
	}
	env, r := sendCommand(t, srv, channel, member, "privacy")
	if !strings.Contains(r.Text, "Looking up") {
		t.Errorf("another member's privacy during the flood: ack %q, want it taken on", r.Text)
	}
	if got := laterReply(t, srv, env); !strings.Contains(got, "What closeknit stores") {
		t.Errorf("another member's privacy: later reply %q", got)
	}
	working := 0
	for _, e := range envs {
		if err := srv.WaitAcked(ctxT(t), e.ID); err != nil {
			t.Fatal(err)
		}
		var ack commandReply
		if err := json.Unmarshal(srv.AckPayload(e.ID), &ack); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.Contains(ack.Text, "Looking up"):
			working++
			if got := laterReply(t, srv, e); !strings.Contains(got, "What closeknit stores") {
				t.Errorf("flooder's privacy: later reply %q", got)
			}
		case strings.Contains(ack.Text, "still working on your previous"), strings.Contains(ack.Text, "still answering your previous"):
		default:
			t.Errorf("flooder's privacy: ack %q", ack.Text)
		}
	}
	if working == 0 || working == 40 {
		t.Errorf("%d of the flooder's 40 requests were taken on; want one at a time (the rest told to wait)", working)
	}
}
