package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// The sandbox's members' voice: three members post ideas, members vote
// (some press twice), staff give one a status and merge a duplicate into
// another; then staff post a drop of 20 units and 60 members press Claim
// within about a second. Like the prototypes, this plays in real time
// after the week's messages, so it falls in the current week.

// Voice plays the idea board and a drop and checks what the app recorded.
type Voice struct {
	Srv   *slacktest.Server
	Store *engagement.Store
	C     *engagement.Community
	Out   io.Writer
	Rng   *rand.Rand
}

// DropUnits and DropPressers are the drop's size and how many press Claim.
const (
	DropUnits    = 20
	DropPressers = 60
)

var sandboxIdeas = []string{"A travel size of the night cream", "Refill pouches for the cleanser", "Travel-size night cream, please"}

// Play plays the ideas, then the drop.
func (v *Voice) Play(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	roster, err := v.Store.Roster(ctx, v.C)
	if err != nil {
		return err
	}
	seated := roster.SeatedUsers()
	if len(seated) < 4 {
		return fmt.Errorf("sandbox: voice: %d seated members, need at least 4", len(seated))
	}
	if err := v.playIdeas(ctx, seated); err != nil {
		return err
	}
	return v.playDrop(ctx, seated)
}

func (v *Voice) send(ctx context.Context, env slacktest.Envelope) (json.RawMessage, error) {
	if err := v.Srv.SendEnvelope(env); err != nil {
		return nil, err
	}
	if err := v.Srv.WaitAcked(ctx, env.ID); err != nil {
		return nil, fmt.Errorf("sandbox: voice: %s not acked: %w", env.Type, err)
	}
	return v.Srv.AckPayload(env.ID), nil
}

func (v *Voice) command(ctx context.Context, text string) error {
	_, err := v.send(ctx, v.Srv.SlashCommand(map[string]any{"team_id": v.Srv.TeamID, "channel_id": v.C.Channel, "user_id": Staff,
		"command": "/closeknit", "text": text, "trigger_id": "1.2.3"}))
	return err
}

// waitVoice polls cond until it holds or ctx ends.
func waitVoice(ctx context.Context, what string, cond func() (bool, error)) error {
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sandbox: voice: %s: %w", what, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (v *Voice) playIdeas(ctx context.Context, seated []string) error {
	fmt.Fprintln(v.Out, "\nIdeas: three members post ideas, members upvote them, the team plans one and merges a duplicate.")
	authors := seated[:len(sandboxIdeas)]
	for n, title := range sandboxIdeas {
		if _, err := v.send(ctx, v.Srv.Interaction(map[string]any{
			"type": "view_submission", "team": map[string]any{"id": v.Srv.TeamID}, "user": map[string]any{"id": authors[n], "team_id": v.Srv.TeamID},
			"api_app_id": v.Srv.AppID, "trigger_id": "1.2.3",
			"view": map[string]any{"id": fmt.Sprintf("VSANDBOXIDEA%d", n), "type": "modal", "callback_id": "idea_new", "private_metadata": v.C.ID + "||",
				"state": map[string]any{"values": map[string]any{
					"title":   map[string]any{"title": map[string]any{"type": "plain_text_input", "value": title}},
					"details": map[string]any{"details": map[string]any{"type": "plain_text_input", "value": "(simulated)"}}}}},
		})); err != nil {
			return err
		}
	}
	var ideas []*engagement.Idea
	if err := waitVoice(ctx, "idea cards posted", func() (bool, error) {
		list, err := v.Store.Ideas(ctx, v.C)
		posted := 0
		for _, i := range list {
			if i.Posted() {
				posted++
			}
		}
		ideas = list
		return posted == len(sandboxIdeas), err
	}); err != nil {
		return err
	}
	byID := map[string]*engagement.Idea{}
	for _, i := range ideas {
		byID[i.ID] = i
	}
	voters := map[string]map[string]bool{"I1": {}, "I2": {}, "I3": {}}
	presses := 0
	for _, u := range seated {
		for id, share := range map[string]float64{"I1": .3, "I2": .2, "I3": .1} {
			if v.Rng.Float64() >= share {
				continue
			}
			voters[id][u] = true
			for range 1 + v.Rng.IntN(2) { // some press twice: counted once
				presses++
				if _, err := v.send(ctx, v.Srv.Interaction(map[string]any{
					"type": "block_actions", "user": map[string]any{"id": u}, "team": map[string]any{"id": v.Srv.TeamID},
					"container": map[string]any{"type": "message", "message_ts": byID[id].TS, "channel_id": v.C.Channel},
					"channel":   map[string]any{"id": v.C.Channel},
					"actions":   []any{map[string]any{"action_id": "idea_upvote", "block_id": "idea_actions", "type": "button", "value": id, "action_ts": "1.1"}},
				})); err != nil {
					return err
				}
			}
		}
	}
	if err := v.command(ctx, "idea status I1 planned coming in the spring"); err != nil {
		return err
	}
	if err := v.command(ctx, "idea merge I3 I1"); err != nil {
		return err
	}
	for u := range voters["I3"] {
		voters["I1"][u] = true
	}
	want := map[string]struct {
		votes  int
		status string
	}{"I1": {len(voters["I1"]), engagement.IdeaPlanned}, "I2": {len(voters["I2"]), engagement.IdeaNew}, "I3": {0, engagement.IdeaMerged}}
	list, err := v.Store.Ideas(ctx, v.C)
	if err != nil {
		return err
	}
	for _, i := range list {
		fmt.Fprintf(v.Out, "  %s %-36s %-9s %d votes\n", i.ID, i.Title, i.Status, i.Votes)
		if w := want[i.ID]; i.Votes != w.votes || i.Status != w.status {
			return fmt.Errorf("sandbox: idea %s: %d votes, %s; want %d, %s", i.ID, i.Votes, i.Status, w.votes, w.status)
		}
	}
	fmt.Fprintf(v.Out, "  %d presses of Upvote counted once each; the merge moved I3's voters to I1, each counted once.\n", presses)
	return nil
}

