package slackapp_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/redistest"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

const brand = "C0BRAND0001"

// memberApp runs an app with a community of the given cap and policy, a
// brand channel, and an emulator that sends member events for invites and
// kicks, as Slack does.
func memberApp(t *testing.T, capacity int, policy string) (*testApp, *slacktest.Server) {
	t.Helper()
	srv := slacktest.NewServer(t)
	srv.Configure(func(s *slacktest.Server) { s.MemberEvents = true })
	ta := MustRunApp(t, srv, func(cfg *slackapp.Config) {
		c := cfg.Communities[0]
		c.Cap, c.FullPolicy, c.BrandChannel = capacity, policy, brand
	})
	// The roster check at start must find the channel empty: it seats whoever
	// it finds, even over the cap (issue 10 C2), so a person the test joins
	// while it runs would skip the join handler the test is about.
	deadline := time.Now().Add(10 * time.Second)
	for metricValue(t, ta, "closeknit_job_runs_total", "task=roster", "outcome=ok") < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the roster check did not run at start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return ta, srv
}

// joinChannel is a person joining the channel by themselves: the emulator
// adds them to its member list and Slack sends member_joined_channel.
func joinChannel(t *testing.T, srv *slacktest.Server, users ...string) []slacktest.Envelope {
	t.Helper()
	var envs []slacktest.Envelope
	for _, u := range users {
		srv.SetMembers(channel, append(srv.Members(channel), u))
		envs = append(envs, srv.Event(memberEvent("member_joined_channel", u)))
	}
	sendAll(t, srv, envs)
	return envs
}

func leaveChannel(t *testing.T, srv *slacktest.Server, user string) slacktest.Envelope {
	t.Helper()
	srv.SetMembers(channel, slices.DeleteFunc(srv.Members(channel), func(m string) bool { return m == user }))
	env := srv.Event(memberEvent("member_left_channel", user))
	sendAll(t, srv, []slacktest.Envelope{env})
	return env
}

func memberEvent(typ, user string) map[string]any {
	return map[string]any{"type": typ, "user": user, "channel": channel, "channel_type": "C", "team": "T04QJ9ZK2MN", "event_ts": tsOf(time.Now())}
}

