package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/closeknit/closeknit/cmd/closeknit/internal/tables"
	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// The sandbox's prototypes: during the simulated week the brand team posts
// an early-access card and a poll, and members react, reply and vote, as
// Slack delivers it (including the app's own seeded reactions, redeliveries,
// people taking a reaction back or changing their vote, and feedback after
// closing). Slack stamps a new card with the current time, and feedback is
// recorded against the card, so this part plays in real time after the
// week's messages; the week's report is not affected.

// Prototypes is the plan: what is posted, what members do, and the figures
// a correct count ends with.
type Prototypes struct {
	plans []*protoPlan
}

type protoPlan struct {
	values  map[string]string // the modal's fields
	hide    bool
	actions []protoAction

	// What a correct tally ends with.
	reactions                          map[string]int64
	votes                              map[string]int64
	participants, comments, commenters int64
}

type protoActionKind uint8

const (
	actReact protoActionKind = iota + 1
	actUnreact
	actReply
	actVote
)

type protoAction struct {
	kind      protoActionKind
	user      string
	emoji     string
	option    int
	redeliver bool // Slack delivers the event twice
}

// planPrototypes draws the prototypes' feedback from members.
func planPrototypes(members []string, rng *rand.Rand) *Prototypes {
	pickWeighted := func(weights []float64) int {
		x := rng.Float64()
		for i, w := range weights {
			if x -= w; x <= 0 {
				return i
			}
		}
		return len(weights) - 1
	}
	// The early-access card: about 40% react, mostly warmly; some add a
	// second emoji, some take one back (and half of those put it back);
	// a quarter of those who react also explain in the thread.
	card := &protoPlan{values: map[string]string{
		"name":        "Cloud Paint 2.0 brushes",
		"description": "Twelve new brushes with pressure curves, and layers you can share with a friend.",
		"image_url":   "https://example.com/cloud-paint-brushes.png",
		"link":        "https://example.com/early-access/brushes",
		"question":    "Would you swap your current brushes for these?",
		"reactions":   engagement.FormatReactions(engagement.DefaultReactions),
		"options":     "", "open_days": "7",
	}}
	emojis := []string{"heart_eyes", "+1", "thinking_face", "-1"}
	add := func(p *protoPlan, a protoAction) {
		a.redeliver = rng.IntN(10) == 0
		p.actions = append(p.actions, a)
	}
	for _, u := range members {
		if rng.Float64() < 0.4 {
			first := emojis[pickWeighted([]float64{.35, .35, .2, .1})]
			held := map[string]bool{first: true}
			add(card, protoAction{kind: actReact, user: u, emoji: first})
			if rng.Float64() < 0.15 {
				second := emojis[rng.IntN(len(emojis))]
				if !held[second] {
					held[second] = true
					add(card, protoAction{kind: actReact, user: u, emoji: second})
				}
			}
			if rng.Float64() < 0.08 {
				add(card, protoAction{kind: actUnreact, user: u, emoji: first})
				delete(held, first)
				if rng.IntN(2) == 0 {
					add(card, protoAction{kind: actReact, user: u, emoji: first})
					held[first] = true
				}
			}
			if rng.Float64() < 0.25 {
				for range 1 + rng.IntN(3) {
					add(card, protoAction{kind: actReply, user: u})
				}
			}
		} else if rng.Float64() < 0.03 { // a few only reply
			add(card, protoAction{kind: actReply, user: u})
		}
	}

	// The poll: about 45% vote, some change their mind; results hidden
	// until it closes.
	options := []string{"Ocean blue", "Forest green", "Sunset red", "Midnight black"}
	poll := &protoPlan{values: map[string]string{
		"name": "Next colourway", "description": "", "image_url": "", "link": "",
		"question": "Which colour should the next batch come in?", "reactions": "",
		"options": strings.Join(options, "\n"), "open_days": "3",
	}, hide: true}
	for _, u := range members {
		if rng.Float64() >= 0.45 {
			continue
		}
		choice := 1 + pickWeighted([]float64{.4, .3, .2, .1})
		add(poll, protoAction{kind: actVote, user: u, option: choice})
		if rng.Float64() < 0.15 {
			other := 1 + rng.IntN(len(options))
			add(poll, protoAction{kind: actVote, user: u, option: other})
		}
	}
	return &Prototypes{plans: []*protoPlan{card, poll}}
}

