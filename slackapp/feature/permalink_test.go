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
