package feature_test

import (
	"testing"

	"github.com/closeknit/closeknit/slackapp/feature"
)

// TestPermalink: the form chat.getPermalink returns, in the workspace's own
// domain; none without it.
func TestPermalink(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ workspace, want string }{
		{"https://knit-test.slack.com/", "https://knit-test.slack.com/archives/C05R8T2KLMN/p1763593200000100"},
		{"https://knit-test.enterprise.slack.com", "https://knit-test.enterprise.slack.com/archives/C05R8T2KLMN/p1763593200000100"},
		{"", ""},
	} {
		if got := feature.Permalink(c.workspace, "C05R8T2KLMN", "1763593200.000100"); got != c.want {
			t.Errorf("Permalink(%q) = %q, want %q", c.workspace, got, c.want)
		}
	}
}

// TestReplyPermalink: a reply's link names its thread, as
// chat.getPermalink's does; a top-level message's does not.
func TestReplyPermalink(t *testing.T) {
	t.Parallel()
	const ws = "https://knit-test.slack.com/"
	if got, want := feature.ReplyPermalink(ws, "C05R8T2KLMN", "1763593200.000200", "1763593200.000100"),
		"https://knit-test.slack.com/archives/C05R8T2KLMN/p1763593200000200?thread_ts=1763593200.000100&cid=C05R8T2KLMN"; got != want {
		t.Errorf("reply: %q, want %q", got, want)
	}
	if got, want := feature.ReplyPermalink(ws, "C05R8T2KLMN", "1763593200.000100", ""), feature.Permalink(ws, "C05R8T2KLMN", "1763593200.000100"); got != want {
		t.Errorf("top-level: %q, want %q", got, want)
	}
	if got := feature.ReplyPermalink("", "C05R8T2KLMN", "1763593200.000200", "1763593200.000100"); got != "" {
		t.Errorf("no workspace: %q", got)
	}
}
