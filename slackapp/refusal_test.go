package slackapp_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/slack-go/slack"
)

// C3: refusals of the digest, the prototype results and card updates are
// final, never a loop.

// refuseIn sets up the brand channel so that posts there are refused
// with code: the bot not in it (as Slack really does) or an injected code.
func refuseIn(srv *slacktest.Server, code string) {
	if code == "not_in_channel" {
		srv.SetChannel(slacktest.Channel{ID: brandChannel, Name: "brand", BotNotMember: true})
		return
	}
	srv.Configure(func(s *slacktest.Server) {
		s.MethodError = func(method string, form url.Values) string {
			if method == "chat.postMessage" && form.Get("channel") == brandChannel {
				return code
			}
			return ""
		}
	})
}

// postsTo counts chat.postMessage calls to channel whose arguments contain want.
func postsTo(srv *slacktest.Server, channel, want string) int {
	n := 0
	for _, c := range srv.Calls("chat.postMessage") {
		if c.Args.Get("channel") == channel && strings.Contains(c.Args.Encode(), url.QueryEscape(want)) {
			n++
		}
	}
	return n
}

// staffWarned counts the app's warning DMs to the staff member.
func staffWarned(srv *slacktest.Server) int {
	return countMessages(srv, staffUser, ":warning: ")
}

// The digest's post refused for good ends that week: tried once over many
// ticks and a restart, marked refused, counted, staff told once.
func TestDigestRefusalIsFinal(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"not_in_channel", "is_archived"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			srv := slacktest.NewServer(t)
			refuseIn(srv, code)
			env := newDigestEnv(t, mondayLA)
			c := env.community(t, "America/Los_Angeles")
			digestWeek(t, env, c)
			r := env.start(t, srv, c, nil)
			waitJobRuns(t, 5, r)
			if n := postsTo(srv, brandChannel, "closeknit_digest"); n != 1 {
				t.Errorf("digest post tried %d times over 5 job runs, want once", n)
			}
			w := engagement.Week{Year: 2026, Num: 47}
			st, err := env.store().DigestStatus(context.Background(), c, w)
			if err != nil || st.State != engagement.DigestRefused || st.Error != code {
				t.Errorf("marker %+v (%v), want refused with %s", st, err, code)
			}
			if v := metric(t, r.reg, "closeknit_slack_refusals_total", "community=acme", "method=digest.post", "error="+code); v != 1 {
				t.Errorf("refusals metric %v, want 1", v)
			}
			if v := metric(t, r.reg, "closeknit_digests_total", "community=acme", "outcome=refused"); v != 1 {
				t.Errorf("digests{outcome=refused} %v, want 1", v)
			}
			if v := metric(t, r.reg, "closeknit_digests_total", "community=acme", "outcome=failed"); v != 0 {
				t.Errorf("digests{outcome=failed} %v, want 0: a refusal is not a failure to retry", v)
			}
			// A restart (another replica) does not try the week again.
			r.stop(t)
			r2 := env.start(t, srv, c, nil)
			waitJobRuns(t, 3, r2)
			if n := postsTo(srv, brandChannel, "closeknit_digest"); n != 1 {
				t.Errorf("after a restart the digest was tried %d times, want once", n)
			}
			if n := staffWarned(srv); n != 1 {
				t.Errorf("staff warned %d times, want once", n)
			}
			if ws, err := env.store().Warnings(context.Background(), c); err != nil || len(ws) != 1 || !strings.Contains(ws[0], "`"+code+"`") {
				t.Errorf("App Home warnings %q (%v), want the brand channel's problem", ws, err)
			}
			// The explicit command says why rather than posting.
			if _, err := r2.SendDigest(context.Background(), c, w); err == nil || !strings.Contains(err.Error(), code) || !strings.Contains(err.Error(), "--again") {
				t.Errorf("SendDigest of a refused week: %v, want the refusal and how to send it again", err)
			}
			// Once the cause is fixed, the operator sends it again: once,
			// however often they ask, and the App Home warning goes.
			if code == "not_in_channel" {
				srv.SetChannel(slacktest.Channel{ID: brandChannel, Name: "brand"})
			} else {
				srv.Configure(func(s *slacktest.Server) { s.MethodError = nil })
			}
			for range 2 {
				if ts, err := r2.ResendRefusedDigest(context.Background(), c, w); err != nil || ts == "" {
					t.Errorf("ResendRefusedDigest after the fix: %q, %v", ts, err)
				}
			}
			if n := postsTo(srv, brandChannel, "closeknit_digest"); n != 2 {
				t.Errorf("digest posts: %d, want 2 (the refused one, then one after the fix however often asked)", n)
			}
			if st, _ := env.store().DigestStatus(context.Background(), c, w); st.State != engagement.DigestSent {
				t.Errorf("marker after sending again: %+v, want sent", st)
			}
			if ws, err := env.store().Warnings(context.Background(), c); err != nil || len(ws) != 0 {
				t.Errorf("App Home warnings after the fix: %q (%v), want none", ws, err)
			}
		})
	}
}

