package slackapp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/chart"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/slack-go/slack"
)

// digestWeek fills 2026-W47 of c with a little activity: a post answered by
// staff after 30 minutes, and one left unanswered.
func digestWeek(tb testing.TB, env *digestEnv, c *engagement.Community) {
	tb.Helper()
	s := engagement.Week{Year: 2026, Num: 47}.Start(c.Location)
	p1, p2 := s.Add(34*time.Hour), s.Add(50*time.Hour)
	env.record(tb,
		engagement.Event{ID: "Ev1", Community: c, Kind: engagement.KindMessage, User: "U0MEMBER001", At: p1, TS: tsOf(p1)},
		engagement.Event{ID: "Ev2", Community: c, Kind: engagement.KindMessage, User: "U0MEMBER002", At: p2, TS: tsOf(p2)},
		engagement.Event{ID: "Ev3", Community: c, Kind: engagement.KindMessage, User: "U0STAFF0001", At: p1.Add(30 * time.Minute),
			TS: tsOf(p1.Add(30 * time.Minute)), Reply: true, ThreadTS: tsOf(p1), ParentUser: "U0MEMBER001"},
	)
}

// digestPosts are the digests the emulator received in the brand channel.
func digestPosts(srv *slacktest.Server) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range srv.Messages(brandChannel) {
		if strings.Contains(m.Args.Get("metadata"), "closeknit_digest") {
			out = append(out, m)
		}
	}
	return out
}

// mondayLA is Monday 23 Nov 2026 09:30 in Los Angeles: the W47 digest is due.
var mondayLA = time.Date(2026, 11, 23, 17, 30, 0, 0, time.UTC)

func TestDigestOnceAcrossTwoReplicas(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	env := newDigestEnv(t, mondayLA)
	c := env.community(t, "America/Los_Angeles")
	digestWeek(t, env, c)
	r1 := env.start(t, srv, c, nil)
	r2 := env.start(t, srv, c, nil)
	waitJobRuns(t, 3, r1, r2)
	posts := digestPosts(srv)
	if len(posts) != 1 {
		t.Fatalf("%d digests posted by two replicas, want 1", len(posts))
	}
	d := posts[0]
	if !strings.Contains(d.Text, "acme, week 2026-W47: 3 messages") || !strings.Contains(string(d.Blocks), "Waiting for an answer") {
		t.Errorf("digest text %q / blocks %s", d.Text, d.Blocks)
	}
	var md slack.SlackMetadata
	if err := json.Unmarshal([]byte(d.Args.Get("metadata")), &md); err != nil || md.EventPayload["week"] != "2026-W47" || md.EventPayload["community"] != "acme" {
		t.Errorf("metadata %s: %v", d.Args.Get("metadata"), err)
	}
	// The chart went into the digest's thread, once, and is a PNG of the expected size.
	files := srv.Files()
	if len(files) != 1 || !files[0].Completed || files[0].ThreadTS != d.TS || files[0].Channel != brandChannel {
		t.Fatalf("files %+v, want one completed upload in the digest's thread %s", files, d.TS)
	}
	img, err := png.Decode(bytes.NewReader(files[0].Data))
	if err != nil || img.Bounds().Dx() != chart.Width || img.Bounds().Dy() != chart.Height {
		t.Errorf("chart: %v, %v", err, img)
	}
	st, err := env.store().DigestStatus(context.Background(), c, engagement.Week{Year: 2026, Num: 47})
	if err != nil || st.State != engagement.DigestSent || st.TS != d.TS || st.Chart != "ok" {
		t.Errorf("marker %+v, %v", st, err)
	}
	sent := metric(t, r1.reg, "closeknit_digests_total", "community=acme", "outcome=sent") +
		metric(t, r2.reg, "closeknit_digests_total", "community=acme", "outcome=sent")
	if sent != 1 {
		t.Errorf("closeknit_digests_total{outcome=sent} summed over replicas = %v, want 1", sent)
	}
	// A restart (a third process) sends nothing more.
	r1.stop(t)
	r2.stop(t)
	r3 := env.start(t, srv, c, nil)
	waitJobRuns(t, 3, r3)
	if n := len(digestPosts(srv)); n != 1 || len(srv.Files()) != 1 {
		t.Errorf("after a restart: %d digests, %d files; want 1 and 1", n, len(srv.Files()))
	}
}

