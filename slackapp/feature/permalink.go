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

// ReplyPermalink is Permalink for a reply in the thread of threadTS, in
// the form chat.getPermalink returns for one: without the thread, Slack
// clients open the channel and do not find the reply.
func ReplyPermalink(workspaceURL, channel, ts, threadTS string) string {
	link := Permalink(workspaceURL, channel, ts)
	if link == "" || threadTS == "" || threadTS == ts {
		return link
	}
	return link + "?thread_ts=" + threadTS + "&cid=" + channel
}
