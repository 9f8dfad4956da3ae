package slackapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/chart"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// The weekly digest goes out to each community's brand channel at
// Config.DigestAt in the community's zone, covering the week just ended,
// exactly once per community and week:
//
//   - The scheduler's lease lets one replica at a time run the job.
//   - The job claims the week in Redis ("sending") before posting and
//     marks it "sent" with the message's ts after.
//   - The message carries metadata (event_type closeknit_digest, with the
//     community and week). A job that finds a claim but no "sent" mark, an
//     attempt cut short by a crash or a failed post, first looks through
//     conversations.history of the brand channel since the claim for that
//     metadata: found, it only records the ts; not found, it posts.
//   - The chart goes into the digest's thread after the text, at most once
//     (marked "tried" before the upload). A failed upload leaves the text.
//   - A refusal no retry can fix (the app not in the channel, the channel
//     archived, a scope missing: finalRefusal) ends the week: marked
//     "refused", counted, and staff are told once. Only Slack's own trouble
//     (rate limits, 5xx, no answer) is retried on the next tick.
//
// A digest missed while every replica was down is sent by the first job
// run after start-up, late and once; only the latest due week is sent.
const digestEventType = "closeknit_digest"

// digestSchedule parses Config.DigestAt: "" is the default, "off" none.
func digestSchedule(s string) (at engagement.WeeklyAt, on bool, err error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return engagement.DefaultDigestAt, true, nil
	case "off":
		return engagement.WeeklyAt{}, false, nil
	}
	at, err = engagement.ParseWeeklyAt(s)
	return at, err == nil, err
}

// kpiOptions are the app's KPI settings, with the workspace's address for
// the permalinks.
func (a *App) kpiOptions(ctx context.Context) engagement.KPIOptions {
	return engagement.KPIOptions{LapsingMinWeeks: a.cfg.LapsingWeeks, WorkspaceURL: a.workspace(ctx)}
}

// workspace is the workspace's address, auth.test's "url": message links
// are https://<workspace>.slack.com/archives/..., never a guessed domain
// (GovSlack, Enterprise Grid and custom domains differ). Run learns it at
// start; an App used without Run (closeknit digest --post, the sandbox)
// asks on first use. Without it, digests go out without links.
func (a *App) workspace(ctx context.Context) string {
	if u := a.workspaceURL.Load(); u != nil {
		return *u
	}
	auth, err := a.api.AuthTestContext(ctx)
	if err != nil {
		a.log.Warn("auth.test failed: message links left out", "err", err)
		return ""
	}
	a.workspaceURL.Store(&auth.URL)
	return auth.URL
}

// runDigestJob is the scheduled job: it sends the latest due digest of c
// unless that is done.
func runDigestJob(ctx context.Context, a *App, c *engagement.Community) error {
	at, on, _ := digestSchedule(a.cfg.DigestAt) // checked in New
	if !on || c.BrandChannel == "" {
		return nil
	}
	_, w := at.Last(a.store.Now(), c.Location)
	_, err := a.SendDigest(ctx, c, w)
	if errors.Is(err, ErrDigestRefused) {
		return nil // over for this week: counted, logged and staff told when refused
	}
	return err
}

// ErrDigestRefused is returned for a week whose digest Slack refused for
// good: it is not tried again.
var ErrDigestRefused = errors.New("refused by Slack")

// SendDigest posts week w's digest of c to its brand channel unless it was
// posted before, and returns the message's ts either way.
func (a *App) SendDigest(ctx context.Context, c *engagement.Community, w engagement.Week) (string, error) {
	if c.BrandChannel == "" {
		return "", fmt.Errorf("community %s has no brand channel (CLOSEKNIT_BRAND_CHANNEL)", c.ID)
	}
	st, err := a.store.ClaimDigest(ctx, c, w)
	if err != nil {
		return "", err
	}
	switch st.State {
	case engagement.DigestSent:
		return st.TS, a.digestChart(ctx, c, w, st, nil)
	case engagement.DigestRefused:
		return "", fmt.Errorf("digest %s %s: %w (%s)", c.ID, w, ErrDigestRefused, st.Error)
	}
	if !st.Fresh {
		// An earlier attempt claimed the week and stopped: it may have posted.
		ts, err := a.findPostedDigest(ctx, c, w, st.ClaimedAt)
		if code := feature.Code(err); feature.Final(code) {
			return "", a.refuseDigest(ctx, c, w, "digest.history", code, err)
		}
		if err != nil {
			return "", fmt.Errorf("digest %s %s: looking for an earlier post: %w", c.ID, w, err)
		}
		if ts != "" {
			a.log.Info("digest found posted by an earlier attempt", "community", c.ID, "week", w.String(), "ts", ts)
			if err := a.store.MarkDigestSent(ctx, c, w, ts); err != nil {
				return "", err
			}
			a.dm.sent(c, time.Now())
			st.TS = ts
			return ts, a.digestChart(ctx, c, w, st, nil)
		}
	}
	k, err := a.store.KPIs(ctx, c, w, a.kpiOptions(ctx))
	if err != nil {
		return "", err
	}
	_, ts, err := a.api.PostMessageContext(ctx, c.BrandChannel,
		slack.MsgOptionText(digestSummary(k), false),
		slack.MsgOptionBlocks(digestBlocks(k).BlockSet...),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: digestEventType,
			EventPayload: map[string]any{"community": c.ID, "week": w.String()}}),
	)
	if code := feature.Code(err); feature.Final(code) {
		return "", a.refuseDigest(ctx, c, w, "digest.post", code, err)
	}
	if err != nil {
		a.dm.failed(c)
		return "", fmt.Errorf("digest %s %s: post: %w", c.ID, w, err)
	}
	if err := a.store.MarkDigestSent(ctx, c, w, ts); err != nil {
		// Posted but not marked: the next run finds it by its metadata.
		return ts, err
	}
	a.dm.sent(c, time.Now())
	a.notify.ClearSetupProblems(ctx, c, "brand:")
	a.log.Info("digest sent", "community", c.ID, "week", w.String(), "ts", ts)
	st.TS = ts
	return ts, a.digestChart(ctx, c, w, st, k)
}

