package sim

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// The sandbox's shout-outs: a member thanks another with the command
// (Slack delivering it twice, then the same thanks again the same day), a
// third thanks them with the 🙌 reaction (delivered twice), someone thanks
// themselves; two thanks count and one thank-you is posted. Then staff pick
// the spotlight from the App Home, twice: one spotlight is posted.

// ThanksStory plays shout-outs and the spotlight against the running app.
type ThanksStory struct {
	Srv   *slacktest.Server
	Store *engagement.Store
	C     *engagement.Community
	Out   io.Writer
}

// Play plays them and checks what counted and what was posted.
func (p *ThanksStory) Play(ctx context.Context, rng *rand.Rand) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	fmt.Fprintf(p.Out, "\nShout-outs: members thank each other (/closeknit thanks, or :%s: on a post); staff pick the month's spotlight.\n", p.C.ThanksReaction)
	roster, err := p.Store.Roster(ctx, p.C)
	if err != nil {
		return err
	}
	seated := roster.SeatedUsers()
	if len(seated) < 3 {
		return fmt.Errorf("sandbox: thanks: %d seated members, need 3", len(seated))
	}
	rng.Shuffle(len(seated), func(i, j int) { seated[i], seated[j] = seated[j], seated[i] })
	giver, receiver, reactor := seated[0], seated[1], seated[2]
	before, err := p.thanked(ctx, receiver)
	if err != nil {
		return err
	}
	n := 0
	command := func(user, text string) slacktest.Envelope {
		n++
		return p.Srv.SlashCommand(map[string]any{"team_id": p.Srv.TeamID, "channel_id": p.C.Channel, "user_id": user,
			"command": "/closeknit", "text": text, "trigger_id": fmt.Sprintf("sandbox.thanks.%d", n)})
	}
	first := command(giver, "thanks <@"+receiver+"> for the refill tip")
	now := time.Now()
	hands := p.Srv.Event(map[string]any{"type": "reaction_added", "user": reactor, "reaction": p.C.ThanksReaction, "item_user": receiver,
		"item": map[string]any{"type": "message", "channel": p.C.Channel, "ts": engagement.FormatTS(now.Add(-time.Hour))}, "event_ts": engagement.FormatTS(now)})
	for _, env := range []slacktest.Envelope{first, first, command(giver, "thanks <@"+receiver+">"), command(receiver, "thanks <@"+receiver+">"), hands, hands} {
		if err := p.Srv.SendEnvelope(env); err != nil {
			return err
		}
	}
	if err := p.Srv.WaitAllAcked(ctx); err != nil {
		return fmt.Errorf("sandbox: thanks: not every envelope was acked: %w", err)
	}
	after, err := p.thanked(ctx, receiver)
	if err != nil {
		return err
	}
	if after-before != 2 {
		return fmt.Errorf("sandbox: thanks: %s was thanked %d times more, want 2 (the command once, the reaction once)", receiver, after-before)
	}
	thankYou := fmt.Sprintf(":raised_hands: <@%s> thanks <@%s>", giver, receiver)
	if err := waitFor(ctx, func() bool { return countMessages(p.Srv, p.C.Channel, thankYou) >= 1 }); err != nil {
		return fmt.Errorf("sandbox: thanks: the thank-you was not posted: %w", err)
	}
	fmt.Fprintf(p.Out, "  %s thanked %s (the command delivered twice, then again the same day) and %s reacted :%s: (delivered twice):\n"+
		"  2 thanks counted, 1 thank-you posted; a self-thanks was refused\n", giver, receiver, reactor, p.C.ThanksReaction)

	// Staff pick the spotlight from the Home, twice (a double click).
	press := func() slacktest.Envelope {
		return p.Srv.Interaction(map[string]any{"type": "block_actions", "user": map[string]any{"id": Staff}, "api_app_id": p.Srv.AppID,
			"trigger_id": "1.2.3", "team": map[string]any{"id": p.Srv.TeamID},
			"container": map[string]any{"type": "view", "view_id": "V0SANDBOX1"}, "view": map[string]any{"id": "V0SANDBOX1", "type": "home"},
			"actions": []any{map[string]any{"action_id": "thanks_spotlight", "block_id": "b1", "type": "button", "action_ts": "1.1",
				"value": fmt.Sprintf("%s|%s|%d|0", p.C.ID, receiver, after)}}})
	}
	for range 2 {
		if err := p.Srv.SendEnvelope(press()); err != nil {
			return err
		}
	}
	month := engagement.SpotlightMonth(p.Store.Now(), p.C)
	if err := waitFor(ctx, func() bool {
		sp, err := p.Store.SpotlightOf(ctx, p.C, month)
		return err == nil && sp.State == engagement.SpotlightSent
	}); err != nil {
		return fmt.Errorf("sandbox: thanks: the spotlight was not posted: %w", err)
	}
	if err := p.Srv.WaitAllAcked(ctx); err != nil {
		return err
	}
	if got := countMessages(p.Srv, p.C.Channel, "Spotlight of"); got != 1 {
		return fmt.Errorf("sandbox: thanks: %d spotlights posted, want 1", got)
	}
	fmt.Fprintf(p.Out, "  staff pressed Spotlight on %s twice: 1 spotlight posted for %s\n", receiver, month)
	return nil
}

func (p *ThanksStory) thanked(ctx context.Context, user string) (int64, error) {
	a, err := p.Store.Appreciation(ctx, p.C, p.Store.RecentWeeks(p.C), 1000)
	if err != nil {
		return 0, err
	}
	for _, k := range a.MostThanked {
		if k.User == user {
			return k.Thanks, nil
		}
	}
	return 0, nil
}

func countMessages(srv *slacktest.Server, channel, prefix string) int {
	n := 0
	for _, m := range srv.Messages(channel) {
		if !m.Ephemeral && strings.Contains(m.Text, prefix) {
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}