// An earlier attempt stopped after claiming the week; the app has since
// been removed from the brand channel, so looking there for its post
// (conversations.history) is refused: that ends the week too.
func TestDigestRecoveryRefusalIsFinal(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	refuseIn(srv, "not_in_channel")
	env := newDigestEnv(t, mondayLA)
	c := env.community(t, "America/Los_Angeles")
	w := engagement.Week{Year: 2026, Num: 47}
	if _, err := env.store().ClaimDigest(context.Background(), c, w); err != nil {
		t.Fatal(err)
	}
	r := env.start(t, srv, c, nil)
	waitJobRuns(t, 5, r)
	if n := len(srv.Calls("conversations.history")); n != 1 {
		t.Errorf("history searched %d times over 5 job runs, want once", n)
	}
	if n := postsTo(srv, brandChannel, "closeknit_digest"); n != 0 {
		t.Errorf("digest posted %d times, want none (the search was refused)", n)
	}
	if st, err := env.store().DigestStatus(context.Background(), c, w); err != nil || st.State != engagement.DigestRefused {
		t.Errorf("marker %+v (%v), want refused", st, err)
	}
	if v := metric(t, r.reg, "closeknit_slack_refusals_total", "community=acme", "method=digest.history", "error=not_in_channel"); v != 1 {
		t.Errorf("refusals metric %v, want 1", v)
	}
	if n := staffWarned(srv); n != 1 {
		t.Errorf("staff warned %d times, want once", n)
	}
}

// A rate-limited or failing post is not a refusal: it is retried, and no
// week is marked refused.
func TestDigestTransientErrorNotRefused(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	failures := 2
	srv.Configure(func(s *slacktest.Server) {
		s.MethodError = func(method string, form url.Values) string {
			if method == "chat.postMessage" && form.Get("channel") == brandChannel && failures > 0 {
				failures-- // called with the server's lock held
				return "service_unavailable"
			}
			return ""
		}
	})
	env := newDigestEnv(t, mondayLA)
	c := env.community(t, "America/Los_Angeles")
	digestWeek(t, env, c)
	r := env.start(t, srv, c, nil)
	waitJobRuns(t, 5, r)
	if n := len(digestPosts(srv)); n != 1 {
		t.Errorf("%d digests, want 1 after two transient failures", n)
	}
	if v := metric(t, r.reg, "closeknit_digests_total", "community=acme", "outcome=refused"); v != 0 {
		t.Errorf("digests{outcome=refused} %v, want 0", v)
	}
}

// The chart's upload refused for good leaves the text posted, is tried
// once, counted, and staff are told once.
func TestDigestChartRefusal(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	srv.Configure(func(s *slacktest.Server) {
		s.MethodError = func(method string, _ url.Values) string {
			if method == "files.getUploadURLExternal" {
				return "missing_scope"
			}
			return ""
		}
	})
	env := newDigestEnv(t, mondayLA)
	c := env.community(t, "America/Los_Angeles")
	digestWeek(t, env, c)
	r := env.start(t, srv, c, nil)
	waitJobRuns(t, 5, r)
	if n := len(digestPosts(srv)); n != 1 {
		t.Fatalf("%d digests, want the text posted once", n)
	}
	if n := len(srv.Calls("files.getUploadURLExternal")); n != 1 {
		t.Errorf("upload tried %d times, want once", n)
	}
	if v := metric(t, r.reg, "closeknit_slack_refusals_total", "community=acme", "method=digest.chart", "error=missing_scope"); v != 1 {
		t.Errorf("refusals metric %v, want 1", v)
	}
	if n := staffWarned(srv); n != 1 {
		t.Errorf("staff warned %d times, want once", n)
	}
}

