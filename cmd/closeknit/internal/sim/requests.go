package sim

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// The sandbox's seat requests: someone outside the community opens the
// app's Home and asks for a seat, a member nominates someone else, and the
// brand team approves the first (the channel is full: a waitlist place)
// and declines the second, each from the card in the brand channel.

// RequestStory plays a seat request and a nomination against the running app.
type RequestStory struct {
	Srv   *slacktest.Server
	Store *engagement.Store
	C     *engagement.Community
	Out   io.Writer
}

// The people of the story: not in the community.
const (
	requester = "USANDREQ001"
	nominee   = "USANDNOM001"
)

// Play runs the story and checks each step.
func (p *RequestStory) Play(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	fmt.Fprintf(p.Out, "\nSeat requests: <@%s> asks from the App Home; a member nominates <@%s>.\n", requester, nominee)
	n := len(p.Srv.Calls("views.publish"))
	if err := p.Srv.SendEnvelope(p.Srv.Event(map[string]any{"type": "app_home_opened", "user": requester, "channel": "D0SANDREQ1",
		"tab": "home", "event_ts": engagement.FormatTS(time.Now())})); err != nil {
		return err
	}
	if err := p.wait(ctx, "the Home offers Request a seat", func() bool {
		for _, c := range p.Srv.Calls("views.publish")[n:] {
			if c.Args.Get("user_id") == requester && strings.Contains(c.Args.Get("view"), `"action_id":"request_seat"`) {
				return true
			}
		}
		return false
	}); err != nil {
		return err
	}
	if err := p.Srv.SendEnvelope(p.Srv.Interaction(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": p.Srv.TeamID}, "user": map[string]any{"id": requester, "team_id": p.Srv.TeamID},
		"api_app_id": p.Srv.AppID, "trigger_id": "1.2.3",
		"view": map[string]any{"id": "VSANDREQ01", "type": "modal", "callback_id": "request_seat_form", "private_metadata": p.C.ID,
			"state": map[string]any{"values": map[string]any{"about": map[string]any{"about": map[string]any{"type": "plain_text_input",
				"value": "I have used your app every day since the beta."}}}}},
	})); err != nil {
		return err
	}
	roster, err := p.Store.Roster(ctx, p.C)
	if err != nil || len(roster.Seated) == 0 {
		return fmt.Errorf("sandbox: requests: no seated member to nominate (%v)", err)
	}
	member := roster.Seated[0].User
	nominate := p.Srv.SlashCommand(map[string]any{"token": "x", "team_id": p.Srv.TeamID, "channel_id": p.C.Channel, "user_id": member,
		"command": "/closeknit", "text": "nominate <@" + nominee + "> answers every question in our forum", "trigger_id": "4.5.6"})
	if err := p.Srv.SendEnvelope(nominate); err != nil {
		return err
	}
	if err := p.Srv.WaitAcked(ctx, nominate.ID); err != nil {
		return err
	}
	if ack := string(p.Srv.AckPayload(nominate.ID)); !strings.Contains(ack, "Your nomination") {
		return fmt.Errorf("sandbox: requests: the nomination was answered %s", ack)
	}
	var asked, nominated *engagement.SeatRequest
	cards := map[string]string{}
	if err := p.wait(ctx, "both cards are in the brand channel", func() bool {
		asked, _ = p.Store.OpenRequestOf(ctx, p.C, requester)
		nominated, _ = p.Store.OpenRequestOf(ctx, p.C, nominee)
		if asked == nil || nominated == nil {
			return false
		}
		for _, m := range p.Srv.Messages(p.C.BrandChannel) {
			for _, r := range []*engagement.SeatRequest{asked, nominated} {
				if !m.Ephemeral && strings.Contains(m.Text, "Seat request "+r.ID+":") {
					cards[r.ID] = m.TS
				}
			}
		}
		return len(cards) == 2
	}); err != nil {
		return err
	}
	fmt.Fprintf(p.Out, "  %s (asked) and %s (nominated by <@%s>) are cards in the brand channel\n", asked.ID, nominated.ID, member)
	press := func(action, id string) error {
		return p.Srv.SendEnvelope(p.Srv.Interaction(map[string]any{
			"type": "block_actions", "user": map[string]any{"id": Staff}, "api_app_id": p.Srv.AppID, "trigger_id": "7.8.9",
			"team":      map[string]any{"id": p.Srv.TeamID},
			"container": map[string]any{"type": "message", "message_ts": cards[id], "channel_id": p.C.BrandChannel, "is_ephemeral": false},
			"channel":   map[string]any{"id": p.C.BrandChannel},
			"message":   map[string]any{"type": "message", "ts": cards[id], "user": p.Srv.BotUserID},
			"actions":   []any{map[string]any{"action_id": action, "block_id": "b", "type": "button", "value": p.C.ID + "|" + id, "action_ts": "1.1"}},
		}))
	}
	if err := press("request_approve", asked.ID); err != nil {
		return err
	}
	if err := press("request_approve", asked.ID); err != nil { // a double click decides once
		return err
	}
	if err := press("request_decline", nominated.ID); err != nil {
		return err
	}
	dmed := func(user, want string) bool {
		for _, m := range p.Srv.Messages(user) {
			if strings.Contains(m.Text, want) {
				return true
			}
		}
		return false
	}
	if err := p.wait(ctx, "everyone is DMed the decisions", func() bool {
		return dmed(requester, "approved your request") && dmed(nominee, "cannot offer you one") && dmed(member, "declined your nomination")
	}); err != nil {
		return err
	}
	a, err := p.Store.Request(ctx, p.C, asked.ID)
	if err != nil {
		return err
	}
	b, err := p.Store.Request(ctx, p.C, nominated.ID)
	if err != nil {
		return err
	}
	if a.Status != engagement.RequestApproved || b.Status != engagement.RequestDeclined {
		return fmt.Errorf("sandbox: requests: %s is %s, %s is %s", a.ID, a.Status, b.ID, b.Status)
	}
	got := "a seat"
	if a.Outcome == engagement.RequestWaitlist {
		got = fmt.Sprintf("place #%d on the waitlist (the channel is full)", a.Position)
	}
	fmt.Fprintf(p.Out, "  staff approved %s (a double click decided once): <@%s> got %s and a DM\n", a.ID, requester, got)
	fmt.Fprintf(p.Out, "  staff declined %s: <@%s> and the nominator were DMed; they can be nominated again in 30 days\n", b.ID, nominee)
	return nil
}

// wait polls cond until it holds or ctx ends.
func (p *RequestStory) wait(ctx context.Context, what string, cond func() bool) error {
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("sandbox: requests: %s: %w", what, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}
