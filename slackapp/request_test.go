package slackapp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

const (
	guest      = "UGUEST00001"
	guest2     = "UGUEST00002"
	staffUser2 = "U0STAFF0002"
)

// withRequests is withProtoConfig with a second staff member.
func withRequests(cfg *slackapp.Config) {
	withProtoConfig(cfg)
	cfg.Communities[0].Staff = append(cfg.Communities[0].Staff, staffUser2)
}

// openHome sends app_home_opened for user and returns the view published.
func openHome(t *testing.T, srv *slacktest.Server, user string) string {
	t.Helper()
	n := len(srv.Calls("views.publish"))
	send(t, srv, srv.Event(map[string]any{"type": "app_home_opened", "user": user, "channel": "D0HOME0001", "tab": "home", "event_ts": tsOf(time.Now())}))
	calls, err := srv.WaitCall(ctxT(t), "views.publish", n+1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls[n:] {
		if c.Args.Get("user_id") == user {
			return c.Args.Get("view")
		}
	}
	t.Fatalf("no Home published for %s", user)
	return ""
}

// pressOn is a button pressed on a message in ch (ephemeral: a message
// only the presser sees, as /closeknit requests answers).
func pressOn(srv *slacktest.Server, user, actionID, ch, ts, value string, ephemeral bool) slacktest.Envelope {
	return srv.Interaction(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user}, "api_app_id": srv.AppID, "trigger_id": "1.2.3" + user,
		"team":      map[string]any{"id": srv.TeamID},
		"container": map[string]any{"type": "message", "message_ts": ts, "channel_id": ch, "is_ephemeral": ephemeral},
		"channel":   map[string]any{"id": ch},
		"message":   map[string]any{"type": "message", "ts": ts, "user": srv.BotUserID},
		"actions":   []any{map[string]any{"action_id": actionID, "block_id": "b", "type": "button", "value": value, "action_ts": "1.1"}},
	})
}

// requestForm is the Request a seat form submitted by user.
func requestForm(srv *slacktest.Server, user, viewID, about string) slacktest.Envelope {
	return srv.Interaction(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": srv.TeamID}, "user": map[string]any{"id": user, "team_id": srv.TeamID},
		"api_app_id": srv.AppID, "trigger_id": "1.2.3",
		"view": map[string]any{"id": viewID, "type": "modal", "callback_id": "request_seat_form", "private_metadata": "acme",
			"state": map[string]any{"values": map[string]any{"about": map[string]any{"about": map[string]any{"type": "plain_text_input", "value": about}}}}},
	})
}

// brandCard waits for the card of request id in the brand channel.
func brandCard(t *testing.T, srv *slacktest.Server, id string) slacktest.Message {
	t.Helper()
	var card slacktest.Message
	eventually(t, "the card of "+id+" is in the brand channel", func() bool {
		for _, m := range srv.Messages(brandChannel) {
			if !m.Ephemeral && strings.Contains(m.Text, "Seat request "+id+":") {
				card = m
				return true
			}
		}
		return false
	})
	return card
}

// brandBlocks is the card at ts in the brand channel as last posted or updated.
func brandBlocks(srv *slacktest.Server, ts string) string {
	for _, m := range srv.Messages(brandChannel) {
		if m.TS == ts {
			return string(m.Blocks)
		}
	}
	return ""
}

// toldIn waits until user saw an ephemeral message in ch holding want.
func toldIn(t *testing.T, srv *slacktest.Server, ch, user, want string) {
	t.Helper()
	eventually(t, user+" is told privately "+want, func() bool {
		for _, m := range srv.Messages(ch) {
			if m.Ephemeral && m.User == user && strings.Contains(m.Text, want) {
				return true
			}
		}
		return false
	})
}