// A crash between chat.postMessage and marking the digest sent leaves the
// week claimed: the next run finds the posted digest by its metadata and
// does not post it again. A crash before the post leaves the claim only:
// the next run posts.
func TestDigestRestartMidSend(t *testing.T) {
	t.Parallel()
	for _, posted := range []bool{true, false} {
		t.Run(fmt.Sprintf("posted=%v", posted), func(t *testing.T) {
			t.Parallel()
			srv := slacktest.NewServer(t)
			srv.AddChannels(brandChannel)
			env := newDigestEnv(t, mondayLA)
			c := env.community(t, "America/Los_Angeles")
			w := engagement.Week{Year: 2026, Num: 47}
			// What the crashed process left: its claim, and perhaps its post.
			if _, err := env.store().ClaimDigest(context.Background(), c, w); err != nil {
				t.Fatal(err)
			}
			if posted {
				api := slack.New(srv.BotToken, slack.OptionAPIURL(srv.APIURL()))
				if _, _, err := api.PostMessage(brandChannel, slack.MsgOptionText("acme, week 2026-W47: …", false),
					slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "closeknit_digest", EventPayload: map[string]any{"community": "acme", "week": "2026-W47"}})); err != nil {
					t.Fatal(err)
				}
				// A digest of another week, and a look-alike from someone else's metadata, are not it.
				if _, _, err := api.PostMessage(brandChannel, slack.MsgOptionText("old", false),
					slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "closeknit_digest", EventPayload: map[string]any{"community": "acme", "week": "2026-W46"}})); err != nil {
					t.Fatal(err)
				}
			}
			r := env.start(t, srv, c, nil)
			waitJobRuns(t, 3, r)
			var posts []slacktest.Message
			for _, m := range digestPosts(srv) {
				if strings.Contains(m.Args.Get("metadata"), "2026-W47") {
					posts = append(posts, m)
				}
			}
			if len(posts) != 1 {
				t.Fatalf("%d W47 digests, want 1", len(posts))
			}
			st, err := env.store().DigestStatus(context.Background(), c, w)
			if err != nil || st.State != engagement.DigestSent || st.TS != posts[0].TS {
				t.Errorf("marker %+v (%v), want sent with ts %s", st, err, posts[0].TS)
			}
			if got := len(srv.Calls("conversations.history")); got == 0 {
				t.Errorf("the earlier claim did not make the job look in the channel's history")
			}
			if files := srv.Files(); len(files) != 1 || files[0].ThreadTS != posts[0].TS {
				t.Errorf("chart uploads %+v, want one in the thread of %s", files, posts[0].TS)
			}
		})
	}
}

// TestDigestRecoveryTrustsOnlyOurBot: after a crash between claim and
// post, a message with the digest's metadata posted by another app or a
// person is not our digest (issue 11 B5): the job posts its own, once.
func TestDigestRecoveryTrustsOnlyOurBot(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	env := newDigestEnv(t, mondayLA)
	c := env.community(t, "America/Los_Angeles")
	w := engagement.Week{Year: 2026, Num: 47}
	if _, err := env.store().ClaimDigest(context.Background(), c, w); err != nil {
		t.Fatal(err)
	}
	md := `{"event_type":"closeknit_digest","event_payload":{"community":"acme","week":"2026-W47"}}`
	for _, by := range []struct{ user, bot string }{
		{"U0OTHERBOT1", "B0OTHERBOT1"}, // another app's bot user
		{"", "B0WORKFLOW1"},            // a workflow: bot_id, no user
		{"U0MEMBER001", ""},            // a person
		{srv.BotUserID, "B0OTHERBOT1"}, // our user ID with another bot's ID
	} {
		srv.AddMessage(slacktest.Message{Channel: brandChannel, Text: "acme, week 2026-W47: totally real", PostedBy: by.user, PostedByBot: by.bot,
			Args: url.Values{"metadata": {md}}})
	}
	r := env.start(t, srv, c, nil)
	waitJobRuns(t, 3, r)
	var ours []slacktest.Message
	for _, m := range digestPosts(srv) {
		if m.PostedBy == "" && m.PostedByBot == "" && strings.Contains(m.Args.Get("metadata"), "2026-W47") {
			ours = append(ours, m)
		}
	}
	if len(ours) != 1 {
		t.Fatalf("%d W47 digests posted by the app, want 1 (the look-alikes are not ours)", len(ours))
	}
	st, err := env.store().DigestStatus(context.Background(), c, w)
	if err != nil || st.State != engagement.DigestSent || st.TS != ours[0].TS {
		t.Errorf("marker %+v (%v), want sent with ts %s", st, err, ours[0].TS)
	}
}

func TestDigestUploadFailureStillPostsText(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	srv.Configure(func(s *slacktest.Server) {
		s.MethodError = func(method string, _ url.Values) string {
			if method == "files.getUploadURLExternal" {
				return "internal_error"
			}
			return ""
		}
	})
	env := newDigestEnv(t, mondayLA)
	c := env.community(t, "America/Los_Angeles")
	digestWeek(t, env, c)
	r := env.start(t, srv, c, nil)
	waitJobRuns(t, 3, r)
	if n := len(digestPosts(srv)); n != 1 {
		t.Fatalf("%d digests, want 1 despite the failing upload", n)
	}
	if got := len(srv.Calls("files.getUploadURLExternal")); got != 1 {
		t.Errorf("upload tried %d times, want once (a retry could post the chart twice)", got)
	}
	st, _ := env.store().DigestStatus(context.Background(), c, engagement.Week{Year: 2026, Num: 47})
	if st.State != engagement.DigestSent || st.Chart != "failed" {
		t.Errorf("marker %+v, want sent with chart failed", st)
	}
}