// roster waits until cond holds for the community's roster, or fails.
func (ta *testApp) waitRoster(t *testing.T, what string, cond func(*engagement.Roster) bool) *engagement.Roster {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := ta.store.Roster(context.Background(), ta.community)
		if err != nil {
			t.Fatal(err)
		}
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("roster never got %s: %+v", what, r)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func seatedUsers(r *engagement.Roster) []string  { return r.SeatedUsers() }
func waitingUsers(r *engagement.Roster) []string { return r.WaitingUsers() }

// waitMessage waits for a message posted to channel whose text contains
// want, and returns it.
func waitMessage(t *testing.T, srv *slacktest.Server, ch, want string) slacktest.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, m := range srv.Messages(ch) {
			if strings.Contains(m.Text, want) {
				return m
			}
		}
		if time.Now().After(deadline) {
			var texts []string
			for _, m := range srv.Messages(ch) {
				texts = append(texts, m.Text)
			}
			t.Fatalf("no message in %s containing %q; have %q", ch, want, texts)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func countMessages(srv *slacktest.Server, ch, want string) int {
	n := 0
	for _, m := range srv.Messages(ch) {
		if strings.Contains(m.Text, want) {
			n++
		}
	}
	return n
}

// command runs /closeknit text as user and returns the ephemeral reply.
func command(t *testing.T, srv *slacktest.Server, user, text string) string {
	t.Helper()
	r := runCommand(t, srv, channel, user, text)
	if r.ResponseType != "ephemeral" {
		t.Errorf("/closeknit %s: reply is %q, want ephemeral", text, r.ResponseType)
	}
	return r.Text
}

func TestJoinWhileFullRemovesAndWaitlists(t *testing.T) {
	t.Parallel()
	ta, srv := memberApp(t, 2, engagement.PolicyRemove)
	joinChannel(t, srv, "U0MEMBER001", "U0MEMBER002")
	ta.waitRoster(t, "two seats", func(r *engagement.Roster) bool { return len(r.Seated) == 2 })
	// Both are welcomed in the channel, by mention, once.
	waitMessage(t, srv, channel, "<@U0MEMBER001>")
	waitMessage(t, srv, channel, "<@U0MEMBER002>")

	envs := joinChannel(t, srv, "U0MEMBER003")
	r := ta.waitRoster(t, "a waitlist", func(r *engagement.Roster) bool { return len(r.Waitlist) == 1 })
	if diff := slices.Compare([]string{"U0MEMBER001", "U0MEMBER002"}, seatedUsers(r)); diff != 0 {
		t.Errorf("seated %v", seatedUsers(r))
	}
	kicks, err := srv.WaitCall(ctxT(t), "conversations.kick", 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := kicks[0].Args.Get("user"); got != "U0MEMBER003" {
		t.Errorf("kicked %s, want U0MEMBER003", got)
	}
	dm := waitMessage(t, srv, "U0MEMBER003", "#1")
	if !strings.Contains(dm.Text, "waitlist") {
		t.Errorf("waitlist DM %q does not mention the waitlist", dm.Text)
	}
	// The redelivered join changes nothing and kicks nobody again.
	sendAll(t, srv, []slacktest.Envelope{redelivery(srv, envs[0])})
	time.Sleep(200 * time.Millisecond)
	if n := len(srv.Calls("conversations.kick")); n != 1 {
		t.Errorf("%d kicks after a redelivered join, want 1", n)
	}
	if n := countMessages(srv, channel, "<@U0MEMBER001>"); n != 1 {
		t.Errorf("U0MEMBER001 welcomed %d times", n)
	}
	if got := command(t, srv, "U0MEMBER003", "status"); !strings.Contains(got, "#1") {
		t.Errorf("status of the waiting member: %q", got)
	}

	// A seat frees: the head of the waitlist is invited, joins (the
	// emulator sends the event), is welcomed, and the brand team is told.
	leaveChannel(t, srv, "U0MEMBER001")
	invites, err := srv.WaitCall(ctxT(t), "conversations.invite", 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := invites[0].Args.Get("users"); got != "U0MEMBER003" {
		t.Errorf("invited %s, want U0MEMBER003", got)
	}
	waitMessage(t, srv, "U0MEMBER003", "a seat opened up")
	waitMessage(t, srv, brand, "<@U0MEMBER003> took a free seat")
	waitMessage(t, srv, channel, "<@U0MEMBER003>") // welcome
	r = ta.waitRoster(t, "the promoted member seated", func(r *engagement.Roster) bool { return len(r.Waitlist) == 0 && len(r.Seated) == 2 })
	if diff := slices.Compare([]string{"U0MEMBER002", "U0MEMBER003"}, seatedUsers(r)); diff != 0 {
		t.Errorf("seated after promotion %v", seatedUsers(r))
	}
	if v := metricValue(t, ta, "closeknit_promotions_total", "community=acme"); v != 1 {
		t.Errorf("promotions metric %v, want 1", v)
	}
	if v := metricValue(t, ta, "closeknit_cap_removals_total", "community=acme"); v != 1 {
		t.Errorf("cap removals metric %v, want 1", v)
	}
}

func TestJoinWhileFullWarnPolicy(t *testing.T) {
	t.Parallel()
	ta, srv := memberApp(t, 1, engagement.PolicyWarn)
	joinChannel(t, srv, "U0MEMBER001", "U0MEMBER002")
	// Slack may deliver the two joins in either order: whoever comes second
	// finds the channel full.
	waitMessage(t, srv, brand, "joined <#"+channel+"> while it is full")
	r := ta.waitRoster(t, "both seated", func(r *engagement.Roster) bool { return len(r.Seated) == 2 })
	if len(r.Waitlist) != 0 || len(srv.Calls("conversations.kick")) != 0 {
		t.Errorf("warn policy removed someone: waitlist %v, kicks %d", waitingUsers(r), len(srv.Calls("conversations.kick")))
	}
}

func TestPromotionSkipsWhoCannotBeInvited(t *testing.T) {
	t.Parallel()
	ta, srv := memberApp(t, 1, engagement.PolicyRemove)
	srv.Configure(func(s *slacktest.Server) {
		s.MethodError = func(method string, form url.Values) string {
			if method == "conversations.invite" && form.Get("users") == "U0MEMBER002" {
				return "user_is_restricted"
			}
			return ""
		}
	})
	joinChannel(t, srv, "U0MEMBER001")
	ta.waitRoster(t, "a seat", func(r *engagement.Roster) bool { return len(r.Seated) == 1 })
	if got := command(t, srv, "U0STAFF0001", "waitlist add <@U0MEMBER002|two> <@U0MEMBER003>"); !strings.Contains(got, "#2") {
		t.Errorf("waitlist add reply %q", got)
	}
	leaveChannel(t, srv, "U0MEMBER001")
	waitMessage(t, srv, brand, "could not invite <@U0MEMBER002>")
	waitMessage(t, srv, brand, "<@U0MEMBER003> took a free seat")
	r := ta.waitRoster(t, "U0MEMBER003 seated", func(r *engagement.Roster) bool {
		return slices.Equal(seatedUsers(r), []string{"U0MEMBER003"}) && len(r.Waitlist) == 0
	})
	_ = r
}

func TestStaffCommandsAreForStaff(t *testing.T) {
	t.Parallel()
	ta, srv := memberApp(t, 1, engagement.PolicyRemove)
	for _, text := range []string{"invite <@U0MEMBER009>", "remove <@U0MEMBER009>", "waitlist", "waitlist add <@U0MEMBER009>", "cap 50", "members", "forget <@U0MEMBER009>", "privacy <@U0MEMBER009>"} {
		if got := command(t, srv, "U0MEMBER001", text); !strings.Contains(got, "for the brand team") {
			t.Errorf("member ran %q: %q", text, got)
		}
	}
	r := ta.waitRoster(t, "nothing", func(r *engagement.Roster) bool { return true })
	if len(r.Seated) != 0 || len(r.Waitlist) != 0 || r.Cap != 1 {
		t.Errorf("refused commands changed the roster: %+v", r)
	}
	if n := len(srv.Calls("conversations.invite")) + len(srv.Calls("conversations.kick")); n != 0 {
		t.Errorf("refused commands called Slack %d times", n)
	}
}

func TestStaffCommands(t *testing.T) {
	t.Parallel()
	ta, srv := memberApp(t, 2, engagement.PolicyRemove)
	staff := "U0STAFF0001"
	for _, tc := range []struct{ text, want string }{
		{"invite", "Usage: /closeknit invite"},
		{"invite bob", `"bob" is not a person`},
		{"cap many", `"many" is not a cap`},
		{"cap 0", `"0" is not a cap`},
		{"waitlist move <@U0MEMBER001>", "Usage: /closeknit waitlist"},
		{"waitlist move <@U0MEMBER001> first", `"first" is not a position`},
		{"waitlist shuffle", "Usage: /closeknit waitlist"},
		{"remove", "Usage: /closeknit remove"},
		{"invite <@U0MEMBER001|one> <@U0MEMBER002>", "<@U0MEMBER002> has a seat"},
		{"invite <@U0MEMBER001>", "already has a seat"},
		{"invite <@U0MEMBER003> <@U0MEMBER004>", "<@U0MEMBER004> is *#2*"},
		{"invite <@U0STAFF0001>", "needs no seat"},
		{"waitlist move <@U0MEMBER004> 1", "now *#1*"},
		{"waitlist", "1. <@U0MEMBER004>"},
		{"waitlist drop <@U0MEMBER009>", "is not on the waitlist"},
		{"members", "2 of 2 seats taken, 0 free, 2 waiting"},
	} {
		if got := command(t, srv, staff, tc.text); !strings.Contains(got, tc.want) {
			t.Errorf("/closeknit %s: %q, want it to contain %q", tc.text, got, tc.want)
		}
	}
	if _, err := srv.WaitCall(ctxT(t), "conversations.invite", 2); err != nil {
		t.Fatal(err)
	}
	// Raising the cap promotes the head of the waitlist.
	if got := command(t, srv, staff, "cap 3"); !strings.Contains(got, "1 from the waitlist") {
		t.Errorf("cap 3: %q", got)
	}
	invites, err := srv.WaitCall(ctxT(t), "conversations.invite", 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := invites[2].Args.Get("users"); got != "U0MEMBER004" {
		t.Errorf("cap raise invited %s, want U0MEMBER004", got)
	}
	// Removing a member frees their seat for the next in line.
	if got := command(t, srv, staff, "remove <@U0MEMBER001>"); !strings.Contains(got, "freed their seat") {
		t.Errorf("remove: %q", got)
	}
	r := ta.waitRoster(t, "U0MEMBER003 promoted", func(r *engagement.Roster) bool { return len(r.Waitlist) == 0 })
	if diff := slices.Compare([]string{"U0MEMBER002", "U0MEMBER003", "U0MEMBER004"}, seatedUsers(r)); diff != 0 {
		t.Errorf("seated %v", seatedUsers(r))
	}
	if srv.Members(channel) != nil && slices.Contains(srv.Members(channel), "U0MEMBER001") {
		t.Error("removed member is still in the channel")
	}
}

func TestIntroAndOneNudge(t *testing.T) {
	t.Parallel()
	ta, srv := memberApp(t, 10, engagement.PolicyRemove)
	joinChannel(t, srv, "U0MEMBER001", "U0MEMBER002")
	welcome := waitMessage(t, srv, channel, "<@U0MEMBER001>")
	// The app records the welcome's ts just after Slack answers the post;
	// a person replies seconds later, the test must wait for it.
	for deadline := time.Now().Add(10 * time.Second); ; {
		ts, err := ta.store.WelcomeTS(context.Background(), ta.community, "U0MEMBER001")
		if err != nil {
			t.Fatal(err)
		}
		if ts == welcome.TS {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("welcome ts recorded as %q, want %q", ts, welcome.TS)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Member 1 replies in their welcome thread: their intro.
	sendAll(t, srv, []slacktest.Envelope{srv.Event(message("U0MEMBER001", time.Now(), welcome.TS))})
	ta.waitRoster(t, "member 1 introduced", func(r *engagement.Roster) bool {
		for _, s := range r.Seated {
			if s.User == "U0MEMBER001" {
				return s.Intro
			}
		}
		return false
	})
	if v := metricValue(t, ta, "closeknit_intros_total", "community=acme"); v != 1 {
		t.Errorf("intros metric %v, want 1", v)
	}
	// Three days on, member 2 gets one nudge, however often the job runs.
	ta.later(3*24*time.Hour + time.Minute)
	for range 3 {
		if err := ta.RunJob(ctxT(t), "nudges"); err != nil {
			t.Fatal(err)
		}
	}
	waitMessage(t, srv, "U0MEMBER002", "only reminder")
	if n := countMessages(srv, "U0MEMBER002", "only reminder"); n != 1 {
		t.Errorf("member 2 nudged %d times", n)
	}
	if n := countMessages(srv, "U0MEMBER001", "only reminder"); n != 0 {
		t.Errorf("member 1, who introduced themselves, was nudged")
	}
}

func TestPrivacyOptOutAndForget(t *testing.T) {
	t.Parallel()
	ta, srv := memberApp(t, 10, engagement.PolicyRemove)
	joinChannel(t, srv, "U0MEMBER001", "U0MEMBER002")
	waitMessage(t, srv, channel, "<@U0MEMBER001>")
	now := time.Now()
	sendAll(t, srv, []slacktest.Envelope{
		srv.Event(message("U0MEMBER001", now, "")),
		srv.Event(message("U0MEMBER002", now.Add(time.Millisecond), "")),
		srv.Event(map[string]any{"type": "reaction_added", "user": "U0MEMBER001", "reaction": "heart", "item_user": "U0MEMBER002",
			"item": map[string]any{"type": "message", "channel": channel, "ts": tsOf(now.Add(time.Millisecond))}, "event_ts": tsOf(now.Add(2 * time.Millisecond))}),
	})
	later := func(user, text, want string) {
		t.Helper()
		env, r := sendCommand(t, srv, channel, user, text)
		if !strings.Contains(r.Text, "…") {
			t.Errorf("%s: ack %q, want a working note", text, r.Text)
		}
		if got := laterReply(t, srv, env); !strings.Contains(got, want) {
			t.Errorf("%s: later reply %q, want %q", text, got, want)
		}
	}
	later("U0MEMBER001", "privacy", "Per-person statistics: on")
	if got := command(t, srv, "U0MEMBER001", "optout"); !strings.Contains(got, "no per-person statistics") {
		t.Errorf("optout: %q", got)
	}
	later("U0MEMBER001", "privacy", "*off* (opted out)")
	later("U0MEMBER001", "forget", "I deleted all")
	if dump := dumpNamespace(t, ta); strings.Contains(dump, "U0MEMBER001") {
		t.Errorf("after forget Redis still holds U0MEMBER001:\n%s", dump)
	}
	// Staff can forget a member too; the other member's data stays until then.
	if dump := dumpNamespace(t, ta); !strings.Contains(dump, "U0MEMBER002") {
		t.Fatal("forget removed the other member's data")
	}
	later("U0STAFF0001", "forget <@U0MEMBER002>", "about <@U0MEMBER002>")
	if dump := dumpNamespace(t, ta); strings.Contains(dump, "U0MEMBER002") {
		t.Errorf("after staff forget Redis still holds U0MEMBER002:\n%s", dump)
	}
}

// dumpNamespace renders every key of the app's namespace with its contents.
func dumpNamespace(t *testing.T, ta *testApp) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	// ScanKeys: on a Redis Cluster a plain SCAN sees one node's keys only.
	keys, err := redistest.ScanKeys(ctx, ta.rdb, ta.ns+":*")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	for _, k := range keys {
		typ := ta.rdb.Type(ctx, k).Val()
		var v any
		switch typ {
		case "string":
			v = ta.rdb.Get(ctx, k).Val()
		case "hash":
			v = ta.rdb.HGetAll(ctx, k).Val()
		case "set":
			v = ta.rdb.SMembers(ctx, k).Val()
		case "zset":
			v = ta.rdb.ZRange(ctx, k, 0, -1).Val()
		case "stream":
			v = ta.rdb.XRange(ctx, k, "-", "+").Val()
		}
		fmt.Fprintf(&b, "%s %s %v\n", k, typ, v)
	}
	return b.String()
}

func TestRosterReconciliation(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	srv.SetUserGroup("S0BRANDTM01", []string{"U0GROUPST01"})
	// Members who were in the channel before closeknit (and a bot, and
	// staff, listed or by user group) are found by the first roster check,
	// at start; nobody is welcomed for it.
	srv.SetUser(slacktest.User{ID: "U0HELPBOT01", Name: "helpbot", IsBot: true})
	srv.SetMembers(channel, []string{"U0MEMBER001", "U0MEMBER002", "U0HELPBOT01", "U0STAFF0001", "U0GROUPST01", srv.BotUserID})
	ta := MustRunApp(t, srv, func(cfg *slackapp.Config) { cfg.Communities[0].StaffGroup = "S0BRANDTM01" })
	r := ta.waitRoster(t, "two seats", func(r *engagement.Roster) bool { return len(r.Seated) == 2 })
	if diff := slices.Compare([]string{"U0MEMBER001", "U0MEMBER002"}, seatedUsers(r)); diff != 0 {
		t.Errorf("seated %v", seatedUsers(r))
	}
	for _, s := range r.Seated {
		if !s.Existing {
			t.Errorf("%s not marked as an existing member", s.User)
		}
	}
	if n := len(srv.Messages(channel)); n != 0 {
		t.Errorf("reconciliation posted %d messages", n)
	}
	waitMetric(t, ta, 2, "closeknit_seats_used", "community=acme") // set at the end of the check
	if got := command(t, srv, "U0GROUPST01", "members"); !strings.Contains(got, "2 of 100 seats taken") {
		t.Errorf("staff by user group ran members: %q", got)
	}
}

func TestWelcomeRefusedIsReportedOnce(t *testing.T) {
	t.Parallel()
	ta, srv := memberApp(t, 10, engagement.PolicyRemove)
	srv.Configure(func(s *slacktest.Server) {
		s.MethodError = func(method string, form url.Values) string {
			if method == "chat.postMessage" && form.Get("channel") == channel {
				return "not_in_channel"
			}
			return ""
		}
	})
	joinChannel(t, srv, "U0MEMBER001")
	waitMessage(t, srv, brand, "could not welcome <@U0MEMBER001>")
	ta.waitRoster(t, "the member seated", func(r *engagement.Roster) bool { return len(r.Seated) == 1 })
	time.Sleep(300 * time.Millisecond)
	if n := countMessages(srv, brand, "could not welcome"); n != 1 {
		t.Errorf("staff told %d times", n)
	}
}

// waitMetric waits until the series reads want, or fails.
func waitMetric(t *testing.T, ta *testApp, want float64, name string, labels ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v := metricValue(t, ta, name, labels...)
		if v == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v = %v, want %v", name, labels, v, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// C1: the kick/invite loop of issue 10. A person joins while full (kicked,
// waitlisted), a seat frees, they are promoted and invited, and only then
// the late echo of our own kick arrives. It must not free their new seat.
// The test plays Slack's echoes itself, so it can hold the kick's back.
func TestLateKickEchoKeepsThePromotedSeat(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t, slacktest.Calm("the test plays Slack's member echoes itself, to deliver the kick's after the invite's"))
	ta := MustRunApp(t, srv, func(cfg *slackapp.Config) {
		c := cfg.Communities[0]
		c.Cap, c.FullPolicy, c.BrandChannel = 1, engagement.PolicyRemove, brand
	})
	joinChannel(t, srv, "U0MEMBER001")
	ta.waitRoster(t, "a seat", func(r *engagement.Roster) bool { return len(r.Seated) == 1 })
	joinChannel(t, srv, "U0MEMBER002")
	if _, err := srv.WaitCall(ctxT(t), "conversations.kick", 1); err != nil {
		t.Fatal(err)
	}
	kickEcho := srv.Event(memberEvent("member_left_channel", "U0MEMBER002")) // held back
	time.Sleep(2 * time.Millisecond)                                         // the invite comes strictly later
	leaveChannel(t, srv, "U0MEMBER001")
	if _, err := srv.WaitCall(ctxT(t), "conversations.invite", 1); err != nil {
		t.Fatal(err)
	}
	sendAll(t, srv, []slacktest.Envelope{srv.Event(memberEvent("member_joined_channel", "U0MEMBER002"))}) // the invite's echo
	waitMessage(t, srv, channel, "<@U0MEMBER002>")                                                        // welcomed
	sendAll(t, srv, []slacktest.Envelope{kickEcho})
	waitMetric(t, ta, 1, "closeknit_stale_member_events_total")
	if err := ta.RunJob(ctxT(t), "roster"); err != nil { // the channel agrees: U2 is in
		t.Fatal(err)
	}
	r := ta.waitRoster(t, "settled", func(r *engagement.Roster) bool { return true })
	if !slices.Equal(seatedUsers(r), []string{"U0MEMBER002"}) || len(r.Waitlist) != 0 {
		t.Errorf("after the late kick echo: seated %v, waiting %v; want U0MEMBER002 seated", seatedUsers(r), waitingUsers(r))
	}
	if n := len(srv.Calls("conversations.invite")); n != 1 {
		t.Errorf("%d invites, want 1", n)
	}
	if n := len(srv.Calls("conversations.kick")); n != 1 {
		t.Errorf("%d kicks, want 1", n)
	}
	if n := len(srv.Messages("U0MEMBER002")); n > 2 {
		t.Errorf("U0MEMBER002 got %d DMs, want at most 2 (waitlist, promotion)", n)
	}
}

// C2: only the first roster check after install seats everyone present;
// later ones treat a newcomer as a join (cap, waitlist, kick, DM), and the
// check runs at every start.
func TestRosterCheckAfterInstallFollowsTheCap(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	srv.Configure(func(s *slacktest.Server) { s.MemberEvents = true })
	srv.SetMembers(channel, []string{"U0MEMBER001", "U0MEMBER002", "U0MEMBER003", "U0STAFF0001", srv.BotUserID})
	mod := func(cfg *slackapp.Config) {
		c := cfg.Communities[0]
		c.Cap, c.FullPolicy, c.BrandChannel = 2, engagement.PolicyRemove, brand
	}
	ta := MustRunApp(t, srv, mod)
	// Install: the first check (at start) seats all three, over the cap.
	ta.waitRoster(t, "three existing seats", func(r *engagement.Roster) bool { return len(r.Seated) == 3 })
	// U4 joined while the app was not looking: a later check is a join.
	srv.SetMembers(channel, append(srv.Members(channel), "U0MEMBER004"))
	if err := ta.RunJob(ctxT(t), "roster"); err != nil {
		t.Fatal(err)
	}
	r := ta.waitRoster(t, "U4 waitlisted", func(r *engagement.Roster) bool { return len(r.Waitlist) == 1 })
	if len(r.Seated) != 3 || r.Waitlist[0].User != "U0MEMBER004" {
		t.Errorf("seated %v, waiting %v; want U4 waiting, nobody seated over the cap", seatedUsers(r), waitingUsers(r))
	}
	waitMessage(t, srv, "U0MEMBER004", "#1")
	// A restart looks again at once (no 10-minute marker survives it).
	ta.stop(t)
	srv.SetMembers(channel, append(srv.Members(channel), "U0MEMBER005"))
	MustRunAppNS(t, srv, redistest.URL(), ta.ns, mod)
	ta.waitRoster(t, "U5 waitlisted after the restart", func(r *engagement.Roster) bool {
		return slices.Equal(waitingUsers(r), []string{"U0MEMBER004", "U0MEMBER005"}) && len(r.Seated) == 3
	})
	if n := len(srv.Messages(channel)); n != 0 {
		t.Errorf("%d welcomes posted, want none (nobody got a seat)", n)
	}
}

// C5: a staff group that cannot be read (plan_upgrade_required on the Free
// plan) does not stop the roster check; a deactivated member loses their
// seat.
func TestRosterCheckWithoutStaffGroupUnseatsDeactivated(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	srv.SetUserGroup("S0BRANDTM01", []string{"U0GROUPST01"})
	srv.SetMembers(channel, []string{"U0MEMBER001", "U0MEMBER002", "U0GROUPST01"})
	ta := MustRunApp(t, srv, func(cfg *slackapp.Config) { cfg.Communities[0].StaffGroup = "S0BRANDTM01" })
	ta.waitRoster(t, "two existing seats", func(r *engagement.Roster) bool { return len(r.Seated) == 2 })
	srv.Configure(func(s *slacktest.Server) {
		s.MethodError = func(method string, _ url.Values) string {
			if method == "usergroups.users.list" {
				return "plan_upgrade_required"
			}
			return ""
		}
	})
	srv.SetUser(slacktest.User{ID: "U0MEMBER002", Name: "two", Deleted: true})
	ta.later(time.Hour) // past the grace of a new seat, and the staff group's TTL
	if err := ta.RunJob(ctxT(t), "roster"); err != nil {
		t.Fatalf("roster check failed with the staff group unreadable: %v", err)
	}
	r := ta.waitRoster(t, "the check done", func(r *engagement.Roster) bool { return true })
	if !slices.Equal(seatedUsers(r), []string{"U0MEMBER001"}) {
		t.Errorf("seated %v, want only U0MEMBER001 (U0MEMBER002 was deactivated, U0GROUPST01 is staff)", seatedUsers(r))
	}
}

// C6: staff from a user group are the same on every replica, read through
// a copy shared in Redis (read from Slack at most once per TTL), and staff
// commands fail closed when the group cannot be read.
func TestStaffGroupSharedByReplicas(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	srv.SetUserGroup("S0BRANDTM01", []string{"U0GROUPST01"})
	mod := func(cfg *slackapp.Config) {
		cfg.Communities[0].StaffGroup = "S0BRANDTM01"
		cfg.SchedulerTick = 20 * time.Millisecond
	}
	ns := fmt.Sprintf("cktest-staff-%d", nsSeq.Add(1))
	a := MustRunAppNS(t, srv, redistest.URL(), ns, mod)
	b := MustRunAppNS(t, srv, redistest.URL(), ns, mod)
	waitStaff := func(what string, cond func(*engagement.Community) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond(a.community) || !cond(b.community) {
			if time.Now().After(deadline) {
				t.Fatalf("replicas never agreed on %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitStaff("U0GROUPST01 as staff", func(c *engagement.Community) bool { return c.IsStaff("U0GROUPST01") })
	if n := len(srv.Calls("usergroups.users.list")); n != 1 {
		t.Errorf("group read %d times from Slack within its TTL, want 1", n)
	}
	// The group changes; a minute on, the first replica to need it reads
	// it again and both follow.
	srv.SetUserGroup("S0BRANDTM01", []string{"U0GROUPST02"})
	a.later(61 * time.Second)
	b.later(61 * time.Second)
	waitStaff("the new group", func(c *engagement.Community) bool { return c.IsStaff("U0GROUPST02") && !c.IsStaff("U0GROUPST01") })
	if n := len(srv.Calls("usergroups.users.list")); n != 2 {
		t.Errorf("group read %d times from Slack, want 2", n)
	}
	// Slack stops answering: staff commands are refused, not granted.
	srv.Configure(func(s *slacktest.Server) {
		s.MethodError = func(method string, _ url.Values) string {
			if method == "usergroups.users.list" {
				return "plan_upgrade_required"
			}
			return ""
		}
	})
	a.later(61 * time.Second)
	b.later(61 * time.Second)
	waitStaff("the group unknown", func(c *engagement.Community) bool { return !c.StaffKnown() })
	if got := command(t, srv, "U0GROUPST02", "members"); !strings.Contains(got, "cannot check right now who is on the brand team") {
		t.Errorf("staff command with the group unreadable: %q", got)
	}
	if got := command(t, srv, "U0STAFF0001", "members"); !strings.Contains(got, "seats taken") {
		t.Errorf("listed staff refused with the group unreadable: %q", got)
	}
}

// C3: with the bot not in the brand channel every note there is refused.
// The refusal is final: the promotion job ends (invite and DM once), and
// staff are told once, by DM and on their App Home.
func TestBrandChannelRefusalIsFinal(t *testing.T) {
	t.Parallel()
	ta, srv := memberApp(t, 1, engagement.PolicyRemove)
	srv.Configure(func(s *slacktest.Server) {
		s.MethodError = func(method string, form url.Values) string {
			if method == "chat.postMessage" && form.Get("channel") == brand {
				return "not_in_channel"
			}
			return ""
		}
	})
	joinChannel(t, srv, "U0MEMBER001")
	ta.waitRoster(t, "a seat", func(r *engagement.Roster) bool { return len(r.Seated) == 1 })
	joinChannel(t, srv, "U0MEMBER002")
	waitMessage(t, srv, "U0MEMBER002", "#1")
	leaveChannel(t, srv, "U0MEMBER001")
	waitMessage(t, srv, "U0MEMBER002", "a seat opened up")
	waitMessage(t, srv, "U0STAFF0001", "I cannot post in the brand channel")
	// Every job is done: none is left to repeat the invite and the DM.
	outbox := ta.ns + ":{acme}:outbox"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n, err := ta.rdb.XLen(context.Background(), outbox).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d membership jobs still pending after a final refusal", n)
		}
	}
	leaveChannel(t, srv, "U0MEMBER002") // another note refused: staff are not told again
	ta.waitRoster(t, "empty", func(r *engagement.Roster) bool { return len(r.Seated) == 0 })
	if n := countMessages(srv, "U0STAFF0001", "I cannot post in the brand channel"); n != 1 {
		t.Errorf("staff told %d times, want 1", n)
	}
	if n := len(srv.Calls("conversations.invite")); n != 1 {
		t.Errorf("%d invites, want 1", n)
	}
	if v := metricValue(t, ta, "closeknit_slack_refusals_total", "community=acme", "method=brand.note", "error=not_in_channel"); v < 1 {
		t.Errorf("refusals metric %v, want at least 1", v)
	}
	// The App Home of staff shows the problem.
	sendAll(t, srv, []slacktest.Envelope{srv.Event(map[string]any{"type": "app_home_opened", "user": "U0STAFF0001", "channel": "D0STAFF0001", "tab": "home", "event_ts": tsOf(time.Now())})})
	views, err := srv.WaitCall(ctxT(t), "views.publish", 1)
	if err != nil {
		t.Fatal(err)
	}
	if v := views[len(views)-1].Args.Get("view"); !strings.Contains(v, "I cannot post in the brand channel") {
		t.Errorf("staff App Home does not show the problem: %.300s", v)
	}
}

// C3: each step of an outbox job is done at most once: a job run again
// after a failure (here the DM rate-limited) does not invite again.
func TestPromotionStepsRunOnce(t *testing.T) {
	t.Parallel()
	ta, srv := memberApp(t, 5, engagement.PolicyRemove)
	joinChannel(t, srv, "U0MEMBER007") // holds a seat, as a promoted person does
	waitMessage(t, srv, channel, "<@U0MEMBER007>")
	// and the job below is the one that reserved it (engagement's invites
	// hash), else it would stand for a promotion given up and do nothing
	if err := ta.rdb.HSet(ctxT(t), ta.ns+":{"+ta.community.ID+"}:invites", "U0MEMBER007", "1700000000000-1").Err(); err != nil {
		t.Fatal(err)
	}
	var limited atomic.Bool
	limited.Store(true)
	srv.Configure(func(s *slacktest.Server) {
		s.RateLimit = func(method string) (time.Duration, bool) {
			return time.Second, method == "chat.postMessage" && limited.Load()
		}
	})
	if err := ta.DoJob(ctxT(t), "1700000000000-1", "promote", "U0MEMBER007"); err == nil {
		t.Fatal("promotion with its DM rate-limited reported done")
	}
	limited.Store(false)
	if err := ta.DoJob(ctxT(t), "1700000000000-1", "promote", "U0MEMBER007"); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Calls("conversations.invite")); n != 1 {
		t.Errorf("invited %d times for one promotion, want 1", n)
	}
	if n := countMessages(srv, "U0MEMBER007", "a seat opened up"); n != 1 {
		t.Errorf("%d promotion DMs, want 1", n)
	}
}

// C7: a nudge Slack did not take (rate limited) is sent on a later run,
// and still only one is delivered.
func TestRateLimitedNudgeIsRetried(t *testing.T) {
	t.Parallel()
	ta, srv := memberApp(t, 10, engagement.PolicyRemove)
	joinChannel(t, srv, "U0MEMBER002")
	waitMessage(t, srv, channel, "<@U0MEMBER002>") // welcomed
	var limited atomic.Bool
	limited.Store(true)
	srv.Configure(func(s *slacktest.Server) {
		s.RateLimit = func(method string) (time.Duration, bool) {
			return time.Second, method == "chat.postMessage" && limited.Load()
		}
	})
	ta.later(3*24*time.Hour + time.Minute)
	_ = ta.RunJob(ctxT(t), "nudges") // rate-limited: nothing delivered
	if n := countMessages(srv, "U0MEMBER002", "only reminder"); n != 0 {
		t.Fatalf("%d nudges delivered while rate-limited", n)
	}
	limited.Store(false)
	for range 3 {
		if err := ta.RunJob(ctxT(t), "nudges"); err != nil {
			t.Fatal(err)
		}
	}
	if n := countMessages(srv, "U0MEMBER002", "only reminder"); n != 1 {
		t.Errorf("%d nudges delivered, want exactly 1", n)
	}
}

// C3: serve checks at start, without posting, that the bot can post in the
// brand channel, and warns staff once if not.
func TestStartWarnsWhenNotInBrandChannel(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	srv.SetChannel(slacktest.Channel{ID: brand, Name: "brand", BotNotMember: true})
	MustRunApp(t, srv, func(cfg *slackapp.Config) { cfg.Communities[0].BrandChannel = brand })
	waitMessage(t, srv, "U0STAFF0001", "I cannot post in the brand channel")
	if n := len(srv.Messages(brand)); n != 0 {
		t.Errorf("the check posted %d messages in the brand channel", n)
	}
}