// refuseDigest ends week w's digest of c after Slack refused method's call
// for good: marked refused in Redis (no replica or restart tries again),
// counted, logged, and staff told once. It returns ErrDigestRefused.
func (a *App) refuseDigest(ctx context.Context, c *engagement.Community, w engagement.Week, method, code string, err error) error {
	if merr := a.store.MarkDigestRefused(ctx, c, w, code); merr != nil {
		a.dm.failed(c)
		return merr // not marked: the next tick meets the refusal again
	}
	a.dm.refused(c)
	a.notify.BrandRefused(ctx, c, method, code, fmt.Sprintf("the weekly digest of %s", w), err)
	return fmt.Errorf("digest %s %s: %w (%s)", c.ID, w, ErrDigestRefused, code)
}

// digestChart uploads the 12-week chart into the digest's thread unless
// that was tried before. A failure is logged, not returned: the digest is
// out, and trying again could post the picture twice.
func (a *App) digestChart(ctx context.Context, c *engagement.Community, w engagement.Week, st engagement.DigestState, k *engagement.KPIs) error {
	if st.Chart != "" {
		return nil
	}
	if err := a.store.MarkDigestChart(ctx, c, w, "tried"); err != nil {
		return err
	}
	outcome := "ok"
	if err := a.uploadChart(ctx, c, w, st.TS, k); err != nil {
		outcome = "failed"
		if code := feature.Code(err); feature.Final(code) {
			a.notify.BrandRefused(ctx, c, "digest.chart", code, fmt.Sprintf("the chart of the weekly digest of %s", w), err)
		}
		a.log.Warn("digest chart not uploaded; the digest went out without it", "community", c.ID, "week", w.String(), "err", err)
	}
	return a.store.MarkDigestChart(ctx, c, w, outcome)
}

func (a *App) uploadChart(ctx context.Context, c *engagement.Community, w engagement.Week, threadTS string, k *engagement.KPIs) error {
	if k == nil {
		var err error
		if k, err = a.store.KPIs(ctx, c, w, a.kpiOptions(ctx)); err != nil {
			return err
		}
	}
	png, err := chart.PNG(c.ID, k.History)
	if err != nil {
		return err
	}
	_, err = a.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(png), FileSize: len(png),
		Filename: fmt.Sprintf("closeknit-%s-%s.png", c.ID, w), Title: fmt.Sprintf("%s: 12 weeks to %s", c.ID, w),
		AltTxt:  "Two panels over the last 12 weeks: messages per week as bars (thread replies stacked), and active members and participation rate as lines",
		Channel: c.BrandChannel, ThreadTimestamp: threadTS,
	})
	return err
}

// postedByUs reports whether m was posted by this app's bot: anyone can
// post a message with look-alike metadata (another app, a workflow), and
// taking theirs for our digest would drop the week's digest.
func (a *App) postedByUs(m slack.Msg) bool {
	return m.User == a.botUserID && (a.botID == "" || m.BotID == a.botID)
}

// findPostedDigest looks in the brand channel, from shortly before the
// claim on, for a digest of c and w posted by this app, and returns its ts.
func (a *App) findPostedDigest(ctx context.Context, c *engagement.Community, w engagement.Week, claimed time.Time) (string, error) {
	p := &slack.GetConversationHistoryParameters{
		ChannelID: c.BrandChannel, Limit: 200, IncludeAllMetadata: true,
		Oldest: strconv.FormatInt(claimed.Add(-5*time.Minute).Unix(), 10), // clocks differ a little
	}
	for range 50 { // 10 000 messages: far more than a brand channel sees between a crash and a restart
		h, err := a.api.GetConversationHistoryContext(ctx, p)
		if err != nil {
			return "", err
		}
		for _, m := range h.Messages {
			md := m.Metadata
			if md.EventType == digestEventType && md.EventPayload["community"] == c.ID && md.EventPayload["week"] == w.String() && a.postedByUs(m.Msg) {
				return m.Timestamp, nil
			}
		}
		if !h.HasMore || h.ResponseMetaData.NextCursor == "" {
			return "", nil
		}
		p.Cursor = h.ResponseMetaData.NextCursor
	}
	return "", fmt.Errorf("brand channel history too long to search")
}
