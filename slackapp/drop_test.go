package slackapp_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/redistest"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// dropSubmission is a view_submission of the drop form.
func dropSubmission(srv *slacktest.Server, user, viewID string, values map[string]string) slacktest.Envelope {
	state := map[string]any{}
	for field, v := range values {
		state[field] = map[string]any{field: map[string]any{"type": "plain_text_input", "value": v}}
	}
	return srv.Interaction(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": srv.TeamID}, "user": map[string]any{"id": user, "team_id": srv.TeamID},
		"api_app_id": srv.AppID, "trigger_id": "1.2.3",
		"view": map[string]any{"id": viewID, "type": "modal", "callback_id": "drop_new", "private_metadata": "acme",
			"state": map[string]any{"values": state}},
	})
}

func dropValues(qty string) map[string]string {
	return map[string]string{"name": "Serum sample kit", "details": "Three sizes", "image_url": "", "quantity": qty, "hours": "1",
		"message": "Fill in https://example.com/ship within 3 days."}
}

// postDrop posts a drop through the form and waits for its card.
func postDrop(t testing.TB, srv *slacktest.Server, ta *testApp, viewID, qty string) *engagement.Drop {
	t.Helper()
	return postDropWith(t, srv, ta, viewID, dropValues(qty))
}

// postDropWith is postDrop with the form's values.
func postDropWith(t testing.TB, srv *slacktest.Server, ta *testApp, viewID string, values map[string]string) *engagement.Drop {
	t.Helper()
	if p := send(t, srv, dropSubmission(srv, staffUser, viewID, values)); len(p) != 0 && string(p) != "null" {
		t.Fatalf("valid drop acked with %s, want a bare ack", p)
	}
	var d *engagement.Drop
	eventually(t, "the drop card is posted and recorded", func() bool {
		all, err := ta.store.Drops(ctxT(t), ta.community)
		if err != nil || len(all) == 0 || !all[0].Posted() {
			return false
		}
		d = all[0]
		return true
	})
	return d
}

func toldPrivately(srv *slacktest.Server, user, want string) bool {
	for _, m := range srv.Messages(channel) {
		if m.Ephemeral && m.User == user && strings.Contains(m.Text, want) {
			return true
		}
	}
	return false
}