// expect works out what a correct tally ends with: the feedback of members
// holding a seat, as it stands after every action. Anyone else's (a member
// who left, say) is ignored by the app; expect returns how many such
// actions there are.
func (p *protoPlan) expect(seated map[string]bool) (outsiders int) {
	held := map[string]map[string]bool{} // user -> emojis held
	replies := map[string]int64{}
	vote := map[string]int{}
	for _, a := range p.actions {
		if !seated[a.user] {
			outsiders++
			continue
		}
		switch a.kind {
		case actReact:
			if held[a.user] == nil {
				held[a.user] = map[string]bool{}
			}
			held[a.user][a.emoji] = true
		case actUnreact:
			delete(held[a.user], a.emoji)
		case actReply:
			replies[a.user]++
		case actVote:
			vote[a.user] = a.option
		}
	}
	p.reactions, p.votes = map[string]int64{}, nil
	p.participants, p.comments, p.commenters = 0, 0, int64(len(replies))
	for u, h := range held {
		for e := range h {
			p.reactions[e]++
		}
		if len(h) > 0 && replies[u] == 0 {
			p.participants++
		}
	}
	for _, n := range replies {
		p.comments += n
		p.participants++
	}
	if opts := p.values["options"]; opts != "" {
		options := strings.Split(opts, "\n")
		p.votes = map[string]int64{}
		for _, o := range options {
			p.votes[o] = 0
		}
		for _, o := range vote {
			p.votes[options[o-1]]++
			p.participants++
		}
	}
	return outsiders
}