// A person outside the community asks from the Home; a member pressing
// Approve is refused politely; staff approve (a double click and a second
// staff member decide nothing more, and the latter is told who decided);
// the person takes the free seat and is DMed; the card shows it.
func TestSeatRequestFromHome(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withRequests)
	alice := protoMembers[0]
	seatMembers(t, ta, alice)

	home := openHome(t, srv, guest)
	if !strings.Contains(home, "Request a seat") || !strings.Contains(home, `"action_id":"request_seat"`) {
		t.Fatalf("a non-member's Home has no Request a seat:\n%s", home)
	}
	for _, u := range []string{alice, staffUser} {
		if h := openHome(t, srv, u); strings.Contains(h, `"action_id":"request_seat"`) {
			t.Errorf("%s's Home offers Request a seat:\n%s", u, h)
		}
	}
	// The button opens the form.
	send(t, srv, srv.Interaction(map[string]any{"type": "block_actions", "user": map[string]any{"id": guest}, "api_app_id": srv.AppID,
		"trigger_id": "7.7.7", "team": map[string]any{"id": srv.TeamID}, "container": map[string]any{"type": "view", "view_id": "VHOME"},
		"actions": []any{map[string]any{"action_id": "request_seat", "block_id": "b", "type": "button", "value": "acme", "action_ts": "1.1"}}}))
	eventually(t, "the form opens", func() bool {
		for _, c := range srv.Calls("views.open") {
			if strings.Contains(c.Args.Get("view"), `"callback_id":"request_seat_form"`) {
				return true
			}
		}
		return false
	})
	// Too long a line comes back in the form; a valid one is sent.
	var resp struct {
		Errors map[string]string `json:"errors"`
	}
	mustJSON(t, send(t, srv, requestForm(srv, guest, "VREQ000000", strings.Repeat("a", 301))), &resp)
	if !strings.Contains(resp.Errors["about"], "300") {
		t.Errorf("301 characters: %+v", resp)
	}
	if p := send(t, srv, requestForm(srv, guest, "VREQ000001", "I sketch <every> day")); len(p) != 0 && string(p) != "null" {
		t.Fatalf("valid request acked with %s, want a bare ack", p)
	}
	card := brandCard(t, srv, "R1")
	if b := brandBlocks(srv, card.TS); !strings.Contains(b, "request_approve") || !strings.Contains(b, `I sketch \u0026lt;every\u0026gt; day`) || !strings.Contains(b, guest) {
		t.Errorf("card: %s", b)
	}
	// The same form again (a retry) opens nothing more; another one is told kindly.
	send(t, srv, requestForm(srv, guest, "VREQ000001", "I sketch <every> day"))
	mustJSON(t, send(t, srv, requestForm(srv, guest, "VREQ000002", "again")), &resp)
	if !strings.Contains(resp.Errors["about"], "already with the brand team") {
		t.Errorf("a second request while open: %+v", resp)
	}
	if h := openHome(t, srv, guest); !strings.Contains(h, "is with the brand team") || strings.Contains(h, `"action_id":"request_seat"`) {
		t.Errorf("Home with a request open:\n%s", h)
	}

	// A member presses Approve: a polite refusal, nothing changes.
	byAlice := pressOn(srv, alice, "request_approve", brandChannel, card.TS, "acme|R1", false)
	send(t, srv, byAlice)
	toldIn(t, srv, brandChannel, alice, "decided by the brand team")
	// Staff double-click Approve; the second staff member presses Decline.
	send(t, srv, pressOn(srv, staffUser, "request_approve", brandChannel, card.TS, "acme|R1", false))
	send(t, srv, pressOn(srv, staffUser, "request_approve", brandChannel, card.TS, "acme|R1", false))
	late := pressOn(srv, staffUser2, "request_decline", brandChannel, card.TS, "acme|R1", false)
	send(t, srv, late)
	toldIn(t, srv, brandChannel, staffUser2, "R1 was decided already: :white_check_mark: Approved by <@"+staffUser+">")

	waitTold(t, srv, guest, "approved your request for a seat")
	eventually(t, "the card shows the approval", func() bool {
		b := brandBlocks(srv, card.TS)
		return strings.Contains(b, "Approved by") && !strings.Contains(b, "request_approve")
	})
	if seated, err := ta.store.IsSeated(ctxT(t), ta.community, guest); err != nil || !seated {
		t.Errorf("approved with a free seat, seated = %v, %v", seated, err)
	}
	r, err := ta.store.Request(ctxT(t), ta.community, "R1")
	if err != nil || r.Status != engagement.RequestApproved || r.DecidedBy != staffUser || r.Outcome != engagement.RequestSeat {
		t.Errorf("request after the decisions: %+v, %v", r, err)
	}
	for outcome, want := range map[string]float64{"opened": 1, "approved": 1, "declined": 0} {
		if got := metricValue(t, ta, "closeknit_seat_requests_total", "community=acme", "outcome="+outcome); got != want {
			t.Errorf("closeknit_seat_requests_total{outcome=%s} = %v, want %v", outcome, got, want)
		}
	}
	if n := countMessages(srv, guest, "approved"); n != 1 {
		t.Errorf("%d approval DMs, want 1", n)
	}
}