func TestDropFormCardAndClaims(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withProtoConfig)
	seatMembers(t, ta, protoMembers...)
	alice, bob, carol := protoMembers[0], protoMembers[1], protoMembers[2]

	send(t, srv, slash(srv, staffUser, "drop"))
	if opens := srv.Calls("views.open"); len(opens) != 1 || !strings.Contains(opens[0].Args.Get("view"), `"callback_id":"drop_new"`) {
		t.Fatalf("views.open calls: %+v", opens)
	}
	if got := ackText(t, send(t, srv, slash(srv, alice, "drop"))); !strings.Contains(got, "brand team") {
		t.Errorf("a member ran /closeknit drop: %q", got)
	}
	var resp struct {
		Errors map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(send(t, srv, dropSubmission(srv, staffUser, "V0DROP0000", dropValues("0"))), &resp); err != nil || resp.Errors["quantity"] == "" {
		t.Errorf("a quantity of 0: %+v, %v", resp, err)
	}

	d := postDrop(t, srv, ta, "V0DROP0001", "2")
	waitTold(t, srv, staffUser, "Posted "+d.ID)
	send(t, srv, dropSubmission(srv, staffUser, "V0DROP0001", dropValues("2"))) // submitted again
	if n := len(cards(srv)); n != 1 {
		t.Errorf("%d cards after a repeated submission, want 1", n)
	}

	// Alice double-clicks: one unit, one DM. Bob wins the other; Carol waits.
	send(t, srv, press(srv, alice, "drop_claim", d.TS, d.ID, false))
	send(t, srv, press(srv, alice, "drop_claim", d.TS, d.ID, false))
	send(t, srv, press(srv, bob, "drop_claim", d.TS, d.ID, false))
	send(t, srv, press(srv, carol, "drop_claim", d.TS, d.ID, false))
	send(t, srv, press(srv, "UNOSEAT001", "drop_claim", d.TS, d.ID, false))
	send(t, srv, press(srv, staffUser, "drop_claim", d.TS, d.ID, false))
	waitTold(t, srv, alice, "https://example.com/ship")
	waitTold(t, srv, bob, "https://example.com/ship")
	eventually(t, "everyone is answered privately", func() bool {
		return toldPrivately(srv, carol, "number 1 in line") && toldPrivately(srv, "UNOSEAT001", "holding a seat") &&
			toldPrivately(srv, staffUser, "brand team cannot claim") && toldPrivately(srv, alice, "already have one")
	})
	eventually(t, "the card shows none left", func() bool { return strings.Contains(cardText(srv, d.TS), "All 2 claimed") })

	// Staff give Alice's unit back: Carol, next in line, gets it and a DM.
	if got := ackText(t, send(t, srv, slash(srv, staffUser, "drop release "+d.ID+" <@"+alice+"|alice>"))); !strings.Contains(got, carol) {
		t.Errorf("release: %q", got)
	}
	waitTold(t, srv, carol, "https://example.com/ship")
	if n := countMessages(srv, alice, "https://example.com/ship"); n != 1 {
		t.Errorf("alice got %d DMs, want 1", n)
	}
	if got := metricValue(t, ta, "closeknit_drop_claims_total", "outcome=won"); got != 2 {
		t.Errorf("claims won = %v, want 2", got)
	}
	if got := metricValue(t, ta, "closeknit_drop_claims_total", "outcome=refused"); got != 3 {
		t.Errorf("claims refused = %v, want 3 (a repeat, no seat, staff)", got)
	}

	// Closing: the card shows the final count, the brand channel the claimants, once.
	send(t, srv, slash(srv, staffUser, "drop close "+d.ID))
	eventually(t, "the claimants in the brand channel", func() bool { return len(srv.Messages(brandChannel)) > 0 })
	eventually(t, "the card shows it closed", func() bool { return strings.Contains(cardText(srv, d.TS), "Closed: 2 of 2 claimed") })
	if msg := srv.Messages(brandChannel)[0].Text; !strings.Contains(msg, bob) || !strings.Contains(msg, carol) || strings.Contains(msg, "<@"+alice) {
		t.Errorf("claimants posted: %q", msg)
	}
}

// TestDropBurstTwoReplicas: 500 presses of Claim reach two replicas of
// the app as fast as Slack would deliver them (at most 16 un-acked): 200
// seated members press twice, 100 presses come from people without a
// seat. Exactly 20 distinct members win, each DMed exactly once; the card
// is updated at most about once a second and ends showing the truth.
func TestDropBurstTwoReplicas(t *testing.T) {
	t.Parallel()
	b := dropBurst(t, 200, 100, 20)
	b.check(t, 500, 20, 180)
	claims, _, err := b.r1.store.DropPeople(ctxT(t), b.r1.community, b.d.ID)
	if err != nil {
		t.Fatal(err)
	}
	srv := b.srv
	eventually(t, "each winner DMed", func() bool {
		for _, c := range claims {
			if countMessages(srv, c.User, "https://example.com/ship") == 0 {
				return false
			}
		}
		return true
	})
	eventually(t, "the card shows the last state", func() bool { return strings.Contains(cardText(srv, b.d.TS), "180 waiting") })
	time.Sleep(2 * time.Second) // let any DM or update still in flight land before counting
	for _, c := range claims {
		if n := countMessages(srv, c.User, "https://example.com/ship"); n != 1 {
			t.Errorf("winner %s DMed %d times", c.User, n)
		}
	}
	dmed := 0
	for _, u := range b.members {
		dmed += countMessages(srv, u, "https://example.com/ship")
	}
	if dmed != 20 {
		t.Errorf("%d winner DMs in all, want 20", dmed)
	}
	updates := b.updates()
	// One turn a second across replicas, plus the one trailing update.
	if limit := int(b.res.Elapsed/time.Second) + 3; updates > limit {
		t.Errorf("card updated %d times during a %s burst, want at most %d", updates, b.res.Elapsed, limit)
	}
	t.Logf("500 presses acked in %s (%.0f presses/s through Slack and two replicas); card updated %d times",
		b.res.Elapsed, 500/b.res.Elapsed.Seconds(), updates)
	if got := metricValue(t, b.r1, "closeknit_drop_claims_total", "outcome=won") + metricValue(t, b.r2, "closeknit_drop_claims_total", "outcome=won"); got != 20 {
		t.Errorf("won claims counted %v, want 20", got)
	}
}