func (v *Voice) playDrop(ctx context.Context, seated []string) error {
	pressers := slices.Clone(seated)
	v.Rng.Shuffle(len(pressers), func(i, j int) { pressers[i], pressers[j] = pressers[j], pressers[i] })
	pressers = pressers[:min(DropPressers, len(pressers))]
	units := min(DropUnits, len(pressers))
	fmt.Fprintf(v.Out, "\nDrop: the team offers %d units; %d members press Claim.\n", units, len(pressers))
	values := map[string]string{"name": "Night cream, travel size", "details": "(simulated)", "image_url": "", "quantity": fmt.Sprint(units),
		"hours": "1", "message": "Tell us where to ship it: https://example.com/ship", "confirm_hours": "48"}
	state := map[string]any{}
	for field, val := range values {
		state[field] = map[string]any{field: map[string]any{"type": "plain_text_input", "value": val}}
	}
	if _, err := v.send(ctx, v.Srv.Interaction(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": v.Srv.TeamID}, "user": map[string]any{"id": Staff, "team_id": v.Srv.TeamID},
		"api_app_id": v.Srv.AppID, "trigger_id": "1.2.3",
		"view": map[string]any{"id": "VSANDBOXDROP", "type": "modal", "callback_id": "drop_new", "private_metadata": v.C.ID,
			"state": map[string]any{"values": state}},
	})); err != nil {
		return err
	}
	var d *engagement.Drop
	if err := waitVoice(ctx, "drop card posted", func() (bool, error) {
		all, err := v.Store.Drops(ctx, v.C)
		if err != nil || len(all) == 0 {
			return false, err
		}
		d = all[0]
		return d.Posted(), nil
	}); err != nil {
		return err
	}
	// One after another, each acked before the next, so that the press
	// order is known and the waiting line can be checked against it.
	start := time.Now()
	for _, u := range pressers {
		if _, err := v.send(ctx, v.Srv.Interaction(map[string]any{
			"type": "block_actions", "user": map[string]any{"id": u}, "team": map[string]any{"id": v.Srv.TeamID},
			"container": map[string]any{"type": "message", "message_ts": d.TS, "channel_id": v.C.Channel},
			"channel":   map[string]any{"id": v.C.Channel},
			"actions":   []any{map[string]any{"action_id": "drop_claim", "block_id": "drop_actions", "type": "button", "value": d.ID, "action_ts": "1.1"}},
		})); err != nil {
			return err
		}
	}
	took := time.Since(start)
	claims, waiting, err := v.Store.DropPeople(ctx, v.C, d.ID)
	if err != nil {
		return err
	}
	winners := make([]string, len(claims))
	for i, cl := range claims {
		winners[i] = cl.User
	}
	line := make([]string, len(waiting))
	for i, w := range waiting {
		line[i] = w.User
	}
	slices.Sort(winners)
	first := slices.Sorted(slices.Values(pressers[:units]))
	if !slices.Equal(winners, first) || !slices.Equal(line, pressers[units:]) {
		return fmt.Errorf("sandbox: drop %s: %d winners and %d in line, not the first %d pressers and the rest in press order", d.ID, len(winners), len(line), units)
	}
	confirmed, passer, next, err := v.playConfirm(ctx, d, winners, line)
	if err != nil {
		return err
	}
	if err := v.command(ctx, "drop close "+d.ID); err != nil {
		return err
	}
	var summary string
	if err := waitVoice(ctx, "claimants posted to the brand channel", func() (bool, error) {
		for _, m := range v.Srv.Messages(v.C.BrandChannel) {
			if strings.HasPrefix(m.Text, "Drop "+d.ID+" ") {
				summary = m.Text
				return true, nil
			}
		}
		return false, nil
	}); err != nil {
		return err
	}
	head, _, _ := strings.Cut(summary, "\n")
	fmt.Fprintf(v.Out, "  %d presses in %v: exactly %d winners (the first %d to press), %d in line in press order\n",
		len(pressers), took.Round(time.Millisecond), len(winners), units, len(line))
	fmt.Fprintf(v.Out, "  winners confirm within 48 hours: %s passed theirs on, so %s, first in line, got it by DM; all %d holders confirmed\n",
		passer, next, confirmed)
	fmt.Fprintf(v.Out, "  closed; posted to the brand channel: %s\n", head)
	return nil
}