// Members nominate; members, staff, bots and oneself cannot be nominated;
// one open request per person; an approval when full is a waitlist place;
// a decline can be repeated after 30 days, not before.
func TestSeatNomination(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withRequests)
	alice, bob := protoMembers[0], protoMembers[1]
	seatMembers(t, ta, alice, bob)

	for _, tc := range []struct{ user, text, want string }{
		{alice, "nominate", "Usage: /closeknit nominate"},
		{alice, "nominate <@" + bob + "|bob>", "already has a seat"},
		{alice, "nominate <@" + staffUser + ">", "brand team and needs no seat"},
		{alice, "nominate <@" + alice + ">", "cannot nominate yourself"},
		{alice, "nominate <@" + srv.BotUserID + ">", "seats are for people"},
		{guest2, "nominate <@" + guest + ">", "Nominations are for members"},
	} {
		if got := ackText(t, send(t, srv, slash(srv, tc.user, tc.text))); !strings.Contains(got, tc.want) {
			t.Errorf("/closeknit %s by %s: %q, want %q", tc.text, tc.user, got, tc.want)
		}
	}
	if got := ackText(t, send(t, srv, slash(srv, alice, "nominate <@"+guest+"|g> answers every question on the forum"))); !strings.Contains(got, "Your nomination of <@"+guest+"> (R1)") {
		t.Fatalf("nomination: %q", got)
	}
	if got := ackText(t, send(t, srv, slash(srv, bob, "nominate <@"+guest+">"))); !strings.Contains(got, "already has a request") {
		t.Errorf("a second nomination while open: %q", got)
	}
	card := brandCard(t, srv, "R1")
	if b := brandBlocks(srv, card.TS); !strings.Contains(b, "nominates") || !strings.Contains(b, "answers every question") {
		t.Errorf("nomination card: %s", b)
	}
	// Full: the approval is a waitlist place.
	if _, err := ta.store.SetCap(ctxT(t), ta.community, 2, ta.store.Now()); err != nil {
		t.Fatal(err)
	}
	send(t, srv, pressOn(srv, staffUser, "request_approve", brandChannel, card.TS, "acme|R1", false))
	waitTold(t, srv, guest, "you are *#1* on the waitlist")
	waitTold(t, srv, alice, "approved your nomination of <@"+guest+"> (R1): every seat is taken")
	roster, err := ta.store.Roster(ctxT(t), ta.community)
	if err != nil || len(roster.Waitlist) != 1 || roster.Waitlist[0].User != guest {
		t.Errorf("waitlist: %+v, %v", roster, err)
	}
	if got := ackText(t, send(t, srv, slash(srv, alice, "nominate <@"+guest+">"))); !strings.Contains(got, "#1 on the waitlist") {
		t.Errorf("nominating someone waiting: %q", got)
	}

	// A decline; the nomination repeated too soon is refused, after 30 days it is taken.
	if got := ackText(t, send(t, srv, slash(srv, bob, "nominate <@"+guest2+">"))); !strings.Contains(got, "(R2)") {
		t.Fatalf("second nomination: %q", got)
	}
	card2 := brandCard(t, srv, "R2")
	send(t, srv, pressOn(srv, staffUser2, "request_decline", brandChannel, card2.TS, "acme|R2", false))
	waitTold(t, srv, guest2, "cannot offer you one right now")
	waitTold(t, srv, bob, "declined your nomination")
	eventually(t, "the card shows the decline", func() bool { return strings.Contains(brandBlocks(srv, card2.TS), "Declined by") })
	ta.later(29 * 24 * time.Hour)
	if got := ackText(t, send(t, srv, slash(srv, alice, "nominate <@"+guest2+">"))); !strings.Contains(got, "declined a request for <@"+guest2+"> recently") {
		t.Errorf("nominated again after 29 days: %q", got)
	}
	ta.later(2 * 24 * time.Hour)
	if got := ackText(t, send(t, srv, slash(srv, alice, "nominate <@"+guest2+">"))); !strings.Contains(got, "(R3)") {
		t.Errorf("nominated again after 31 days: %q", got)
	}
	if got := metricValue(t, ta, "closeknit_seat_requests_total", "community=acme", "outcome=opened"); got != 3 {
		t.Errorf("opened = %v, want 3", got)
	}
}