// burst is a drop pressed by many at once through two replicas.
type burst struct {
	srv     *slacktest.Server
	r1, r2  *testApp
	d       *engagement.Drop
	members []string
	res     slacktest.BurstResult
}

// dropBurst posts a drop of qty units and delivers, as fast as Slack would
// (at most 16 un-acked), two presses of Claim from each of seated members
// and one from each of unseated people without a seat, to two replicas.
func dropBurst(tb testing.TB, seated, unseated, qty int) *burst {
	tb.Helper()
	b := &burst{srv: slacktest.NewServer(tb)}
	ns := fmt.Sprintf("cktest-app-%d-%d", os.Getpid(), nsSeq.Add(1))
	b.r1 = MustRunAppNS(tb, b.srv, redistest.URL(), ns, withProtoConfig)
	b.r2 = MustRunAppNS(tb, b.srv, redistest.URL(), ns, withProtoConfig)
	if err := b.srv.WaitConnections(ctxT(tb), 2); err != nil {
		tb.Fatal(err)
	}
	for i := range seated {
		b.members = append(b.members, fmt.Sprintf("UBURST%05d", i))
	}
	seatMembers(tb, b.r1, b.members...)
	b.d = postDrop(tb, b.srv, b.r1, "V0BURST001", strconv.Itoa(qty))

	var frames [][]byte
	var ids []string
	add := func(user string) {
		env := press(b.srv, user, "drop_claim", b.d.TS, b.d.ID, false)
		frames, ids = append(frames, env.Frame), append(ids, env.ID)
	}
	for range 2 { // each member clicks twice
		for _, u := range b.members {
			add(u)
		}
	}
	for i := range unseated {
		add(fmt.Sprintf("UNOSEAT%04d", i))
	}
	res, err := b.srv.Burst(ctxT(tb), frames, ids, 16)
	if err != nil {
		tb.Fatalf("burst: %v", err)
	}
	b.res = res
	return b
}

// check fails tb unless every press was acked and the drop, read through
// the second replica, has exactly the winners and line wanted.
func (b *burst) check(tb testing.TB, acked, claimed, waiting int) {
	tb.Helper()
	if b.res.Acked != acked {
		tb.Fatalf("burst: %d of %d acked", b.res.Acked, acked)
	}
	got, err := b.r2.store.Drop(ctxT(tb), b.r2.community, b.d.ID)
	if err != nil || got.Claimed != claimed || got.Waiting != waiting {
		tb.Fatalf("after the burst: %+v, %v; want %d claimed, %d waiting", got, err, claimed, waiting)
	}
}

// updates is how many times the drop's card was updated.
func (b *burst) updates() int {
	for _, m := range b.srv.Messages(channel) {
		if m.TS == b.d.TS {
			return m.Updates
		}
	}
	return 0
}

// BenchmarkDropBurstCardUpdates delivers 10,000 presses of Claim (5,000
// seated members, each twice) on a 1,000-unit drop to two replicas, and
// reports presses/s through Slack and the app, and the card's updates per
// second of burst (Slack's limit is about one; the last state always
// lands). Run:
//
//	go test ./slackapp -run XXX -bench DropBurstCardUpdates -benchtime 3x
func BenchmarkDropBurstCardUpdates(b *testing.B) {
	var presses, updates, secs float64
	for range b.N {
		bu := dropBurst(b, 5000, 0, 1000)
		bu.check(b, 10000, 1000, 4000)
		eventually(b, "the card shows the last state", func() bool { return strings.Contains(cardText(bu.srv, bu.d.TS), "4000 waiting") })
		presses += float64(bu.res.Acked)
		updates += float64(bu.updates())
		secs += bu.res.Elapsed.Seconds()
	}
	b.ReportMetric(presses/secs, "presses/s")
	b.ReportMetric(updates/secs, "card_updates/s")
	b.ReportMetric(0, "ns/op")
}

