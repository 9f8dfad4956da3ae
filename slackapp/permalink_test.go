package slackapp_test

import (
	"context"
	"strings"
	"testing"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/prometheus/client_golang/prometheus"
)

// TestDigestLinksIntoTheWorkspace: the unanswered post in the digest links
// into the workspace's own address, as auth.test gives it (here an
// Enterprise Grid one), never a guessed https://slack.com/archives/...
// Once through Run (the scheduled digest), once through an App used
// without Run (closeknit digest --post), which asks auth.test itself.
func TestDigestLinksIntoTheWorkspace(t *testing.T) {
	t.Parallel()
	const workspace = "https://knit-test.enterprise.slack.com/"
	for _, run := range []bool{true, false} {
		srv := slacktest.NewServer(t)
		srv.Configure(func(s *slacktest.Server) { s.WorkspaceURL = workspace })
		env := newDigestEnv(t, mondayLA)
		c := env.community(t, "America/Los_Angeles")
		digestWeek(t, env, c) // U0MEMBER002's post is left unanswered
		if run {
			r := env.start(t, srv, c, nil)
			waitJobRuns(t, 2, r)
		} else {
			cfg := slackapp.Config{AppToken: srv.AppToken, BotToken: srv.BotToken, APIURL: srv.APIURL(),
				Communities: []*engagement.Community{c}, DigestAt: "off"}
			declareChannels(srv, cfg)
			app, err := slackapp.New(cfg, env.store(), nil, prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := app.SendDigest(context.Background(), c, engagement.Week{Year: 2026, Num: 47}); err != nil {
				t.Fatal(err)
			}
		}
		posts := digestPosts(srv)
		if len(posts) != 1 {
			t.Fatalf("run %v: %d digests posted, want 1", run, len(posts))
		}
		body := posts[0].Text + string(posts[0].Blocks)
		if want := workspace + "archives/" + channel + "/p"; !strings.Contains(body, want) {
			t.Errorf("run %v: the digest has no link starting %s:\n%s", run, want, body)
		}
		if strings.Contains(body, "://slack.com/") {
			t.Errorf("run %v: the digest links to slack.com, not the workspace:\n%s", run, body)
		}
	}
}