// duePrototype records a prototype whose feedback closed a day ago, on a
// card posted by the app, and returns the card's ts.
func duePrototype(t *testing.T, ta *testApp) string {
	t.Helper()
	seatMembers(t, ta, protoMembers...)
	ctx := ctxT(t)
	_, cardTS, err := ta.API().PostMessageContext(ctx, channel, slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}
	spec := engagement.PrototypeSpec{Name: "Old idea", Question: "Well?", Reactions: engagement.DefaultReactions, OpenFor: 7 * 24 * time.Hour}
	if _, err := ta.store.CreatePrototype(ctx, ta.community, spec, time.Now().Add(-8*24*time.Hour), channel, cardTS); err != nil {
		t.Fatal(err)
	}
	return cardTS
}

// waitProtoRuns waits until the prototypes job ran n more times.
func waitProtoRuns(t *testing.T, ta *testApp, n float64) {
	t.Helper()
	runs := func() float64 {
		return metricValue(t, ta, "closeknit_job_runs_total", "task=prototypes", "outcome=ok") +
			metricValue(t, ta, "closeknit_job_runs_total", "task=prototypes", "outcome=error")
	}
	start := runs()
	eventually(t, "the prototypes job running again", func() bool { return runs() >= start+n })
}

// The results post refused for good ends the announcement: tried once over
// many job runs, counted, staff told once; the card is closed once.
func TestPrototypeResultsRefusalIsFinal(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"not_in_channel", "is_archived"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			srv := slacktest.NewServer(t)
			refuseIn(srv, code)
			ta := MustRunApp(t, srv, withProtoConfig)
			cardTS := duePrototype(t, ta)
			eventually(t, "the results post tried", func() bool { return postsTo(srv, brandChannel, "Results of Old idea") > 0 })
			waitProtoRuns(t, ta, 5)
			if n := postsTo(srv, brandChannel, "Results of Old idea"); n != 1 {
				t.Errorf("results post tried %d times over 5 job runs, want once", n)
			}
			for _, m := range srv.Messages(channel) {
				if m.TS == cardTS && m.Updates != 1 {
					t.Errorf("card updated %d times, want once", m.Updates)
				}
			}
			if v := metricValue(t, ta, "closeknit_slack_refusals_total", "community=acme", "method=results.post", "error="+code); v != 1 {
				t.Errorf("refusals metric %v, want 1", v)
			}
			if n := staffWarned(srv); n != 1 {
				t.Errorf("staff warned %d times, want once", n)
			}
			if n, err := ta.store.OpenPrototypes(ctxT(t), ta.community); err != nil || n != 0 {
				t.Errorf("%d prototypes open (%v), want it closed", n, err)
			}
		})
	}
}

// A card Slack will not update (deleted, or refused) when its prototype
// closes: counted, tried once, and the results are still posted, once.
func TestPrototypeCardUpdateRefused(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"message_not_found", "cant_update_message"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			srv := slacktest.NewServer(t)
			ta := MustRunApp(t, srv, withProtoConfig)
			ctx := ctxT(t)
			// A card someone deleted before feedback closed: Slack no
			// longer has the message (the emulator has no chat.delete).
			cardTS := tsOf(time.Now())
			if code != "message_not_found" {
				_, ts, err := ta.API().PostMessageContext(ctx, channel, slack.MsgOptionText("card", false))
				if err != nil {
					t.Fatal(err)
				}
				cardTS = ts
				srv.Configure(func(s *slacktest.Server) {
					s.MethodError = func(method string, _ url.Values) string {
						if method == "chat.update" {
							return code
						}
						return ""
					}
				})
			}
			seatMembers(t, ta, protoMembers...)
			spec := engagement.PrototypeSpec{Name: "Old idea", Question: "Well?", Reactions: engagement.DefaultReactions, OpenFor: 7 * 24 * time.Hour}
			if _, err := ta.store.CreatePrototype(ctx, ta.community, spec, time.Now().Add(-8*24*time.Hour), channel, cardTS); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the card update tried", func() bool { return len(srv.Calls("chat.update")) > 0 })
			waitProtoRuns(t, ta, 5)
			if n := len(srv.Calls("chat.update")); n != 1 {
				t.Errorf("chat.update tried %d times over 5 job runs, want once", n)
			}
			if n := postsTo(srv, brandChannel, "Results of Old idea"); n != 1 || len(srv.Messages(brandChannel)) != 1 {
				t.Errorf("results posted %d times (%d messages in the brand channel), want once", n, len(srv.Messages(brandChannel)))
			}
			if v := metricValue(t, ta, "closeknit_slack_refusals_total", "community=acme", "method=card.update", "error="+code); v != 1 {
				t.Errorf("refusals metric %v, want 1", v)
			}
		})
	}
}