// Play posts the prototypes through the modal, plays the feedback, closes
// both with the staff command, adds a late reaction, and prints and checks
// the results.
func (ps *Prototypes) Play(ctx context.Context, srv *slacktest.Server, c *engagement.Community, store *engagement.Store, stdout io.Writer) error {
	if ps == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	sendWait := func(env slacktest.Envelope) (json.RawMessage, error) {
		if err := srv.SendEnvelope(env); err != nil {
			return nil, err
		}
		if err := srv.WaitAcked(ctx, env.ID); err != nil {
			return nil, fmt.Errorf("sandbox: prototypes: %s not acked: %w", env.Type, err)
		}
		return srv.AckPayload(env.ID), nil
	}
	fmt.Fprintf(stdout, "Prototypes: the brand team posts an early-access card and a poll; members react, reply and vote.\n")
	roster, err := store.Roster(ctx, c)
	if err != nil {
		return err
	}
	seated := map[string]bool{}
	for _, u := range roster.SeatedUsers() {
		seated[u] = true
	}
	var played, ignored, outsiders int
	for _, p := range ps.plans {
		outsiders += p.expect(seated)
	}
	cards := make([]string, len(ps.plans))
	for i, p := range ps.plans {
		ack, err := sendWait(modalSubmission(srv, p, fmt.Sprintf("VSANDBOX%02d", i)))
		if err != nil {
			return err
		}
		// The modal is answered at once with a "Posting…" view; the card
		// follows, and is recorded, once Slack has taken it.
		if !bytes.Contains(ack, []byte(`"response_action":"update"`)) {
			return fmt.Errorf("sandbox: prototypes: the modal was refused: %s", ack)
		}
		if cards[i], err = waitCard(ctx, srv, store, c, p.values["name"]); err != nil {
			return err
		}
		// The app's own seeded reactions come back as events: never counted.
		if p.values["options"] == "" {
			for _, e := range engagement.DefaultReactions {
				if err := srv.SendEnvelope(srv.Event(sandboxReaction(srv.BotUserID, e.Emoji, c.Channel, cards[i], true, time.Now()))); err != nil {
					return err
				}
				ignored++
			}
		}
		for _, a := range p.actions {
			played++
			now := time.Now()
			var env slacktest.Envelope
			switch a.kind {
			case actReact, actUnreact:
				env = srv.Event(sandboxReaction(a.user, a.emoji, c.Channel, cards[i], a.kind == actReact, now))
			case actReply:
				ts := engagement.FormatTS(now)
				env = srv.Event(map[string]any{"type": "message", "user": a.user, "channel": c.Channel, "channel_type": "channel",
					"text": "(simulated)", "blocks": RichText("(simulated)"), "ts": ts, "event_ts": ts, "thread_ts": cards[i]})
			case actVote:
				// One at a time: a member's second vote must follow the first.
				if _, err := sendWait(sandboxVote(srv, a.user, c.Channel, cards[i], a.option)); err != nil {
					return err
				}
				continue
			}
			// Reactions of one member are sent in order and acked one by one,
			// as Slack delivers a person's add before its removal.
			if _, err := sendWait(env); err != nil {
				return err
			}
			if a.redeliver {
				dup := bytes.Replace(env.Frame, []byte(env.ID), []byte(srv.NewEnvelopeID()), 1)
				if err := srv.Send(dup); err != nil {
					return err
				}
			}
		}
	}
	for i := range ps.plans {
		if _, err := sendWait(srv.SlashCommand(map[string]any{"team_id": srv.TeamID, "channel_id": c.Channel, "user_id": Staff,
			"command": "/closeknit", "text": fmt.Sprintf("prototype close P%d", i+1), "trigger_id": "1.2.3"})); err != nil {
			return err
		}
	}
	// A reaction after closing: kept as late, not counted.
	if _, err := sendWait(srv.Event(sandboxReaction("U00099999", "heart_eyes", c.Channel, cards[0], true, time.Now()))); err != nil {
		return err
	}
	if err := srv.WaitAllAcked(ctx); err != nil {
		return fmt.Errorf("sandbox: prototypes: %w", err)
	}
	summaries := func() []string {
		var out []string
		for _, m := range srv.Messages(c.BrandChannel) {
			if strings.HasPrefix(m.Text, "Results of ") {
				out = append(out, m.Text)
			}
		}
		return out
	}
	for len(summaries()) < len(ps.plans) {
		if ctx.Err() != nil {
			return fmt.Errorf("sandbox: prototypes: the results were not posted to the brand channel")
		}
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Fprintf(stdout, "  played %d reactions, replies and votes (plus %d of the app's own reactions to ignore; %d from people holding no seat, not counted), then closed both\n\n", played, ignored, outsiders)

	list, err := store.Prototypes(ctx, c)
	if err != nil {
		return err
	}
	tables.Prototypes(stdout, list)
	fmt.Fprintln(stdout, "\nPosted to the brand channel when feedback closed:")
	for _, text := range summaries() {
		fmt.Fprintf(stdout, "  %s\n", text)
	}
	for i, p := range ps.plans {
		r, err := store.PrototypeResultsByTS(ctx, c, cards[i], 0)
		if err != nil {
			return err
		}
		s := r.Summary
		want := p.reactions
		if want == nil {
			want = map[string]int64{}
		}
		if !maps.Equal(s.Reactions, want) || !maps.Equal(s.Votes, p.votes) || s.Participants != p.participants ||
			s.Comments != p.comments || s.Commenters != p.commenters || s.Status != engagement.StatusClosed {
			return fmt.Errorf("sandbox: %s: tallies differ from what was played: got reactions %v votes %v participants %d comments %d commenters %d (%s); want %v %v %d %d %d",
				r.ID, s.Reactions, s.Votes, s.Participants, s.Comments, s.Commenters, s.Status, want, p.votes, p.participants, p.comments, p.commenters)
		}
		if i == 0 && r.LateReactions != 1 {
			return fmt.Errorf("sandbox: %s: %d late reactions, want 1", r.ID, r.LateReactions)
		}
	}
	fmt.Fprintln(stdout, "The prototype tallies match what was played: seeded reactions ignored, redeliveries and the late reaction not counted.")
	return nil
}

func sandboxReaction(user, emoji, channel, itemTS string, added bool, at time.Time) map[string]any {
	typ := "reaction_added"
	if !added {
		typ = "reaction_removed"
	}
	return map[string]any{"type": typ, "user": user, "reaction": emoji, "item_user": "U07F4M2BX9Q",
		"item":     map[string]any{"type": "message", "channel": channel, "ts": itemTS},
		"event_ts": engagement.FormatTS(at)}
}

func modalSubmission(srv *slacktest.Server, p *protoPlan, viewID string) slacktest.Envelope {
	state := map[string]any{}
	for field, v := range p.values {
		state[field] = map[string]any{field: map[string]any{"type": "plain_text_input", "value": v}}
	}
	if p.hide {
		state["hide_results"] = map[string]any{"hide_results": map[string]any{"type": "checkboxes",
			"selected_options": []any{map[string]any{"value": "hide"}}}}
	}
	return srv.Interaction(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": srv.TeamID}, "user": map[string]any{"id": Staff},
		"api_app_id": srv.AppID, "trigger_id": "1.2.3",
		"view": map[string]any{"id": viewID, "type": "modal", "callback_id": "proto_new", "private_metadata": "sandbox",
			"state": map[string]any{"values": state}},
	})
}

func sandboxVote(srv *slacktest.Server, user, channel, cardTS string, option int) slacktest.Envelope {
	return srv.Interaction(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user}, "team": map[string]any{"id": srv.TeamID},
		"container": map[string]any{"type": "message", "message_ts": cardTS, "channel_id": channel},
		"channel":   map[string]any{"id": channel},
		"actions":   []any{map[string]any{"action_id": fmt.Sprintf("proto_vote_%d", option), "block_id": "proto_vote", "type": "button", "action_ts": "1.1"}},
	})
}

// waitCard waits until the card of the prototype named name is in the
// channel and recorded, and returns its ts.
func waitCard(ctx context.Context, srv *slacktest.Server, store *engagement.Store, c *engagement.Community, name string) (string, error) {
	for {
		for _, m := range srv.Messages(c.Channel) {
			if !m.Ephemeral && strings.Contains(string(m.Blocks), name) {
				if _, err := store.PrototypeByTS(ctx, c, m.TS); err == nil {
					return m.TS, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("sandbox: prototypes: no card posted and recorded for %q: %w", name, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