// playConfirm has every winner but one press Confirm in their DM, and that
// one press Pass it on; it checks that the unit went to the first in line,
// who is DMed in turn. It returns how many confirmed, who passed on, and
// who got the unit.
func (v *Voice) playConfirm(ctx context.Context, d *engagement.Drop, winners, line []string) (int, string, string, error) {
	if len(winners) == 0 || len(line) == 0 {
		return 0, "", "", nil
	}
	passer, next := winners[0], line[0]
	for _, u := range winners {
		action := "drop_confirm"
		if u == passer {
			action = "drop_pass_on"
		}
		if err := v.pressInDM(ctx, u, action); err != nil {
			return 0, "", "", err
		}
	}
	if err := v.pressInDM(ctx, next, "drop_confirm"); err != nil { // the DM of the unit passed on
		return 0, "", "", err
	}
	claims, _, err := v.Store.DropPeople(ctx, v.C, d.ID)
	if err != nil {
		return 0, "", "", err
	}
	n := 0
	for _, cl := range claims {
		if cl.User == passer {
			return 0, "", "", fmt.Errorf("sandbox: drop %s: %s passed their unit on but still holds it", d.ID, passer)
		}
		if cl.Confirmed {
			n++
		}
	}
	if n != len(winners) {
		return 0, "", "", fmt.Errorf("sandbox: drop %s: %d of %d winners confirmed", d.ID, n, len(winners))
	}
	return n, passer, next, nil
}

// pressInDM waits for user's DM with an actionID button and presses it,
// as Slack sends it from a DM.
func (v *Voice) pressInDM(ctx context.Context, user, actionID string) error {
	var dm slacktest.Message
	var value string
	if err := waitVoice(ctx, user+"'s DM with "+actionID, func() (bool, error) {
		for _, m := range v.Srv.Messages(user) {
			if val, ok := m.Button(actionID); ok {
				dm, value = m, val
				return true, nil
			}
		}
		return false, nil
	}); err != nil {
		return err
	}
	_, err := v.send(ctx, v.Srv.Interaction(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user}, "team": map[string]any{"id": v.Srv.TeamID},
		"container": map[string]any{"type": "message", "message_ts": dm.TS, "channel_id": user},
		"channel":   map[string]any{"id": user},
		"message":   map[string]any{"type": "message", "ts": dm.TS, "text": dm.Text},
		"actions":   []any{map[string]any{"action_id": actionID, "block_id": "drop_confirm_actions", "type": "button", "value": value, "action_ts": "1.1"}},
	}))
	if err != nil {
		return err
	}
	// The DM's buttons give way to the outcome once handled.
	return waitVoice(ctx, user+"'s "+actionID+" handled", func() (bool, error) {
		for _, m := range v.Srv.Messages(user) {
			if m.TS == dm.TS {
				_, pending := m.Button(actionID)
				return !pending, nil
			}
		}
		return false, nil
	})
}
