package slackapp

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/digest"
)

// What the command line (closeknit digest, the sandbox) asks of the app
// outside Socket Mode.

// ErrDigestRefused is returned for a week whose digest Slack refused for
// good: it is not tried again.
var ErrDigestRefused = digest.ErrRefused

// SendDigest posts week w's digest of c to its brand channel unless it was
// posted before, and returns the message's ts either way.
func (a *App) SendDigest(ctx context.Context, c *engagement.Community, w engagement.Week) (string, error) {
	var ts string
	err := a.asDigestJob(ctx, c, func() (err error) {
		ts, err = a.digest.Send(ctx, c, w)
		return err
	})
	return ts, err
}

// asDigestJob runs fn under the digest job's lease for c, waiting for a
// replica's run to finish first. A digest claimed by a sender still at
// work is not yet in the channel's history, so a second sender at the same
// time could not see it and would post it again; under the lease, only one
// sends at a time, the command line included.
func (a *App) asDigestJob(ctx context.Context, c *engagement.Community, fn func() error) error {
	holder := "cli:" + rand.Text()
	for {
		ok, err := a.store.AcquireLease(ctx, c, "job:digest", holder, leaseTTL)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for a replica's digest job to finish: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := a.store.ReleaseLease(rctx, c, "job:digest", holder); err != nil {
			a.log.Warn("digest lease not released", "community", c.ID, "err", err)
		}
	}()
	return fn()
}

// ResendRefusedDigest posts week w's digest of c although Slack refused
// it for good before, once the cause is fixed (closeknit digest --post
// --again). A week that was not refused is sent as SendDigest would:
// at most once.
func (a *App) ResendRefusedDigest(ctx context.Context, c *engagement.Community, w engagement.Week) (string, error) {
	var ts string
	err := a.asDigestJob(ctx, c, func() error {
		if _, err := a.store.ReopenRefusedDigest(ctx, c, w); err != nil {
			return err
		}
		var err error
		ts, err = a.digest.Send(ctx, c, w)
		return err
	})
	return ts, err
}

// KPIs computes week w's KPIs of community c with the app's settings, with
// links into the workspace.
func (a *App) KPIs(ctx context.Context, c *engagement.Community, w engagement.Week) (*engagement.KPIs, error) {
	return a.digest.KPIs(ctx, c, w)
}

// DigestMarkdown renders the digest as Markdown; plainText drops the
// Markdown marks.
func DigestMarkdown(k *engagement.KPIs, plainText bool) string { return digest.Markdown(k, plainText) }
