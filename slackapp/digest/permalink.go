package digest

import (
	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
)

// addPermalinks links the unanswered posts and the prototype cards of k,
// which the store names by channel and ts.
func addPermalinks(k *engagement.KPIs, workspaceURL string) {
	for i, u := range k.Unanswered {
		k.Unanswered[i].Permalink = feature.Permalink(workspaceURL, k.Channel, u.TS)
	}
	for i, p := range k.Prototypes {
		k.Prototypes[i].Permalink = feature.Permalink(workspaceURL, p.Channel, p.TS)
	}
}
