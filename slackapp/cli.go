package slackapp

import (
	"context"

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
	return a.digest.Send(ctx, c, w)
}

// ResendRefusedDigest posts week w's digest of c although Slack refused
// it for good before, once the cause is fixed (closeknit digest --post
// --again). A week that was not refused is sent as SendDigest would:
// at most once.
func (a *App) ResendRefusedDigest(ctx context.Context, c *engagement.Community, w engagement.Week) (string, error) {
	if _, err := a.store.ReopenRefusedDigest(ctx, c, w); err != nil {
		return "", err
	}
	return a.digest.Send(ctx, c, w)
}

// KPIs computes week w's KPIs of community c with the app's settings, with
// links into the workspace.
func (a *App) KPIs(ctx context.Context, c *engagement.Community, w engagement.Week) (*engagement.KPIs, error) {
	return a.digest.KPIs(ctx, c, w)
}

// DigestMarkdown renders the digest as Markdown; plainText drops the
// Markdown marks.
func DigestMarkdown(k *engagement.KPIs, plainText bool) string { return digest.Markdown(k, plainText) }