// The brand channel refuses the card: staff are told once, the request
// stays listed, /closeknit requests offers the buttons, and a decision
// from there reaches the person.
func TestSeatRequestBrandChannelRefused(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	refuseIn(srv, "not_in_channel")
	ta := MustRunApp(t, srv, withRequests)
	send(t, srv, requestForm(srv, guest, "VREQ000001", "hello"))
	eventually(t, "the refusal is counted and staff warned", func() bool {
		return metricValue(t, ta, "closeknit_slack_refusals_total", "community=acme", "method=request.card", "error=not_in_channel") >= 1 &&
			staffWarned(srv) >= 1
	})
	if got := ackText(t, send(t, srv, slash(srv, "U0MEMBER001", "requests"))); !strings.Contains(got, "brand team") {
		t.Errorf("a member ran /closeknit requests: %q", got)
	}
	_, list := sendCommand(t, srv, channel, staffUser, "requests")
	if !strings.Contains(string(list.Blocks), "R1") || !strings.Contains(string(list.Blocks), "request_approve") {
		t.Fatalf("/closeknit requests: %s %s", list.Text, list.Blocks)
	}
	send(t, srv, pressOn(srv, staffUser, "request_approve", channel, "1.1", "acme|R1", true))
	waitTold(t, srv, staffUser, "R1 :white_check_mark: Approved by")
	waitTold(t, srv, guest, "approved your request")
	if n := staffWarned(srv); n != 1 {
		t.Errorf("staff warned %d times, want once", n)
	}
	// Decided, the card is no longer tried.
	r, err := ta.store.Request(context.Background(), ta.community, "R1")
	if err != nil || r.Status != engagement.RequestApproved || r.Posted() {
		t.Errorf("request: %+v, %v", r, err)
	}
}

// TestDecisionWhileTheCardIsPosted: Slack shows a card before it answers
// the chat.postMessage that posts it, so staff can decide on the card
// before the app knows its ts. The card still comes to show the decision,
// at once, not at the job's next try.
func TestDecisionWhileTheCardIsPosted(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	slowPosts(srv, "request_decline")
	ta := MustRunApp(t, srv, withRequests)
	alice := protoMembers[0]
	seatMembers(t, ta, alice)
	if got := ackText(t, send(t, srv, slash(srv, alice, "nominate <@"+guest+"> helps everyone"))); !strings.Contains(got, "(R1)") {
		t.Fatalf("nomination: %q", got)
	}
	card := brandCard(t, srv, "R1") // up, and its post not answered yet
	send(t, srv, pressOn(srv, staffUser, "request_decline", brandChannel, card.TS, "acme|R1", false))
	waitTold(t, srv, alice, "declined your nomination")
	eventually(t, "the card shows the decline", func() bool {
		b := brandBlocks(srv, card.TS)
		return strings.Contains(b, "Declined by") && !strings.Contains(b, "request_decline")
	})
	// The card notice is marked done just after the update Slack shows.
	var r *engagement.SeatRequest
	var err error
	eventually(t, "the card notice is done", func() bool {
		r, err = ta.store.Request(ctxT(t), ta.community, "R1")
		return err == nil && r.NoticeDone(engagement.NoticeCard)
	})
	if r.TS != card.TS {
		t.Errorf("request after the card's post: ts %q, card %q", r.TS, card.TS)
	}
}
