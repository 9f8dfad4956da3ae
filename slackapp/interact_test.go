package slackapp_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// TestPrototypeSlowPostAckedFirst (issue 10 B5): chat.postMessage takes
// 5 s, longer than Slack gives a view_submission. The submission is
// answered in time with the Posting… view, pressing Post again posts no
// second card, and the card Slack takes late is recorded.
func TestPrototypeSlowPostAckedFirst(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withProtoConfig)
	srv.Configure(func(s *slacktest.Server) {
		s.MethodDelay = func(method string, form url.Values) time.Duration {
			if method == "chat.postMessage" && form.Get("channel") == channel {
				return 5 * time.Second
			}
			return 0
		}
	})
	// send fails the test if the ack comes after Slack's 3 s: the
	// emulator ignores a late ack, so it never counts as acked.
	start := time.Now()
	if got := ackAction(t, send(t, srv, submission(srv, staffUser, "V0SLOW0001", validValues(), false))); got != "update" {
		t.Errorf("first submission acked with %q, want update (the Posting… view)", got)
	}
	acked := time.Since(start)
	if got := ackAction(t, send(t, srv, submission(srv, staffUser, "V0SLOW0001", validValues(), false))); got != "update" {
		t.Errorf("second submission of the same view acked with %q, want update", got)
	}
	waitTold(t, srv, staffUser, "Posted P1")
	t.Logf("with a 5 s chat.postMessage: submission acked after %v, poster told after %v", acked.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	cs := cards(srv)
	if len(cs) != 1 {
		t.Fatalf("%d cards, want 1", len(cs))
	}
	p, err := ta.store.PrototypeByTS(ctxT(t), ta.community, cs[0].TS)
	if err != nil || p.ID != "P1" {
		t.Errorf("card %s recorded as %+v, %v", cs[0].TS, p, err)
	}
	if late := srv.LateAcks(); len(late) != 0 {
		t.Errorf("late acks: %v", late)
	}
}

// TestPrototypePostUnanswered (issue 10 B5): Slack never answers the
// card's chat.postMessage within the app's patience. The card may be up:
// the form is not posted again, and the poster is told to look.
func TestPrototypePostUnanswered(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, func(cfg *slackapp.Config) {
		withProtoConfig(cfg)
		cfg.HTTPClient = &http.Client{Timeout: 2 * time.Second} // the app's patience with Slack
	})
	srv.Configure(func(s *slacktest.Server) {
		s.MethodDelay = func(method string, form url.Values) time.Duration {
			if method == "chat.postMessage" && form.Get("channel") == channel {
				return time.Minute
			}
			return 0
		}
	})
	if got := ackAction(t, send(t, srv, submission(srv, staffUser, "V0LOST0001", validValues(), false))); got != "update" {
		t.Errorf("submission acked with %q, want update", got)
	}
	waitTold(t, srv, staffUser, "may or may not be up")
	send(t, srv, submission(srv, staffUser, "V0LOST0001", validValues(), false))
	var posts int
	for _, c := range srv.Calls("chat.postMessage") {
		if c.Args.Get("channel") == channel {
			posts++
		}
	}
	if posts != 1 {
		t.Errorf("%d card posts, want 1", posts)
	}
	if all, err := ta.store.AllPrototypeResults(ctxT(t), ta.community, 0); err != nil || len(all) != 0 {
		t.Errorf("prototypes recorded: %d, %v", len(all), err)
	}
}

// TestSubmissionPayloadWhateverAccepts (issue 10 B7): the field errors go
// back in the ack even when the envelope says accepts_response_payload
// false, as the official SDKs do.
func TestSubmissionPayloadWhateverAccepts(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	MustRunApp(t, srv, withProtoConfig)
	bad := validValues()
	bad["name"] = " "
	env := submission(srv, staffUser, "V0FLAG0001", bad, false)
	env.Frame = bytes.Replace(env.Frame, []byte(`"accepts_response_payload":true`), []byte(`"accepts_response_payload":false`), 1)
	if !bytes.Contains(env.Frame, []byte(`"accepts_response_payload":false`)) {
		t.Fatalf("frame not rewritten: %s", env.Frame)
	}
	if got := ackAction(t, send(t, srv, env)); got != "errors" {
		t.Errorf("ack response_action %q, want errors", got)
	}
}

// TestLaterRepliesUseResponseURL (issue 10 B6): answers a command sends
// after its ack go through its response_url, so they reach the caller in
// a DM with the app and in channels the bot is not in, where
// chat.postEphemeral cannot.
func TestLaterRepliesUseResponseURL(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, nil)
	for _, where := range []string{"D0DMWITHAPP", "C0NOTJOINED"} {
		env, ack := sendCommand(t, srv, where, "U0MEMBER001", "privacy")
		if !strings.Contains(ack.Text, "…") || ack.ResponseType != "ephemeral" {
			t.Errorf("%s: ack %+v, want an ephemeral working note", where, ack)
		}
		if got := laterReply(t, srv, env); !strings.Contains(got, "What closeknit stores about you") {
			t.Errorf("%s: later reply %q", where, got)
		}
	}
	if n := len(srv.Calls("chat.postEphemeral")); n != 0 {
		t.Errorf("%d chat.postEphemeral calls, want none", n)
	}
	// The posts are counted like Web API calls, under their own name (once
	// the app has read the answer, a moment after the emulator recorded it).
	eventually(t, "two response_url posts counted", func() bool {
		return metricValue(t, ta, "closeknit_slack_api_calls_total", "method=response_url", "outcome=ok") == 2
	})
}

// TestModalTriggerExpired: when the trigger_id has expired before
// views.open (Slack allows 3 s), the staff member is told to try again
// rather than "something went wrong".
func TestModalTriggerExpired(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	MustRunApp(t, srv, withProtoConfig)
	srv.Configure(func(s *slacktest.Server) { s.TriggerLifetime = time.Nanosecond })
	if got := ackText(t, send(t, srv, slash(srv, staffUser, "prototype"))); !strings.Contains(got, "before the form could open") {
		t.Errorf("reply %q, want a request to try again", got)
	}
	if calls := srv.Calls("views.open"); len(calls) != 1 {
		t.Errorf("%d views.open calls, want 1", len(calls))
	}
}