// dmButton is a press of a button in the DM whose blocks hold actionID,
// the last such DM user got, as Slack sends it (the DM's channel, its ts
// and text). It fails the test if there is none.
func dmButton(t *testing.T, srv *slacktest.Server, user, actionID string) slacktest.Envelope {
	t.Helper()
	var dm *slacktest.Message
	var value string
	for _, m := range srv.Messages(user) {
		if v, ok := m.Button(actionID); ok {
			dm, value = &m, v
		}
	}
	if dm == nil {
		t.Fatalf("%s has no DM with a %s button", user, actionID)
	}
	return srv.Interaction(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user}, "api_app_id": srv.AppID, "trigger_id": "1.2.3",
		"team":      map[string]any{"id": srv.TeamID},
		"container": map[string]any{"type": "message", "message_ts": dm.TS, "channel_id": user, "is_ephemeral": false},
		"channel":   map[string]any{"id": user},
		"message":   map[string]any{"type": "message", "ts": dm.TS, "user": srv.BotUserID, "text": dm.Text},
		"actions":   []any{map[string]any{"action_id": actionID, "block_id": "drop_confirm_actions", "type": "button", "value": value, "action_ts": "1.1"}},
	})
}

// TestDropConfirmDeadline: a drop asking winners to confirm within a day.
// Alice confirms (twice: once counted); Bob lets the day pass, so his unit
// goes to Carol, next in line, who is DMed with her own day, and Bob is
// told; Bob's late Confirm changes nothing; Carol passes hers on with
// nobody left in line. All against the hostile emulator.
func TestDropConfirmDeadline(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withProtoConfig)
	seatMembers(t, ta, protoMembers...)
	alice, bob, carol := protoMembers[0], protoMembers[1], protoMembers[2]

	values := dropValues("2")
	values["confirm_hours"] = "0"
	var resp struct {
		Errors map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(send(t, srv, dropSubmission(srv, staffUser, "V0DROPC000", values)), &resp); err != nil || resp.Errors["confirm_hours"] == "" {
		t.Errorf("confirm within 0 hours: %+v, %v; want the field refused", resp, err)
	}
	values["confirm_hours"] = "24"
	d := postDropWith(t, srv, ta, "V0DROPC001", values)
	if d.ConfirmWithin != 24*time.Hour || !strings.Contains(cardText(srv, d.TS), "Winners confirm within 24 hours") {
		t.Errorf("confirm within %v; card %s", d.ConfirmWithin, cardText(srv, d.TS))
	}
	for _, u := range []string{alice, bob, carol} {
		send(t, srv, press(srv, u, "drop_claim", d.TS, d.ID, false))
	}
	waitTold(t, srv, alice, "within 24 hours")
	waitTold(t, srv, bob, "within 24 hours")
	eventually(t, "the winners' clocks start", func() bool {
		cs, _, err := ta.store.DropPeople(ctxT(t), ta.community, d.ID)
		return err == nil && len(cs) == 2 && !cs[0].ConfirmBy.IsZero() && !cs[1].ConfirmBy.IsZero()
	})

	press := dmButton(t, srv, alice, "drop_confirm")
	send(t, srv, press)
	send(t, srv, press)                    // a double click
	waitTold(t, srv, alice, "it is yours") // "Confirmed: …", or "You confirmed already: …" after the second press
	eventually(t, "the card counts the confirmation", func() bool { return strings.Contains(cardText(srv, d.TS), "(1 confirmed)") })

	// A day and a minute later, the job passes Bob's unit to Carol.
	ta.later(24*time.Hour + time.Minute)
	waitTold(t, srv, bob, "The time to confirm your *Serum sample kit*")
	waitTold(t, srv, carol, "within 24 hours")
	send(t, srv, dmButton(t, srv, bob, "drop_confirm"))
	waitTold(t, srv, bob, "no longer yours")

	send(t, srv, dmButton(t, srv, carol, "drop_pass_on"))
	waitTold(t, srv, carol, "nobody was in line")
	cs, waiting, err := ta.store.DropPeople(ctxT(t), ta.community, d.ID)
	if err != nil || len(cs) != 1 || cs[0].User != alice || !cs[0].Confirmed || len(waiting) != 0 {
		t.Errorf("winners %+v waiting %+v (%v); want alice alone, confirmed", cs, waiting, err)
	}
	for outcome, want := range map[string]float64{"confirmed": 1, "expired": 1, "passed_on": 1} {
		if got := metricValue(t, ta, "closeknit_drop_confirmations_total", "outcome="+outcome); got != want {
			t.Errorf("confirmations %s = %v, want %v", outcome, got, want)
		}
	}
	if n := countMessages(srv, carol, "You have one of"); n != 1 {
		t.Errorf("carol got %d winner DMs, want 1", n)
	}
}

