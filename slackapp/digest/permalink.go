package digest

import (
	"strings"

	"github.com/closeknit/closeknit/engagement"
)

// Permalink is a link to a message that Slack clients open in place, in
// the workspace at workspaceURL (auth.test's "url"): the form
// chat.getPermalink returns for a top-level message. Slack has no
// workspace-independent message link, so without workspaceURL there is none
// ("").
func Permalink(workspaceURL, channel, ts string) string {
	if workspaceURL == "" {
		return ""
	}
	return strings.TrimSuffix(workspaceURL, "/") + "/archives/" + channel + "/p" + strings.Replace(ts, ".", "", 1)
}

// addPermalinks links the unanswered posts and the prototype cards of k,
// which the store names by channel and ts.
func addPermalinks(k *engagement.KPIs, workspaceURL string) {
	for i, u := range k.Unanswered {
		k.Unanswered[i].Permalink = Permalink(workspaceURL, k.Channel, u.TS)
	}
	for i, p := range k.Prototypes {
		k.Prototypes[i].Permalink = Permalink(workspaceURL, p.Channel, p.TS)
	}
}
