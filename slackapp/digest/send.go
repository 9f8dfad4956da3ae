package digest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/chart"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// The weekly digest goes out to each community's brand channel at
// Deps.DigestAt in the community's zone, covering the week just ended,
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
//     archived, a scope missing: feature.Final) ends the week: marked
//     "refused", counted, and staff are told once. Only Slack's own trouble
//     (rate limits, 5xx, no answer) is retried on the next tick.
//
// A digest missed while every replica was down is sent by the first job
// run after start-up, late and once; only the latest due week is sent.
const eventType = "closeknit_digest"

// Job is the scheduled job: it sends the latest due digest of c unless
// that is done.
func (d *Digest) Job(ctx context.Context, c *engagement.Community) error {
	if !d.on || c.BrandChannel == "" {
		return nil
	}
	_, w := d.at.Last(d.store.Now(), c.Location)
	_, err := d.Send(ctx, c, w)
	if errors.Is(err, ErrRefused) {
		return nil // over for this week: counted, logged and staff told when refused
	}
	return err
}

// ErrRefused is returned for a week whose digest Slack refused for good:
// it is not tried again.
var ErrRefused = errors.New("refused by Slack")

// Send posts week w's digest of c to its brand channel unless it was
// posted before, and returns the message's ts either way.
func (d *Digest) Send(ctx context.Context, c *engagement.Community, w engagement.Week) (string, error) {
	if c.BrandChannel == "" {
		return "", fmt.Errorf("community %s has no brand channel (CLOSEKNIT_BRAND_CHANNEL)", c.ID)
	}
	st, err := d.store.ClaimDigest(ctx, c, w)
	if err != nil {
		return "", err
	}
	switch st.State {
	case engagement.DigestSent:
		return st.TS, d.chart(ctx, c, w, st, nil)
	case engagement.DigestRefused:
		return "", fmt.Errorf("digest %s %s: %w (%s); once the cause is fixed, `closeknit digest --post --again --week %s` sends it",
			c.ID, w, ErrRefused, st.Error, w)
	}
	if !st.Fresh {
		// An earlier attempt claimed the week and stopped: it may have posted.
		ts, err := d.findPosted(ctx, c, w, st.ClaimedAt)
		if code := feature.Code(err); feature.Final(code) {
			return "", d.refuse(ctx, c, w, "digest.history", code, err)
		}
		if err != nil {
			return "", fmt.Errorf("digest %s %s: looking for an earlier post: %w", c.ID, w, err)
		}
		if ts != "" {
			d.log.Info("digest found posted by an earlier attempt", "community", c.ID, "week", w.String(), "ts", ts)
			if err := d.store.MarkDigestSent(ctx, c, w, ts); err != nil {
				return "", err
			}
			d.m.sent(c, time.Now())
			st.TS = ts
			return ts, d.chart(ctx, c, w, st, nil)
		}
	}
	k, err := d.KPIs(ctx, c, w)
	if err != nil {
		return "", err
	}
	_, ts, err := d.api.PostMessageContext(ctx, c.BrandChannel,
		slack.MsgOptionText(summary(k), false),
		slack.MsgOptionBlocks(messageBlocks(k).BlockSet...),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: eventType,
			EventPayload: map[string]any{"community": c.ID, "week": w.String()}}),
	)
	if code := feature.Code(err); feature.Final(code) {
		return "", d.refuse(ctx, c, w, "digest.post", code, err)
	}
	if err != nil {
		d.m.failed(c)
		return "", fmt.Errorf("digest %s %s: post: %w", c.ID, w, err)
	}
	if err := d.store.MarkDigestSent(ctx, c, w, ts); err != nil {
		// Posted but not marked: the next run finds it by its metadata.
		return ts, err
	}
	d.m.sent(c, time.Now())
	d.notify.ClearSetupProblems(ctx, c, "brand:")
	d.log.Info("digest sent", "community", c.ID, "week", w.String(), "ts", ts)
	st.TS = ts
	return ts, d.chart(ctx, c, w, st, k)
}

// refuse ends week w's digest of c after Slack refused method's call
// for good: marked refused in Redis (no replica or restart tries again),
// counted, logged, and staff told once. It returns ErrRefused.
func (d *Digest) refuse(ctx context.Context, c *engagement.Community, w engagement.Week, method, code string, err error) error {
	if merr := d.store.MarkDigestRefused(ctx, c, w, code); merr != nil {
		d.m.failed(c)
		return merr // not marked: the next tick meets the refusal again
	}
	d.m.refused(c)
	d.notify.BrandRefused(ctx, c, method, code, fmt.Sprintf("the weekly digest of %s", w), err)
	return fmt.Errorf("digest %s %s: %w (%s)", c.ID, w, ErrRefused, code)
}

// chart uploads the 12-week chart into the digest's thread unless
// that was tried before. A failure is logged, not returned: the digest is
// out, and trying again could post the picture twice.
func (d *Digest) chart(ctx context.Context, c *engagement.Community, w engagement.Week, st engagement.DigestState, k *engagement.KPIs) error {
	if st.Chart != "" {
		return nil
	}
	if err := d.store.MarkDigestChart(ctx, c, w, "tried"); err != nil {
		return err
	}
	outcome := "ok"
	if err := d.uploadChart(ctx, c, w, st.TS, k); err != nil {
		outcome = "failed"
		if code := feature.Code(err); feature.Final(code) {
			d.notify.BrandRefused(ctx, c, "digest.chart", code, fmt.Sprintf("the chart of the weekly digest of %s", w), err)
		}
		d.log.Warn("digest chart not uploaded; the digest went out without it", "community", c.ID, "week", w.String(), "err", err)
	}
	return d.store.MarkDigestChart(ctx, c, w, outcome)
}

func (d *Digest) uploadChart(ctx context.Context, c *engagement.Community, w engagement.Week, threadTS string, k *engagement.KPIs) error {
	if k == nil {
		var err error
		if k, err = d.KPIs(ctx, c, w); err != nil {
			return err
		}
	}
	png, err := chart.PNG(ctx, c.ID, k.History)
	if err != nil {
		return err
	}
	_, err = d.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(png), FileSize: len(png),
		Filename: fmt.Sprintf("closeknit-%s-%s.png", c.ID, w), Title: fmt.Sprintf("%s: 12 weeks to %s", c.ID, w),
		AltTxt:  "Two panels over the last 12 weeks: messages per week as bars (thread replies stacked), and active members and participation rate as lines",
		Channel: c.BrandChannel, ThreadTimestamp: threadTS,
	})
	return err
}

// findPosted looks in the brand channel, from shortly before the
// claim on, for a digest of c and w posted by this app, and returns its ts.
func (d *Digest) findPosted(ctx context.Context, c *engagement.Community, w engagement.Week, claimed time.Time) (string, error) {
	return feature.FindPosted(ctx, d.api, c.BrandChannel, claimed, eventType, c.ID, w.String(), d.ours)
}
