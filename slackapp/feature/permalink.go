package feature

import "strings"

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
