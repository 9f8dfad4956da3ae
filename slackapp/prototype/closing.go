package prototype

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// CloseDue is the scheduled job: it closes every prototype whose deadline
// passed (the Lua transition lets exactly one caller close each) and
// announces every closing not yet announced.
func (f *Feature) CloseDue(ctx context.Context, c *engagement.Community) error {
	if _, err := f.d.Store.CloseDue(ctx, c); err != nil {
		return err
	}
	err := f.announceClosed(ctx, c)
	if n, oerr := f.d.Store.OpenPrototypes(ctx, c); oerr == nil {
		f.m.open.WithLabelValues(c.ID).Set(float64(n))
	}
	return err
}

// announceInBackground announces closings outside the scheduler (after a
// staff command closed one).
func (f *Feature) announceInBackground(c *engagement.Community) {
	ctx, cancel := context.WithTimeout(context.Background(), feature.JobRun)
	defer cancel()
	if err := f.announceClosed(ctx, c); err != nil {
		f.d.Log.Warn("prototype closing not announced; the scheduler will retry", "community", c.ID, "err", err)
	}
}

// announceClosed updates the card of each closed prototype and posts its
// results to the brand channel. Each step is marked done in Redis, and each
// prototype is claimed while it is announced, so the scheduler on any
// replica and a staff command can all call this: a step is done once. (A
// replica dying between Slack's answer and the mark would repeat that one
// step on the next run: chat.update is harmless to repeat; a summary could
// then be posted twice.) A refusal no retry can fix (a deleted card, the
// app not in the brand channel) ends its step: counted and logged, and the
// results are posted even if the card could not be updated.
func (f *Feature) announceClosed(ctx context.Context, c *engagement.Community) error {
	holder := rand.Text()
	pending, err := f.d.Store.ClaimAnnouncements(ctx, c, holder, feature.JobRun)
	if err != nil {
		return err
	}
	var firstErr error
	for _, an := range pending {
		if err := f.announce(ctx, c, an); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			if rerr := f.d.Store.ReleaseAnnouncement(context.WithoutCancel(ctx), c, an.TS); rerr != nil {
				f.d.Log.Warn("announcement claim not released", "err", rerr)
			}
			continue
		}
		if err := f.d.Store.FinishAnnouncement(ctx, c, an.TS); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func (f *Feature) announce(ctx context.Context, c *engagement.Community, an engagement.Announcement) error {
	seated, err := f.d.Store.SeatedCount(ctx, c)
	if err != nil {
		return err
	}
	r, err := f.d.Store.PrototypeResultsByTS(ctx, c, an.TS, seated)
	if err != nil {
		return err
	}
	if !an.CardUpdated {
		if err := f.updateCard(ctx, c, an.TS); err != nil {
			return fmt.Errorf("update card of %s: %w", r.ID, err)
		}
		if err := f.d.Store.MarkCardUpdated(ctx, c, an.TS); err != nil {
			return err
		}
	}
	if an.SummaryTS == "" {
		summaryTS := "-" // no brand channel configured: nothing to post
		if c.BrandChannel != "" {
			text, blocks := results(r)
			_, ts, err := f.d.API.PostMessageContext(ctx, c.BrandChannel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
			switch code := feature.Code(err); {
			case feature.Final(code):
				// Refused for good: the announcement ends, staff are told once.
				f.d.Notify.BrandRefused(ctx, c, "results.post", code, fmt.Sprintf("the results of %s (%s)", r.ID, feature.Escape(r.Name)), err)
				ts = "refused:" + code
			case err != nil:
				return fmt.Errorf("post results of %s: %w", r.ID, err)
			}
			summaryTS = ts
		}
		if err := f.d.Store.MarkSummaryPosted(ctx, c, an.TS, summaryTS); err != nil {
			return err
		}
	}
	return nil
}