// A failing chat.postMessage is counted and retried on the next tick; the
// digest then goes out once.
func TestDigestPostFailureRetried(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	failures := 2
	srv.Configure(func(s *slacktest.Server) {
		s.MethodError = func(method string, _ url.Values) string {
			if method == "chat.postMessage" && failures > 0 {
				failures-- // called with the server's lock held
				return "internal_error"
			}
			return ""
		}
	})
	env := newDigestEnv(t, mondayLA)
	c := env.community(t, "America/Los_Angeles")
	r := env.start(t, srv, c, nil)
	waitJobRuns(t, 5, r)
	if n := len(digestPosts(srv)); n != 1 {
		t.Fatalf("%d digests, want 1", n)
	}
	if got := metric(t, r.reg, "closeknit_digests_total", "community=acme", "outcome=failed"); got != 2 {
		t.Errorf("failed digests %v, want 2", got)
	}
	if got := metric(t, r.reg, "closeknit_digest_last_sent_timestamp_seconds", "community=acme"); got == 0 {
		t.Errorf("last sent timestamp not set")
	}
}

func TestDigestQuietWeekAndSchedule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		zone     string
		now      time.Time // UTC
		wantWeek string    // "" if nothing is due yet... a digest is always due for some week
	}{
		// Auckland's Monday 09:00 is Sunday 20:00 UTC (NZDT).
		{"Pacific/Auckland", time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC), "2026-W47"},
		{"Pacific/Auckland", time.Date(2026, 11, 22, 19, 59, 0, 0, time.UTC), "2026-W46"},
		// Kolkata's is 03:30 UTC.
		{"Asia/Kolkata", time.Date(2026, 11, 23, 3, 30, 0, 0, time.UTC), "2026-W47"},
		// Los Angeles, the Monday after DST ended (09:00 PST = 17:00 UTC).
		{"America/Los_Angeles", time.Date(2026, 11, 2, 17, 0, 0, 0, time.UTC), "2026-W44"},
		{"America/Los_Angeles", time.Date(2026, 11, 2, 16, 0, 0, 0, time.UTC), "2026-W43"},
	}
	for _, tt := range tests {
		t.Run(tt.zone+tt.now.Format("_0102T1504"), func(t *testing.T) {
			t.Parallel()
			srv := slacktest.NewServer(t)
			env := newDigestEnv(t, tt.now)
			c := env.community(t, tt.zone)
			r := env.start(t, srv, c, nil)
			waitJobRuns(t, 2, r)
			posts := digestPosts(srv)
			if len(posts) != 1 {
				t.Fatalf("%d digests, want 1", len(posts))
			}
			if !strings.Contains(posts[0].Args.Get("metadata"), tt.wantWeek) {
				t.Errorf("digest for %s, want %s", posts[0].Args.Get("metadata"), tt.wantWeek)
			}
			if !strings.Contains(posts[0].Text, "a quiet week") || !strings.Contains(string(posts[0].Blocks), "A quiet week") {
				t.Errorf("quiet week: text %q, blocks %s", posts[0].Text, posts[0].Blocks)
			}
		})
	}
}

func TestDigestConfig(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	env := newDigestEnv(t, mondayLA)
	c := env.community(t, "America/Los_Angeles")
	_, err := slackapp.New(slackapp.Config{AppToken: srv.AppToken, BotToken: srv.BotToken, Communities: []*engagement.Community{c}, DigestAt: "Monday"}, env.store(), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "Mon 09:00") {
		t.Errorf("bad DigestAt: %v", err)
	}
	// "off" sends nothing; a later time this week leaves last week's digest due.
	r := env.start(t, srv, c, func(cfg *slackapp.Config) { cfg.DigestAt = "off" })
	waitJobRuns(t, 2, r)
	if n := len(digestPosts(srv)); n != 0 {
		t.Errorf("DigestAt off: %d digests", n)
	}
	r.stop(t)
	r = env.start(t, srv, c, func(cfg *slackapp.Config) { cfg.DigestAt = "Mon 10:00" })
	waitJobRuns(t, 2, r)
	if posts := digestPosts(srv); len(posts) != 1 || !strings.Contains(posts[0].Args.Get("metadata"), "2026-W46") {
		t.Errorf("Mon 10:00 at 09:30: %d digests (%v), want one for 2026-W46", len(posts), posts)
	}
}