// TestDropCardAfterACrash: a replica claimed a drop's card and died before
// posting it. The job leaves the claim alone while it is fresh (the poster
// may be slow), and posts the card, once, when it is stale.
func TestDropCardAfterACrash(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withProtoConfig)
	ctx := ctxT(t)
	d, err := ta.store.CreateDrop(ctx, ta.community, engagement.DropSpec{Name: "Lip balm", Quantity: 5, Window: 24 * time.Hour,
		Author: staffUser}, "crashed-submission")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := ta.store.ClaimDropCard(ctx, ta.community, d.ID); err != nil || !ok {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	time.Sleep(300 * time.Millisecond) // many job ticks
	if n := len(cards(srv)); n != 0 {
		t.Fatalf("%d cards posted under a fresh claim, want 0", n)
	}
	ta.later(6 * time.Minute)
	eventually(t, "the job posts the card", func() bool {
		got, err := ta.store.Drop(ctx, ta.community, d.ID)
		return err == nil && got.Posted()
	})
	time.Sleep(300 * time.Millisecond)
	if n := len(cards(srv)); n != 1 {
		t.Errorf("%d cards, want 1", n)
	}
}

// TestDropCardSlackTroubleIsPostedByTheJob: Slack answers the card's post
// with trouble of its own (internal_error). The poster is told it will be
// tried again, and the job posts the card, once, when the claim is stale.
func TestDropCardSlackTroubleIsPostedByTheJob(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	troubleFirst(srv, "drop_claim", 1)
	ta := MustRunApp(t, srv, withProtoConfig)
	send(t, srv, dropSubmission(srv, staffUser, "V0DROP0001", dropValues("1")))
	waitTold(t, srv, staffUser, "I will post it again in a few minutes")
	time.Sleep(300 * time.Millisecond) // many job ticks
	if n := len(cards(srv)); n != 0 {
		t.Fatalf("%d cards posted under a fresh claim, want 0", n)
	}
	ta.later(6 * time.Minute)
	ctx := ctxT(t)
	eventually(t, "the job posts the card", func() bool {
		all, err := ta.store.Drops(ctx, ta.community)
		return err == nil && len(all) == 1 && all[0].Posted()
	})
	time.Sleep(300 * time.Millisecond)
	if n := len(cards(srv)); n != 1 {
		t.Errorf("%d cards, want 1", n)
	}
}

// TestDropClaimWhileTheCardIsPosted: Slack shows a card before it answers
// the chat.postMessage that posts it, so a member can claim before the app
// knows the card's ts. The card still comes to show the claim.
func TestDropClaimWhileTheCardIsPosted(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	slowPosts(srv, "drop_claim")
	ta := MustRunApp(t, srv, withProtoConfig)
	seatMembers(t, ta, protoMembers...)
	alice := protoMembers[0]
	send(t, srv, dropSubmission(srv, staffUser, "V0DROP0001", dropValues("1")))
	card := cardWith(t, srv, "drop_claim") // up, its post not answered yet
	all, err := ta.store.Drops(ctxT(t), ta.community)
	if err != nil || len(all) != 1 || all[0].Posted() {
		t.Fatalf("drops while the card is posted: %+v, %v; want one, its card not recorded yet", all, err)
	}
	send(t, srv, press(srv, alice, "drop_claim", card.TS, all[0].ID, false))
	waitTold(t, srv, alice, "https://example.com/ship")
	eventually(t, "the card shows the claim", func() bool { return strings.Contains(cardText(srv, card.TS), "All 1 claimed") })
}
