package slackapp

import (
	"context"

	"github.com/slack-go/slack"
)

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

// postedByUs reports whether m was posted by this app's bot: anyone can
// post a message with look-alike metadata (another app, a workflow), and
// taking theirs for our digest would drop the week's digest.
func (a *App) postedByUs(m slack.Msg) bool {
	return m.User == a.botUserID && (a.botID == "" || m.BotID == a.botID)
}
