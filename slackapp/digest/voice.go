package digest

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
)

// The members' voice in the digest: the week's new ideas with their
// votes, the ideas whose status changed, and the drops with claimed of
// quantity and how fast they sold out. slack is true for Slack's markup
// (member text escaped); false for Markdown and plain text.

func ideaTitle(title string, slack bool) string {
	title = cmp.Or(title, "(deleted by its author)")
	if slack {
		return feature.Escape(title)
	}
	return title
}

func newIdeaLines(k *engagement.KPIs, slack bool) []string {
	out := make([]string, len(k.IdeasNew))
	for n, i := range k.IdeasNew {
		out[n] = fmt.Sprintf("%s %s: %s", i.ID, ideaTitle(i.Title, slack), votes(i.Votes))
	}
	return out
}

func statusLines(k *engagement.KPIs, slack bool) []string {
	out := make([]string, len(k.IdeasStatusChanged))
	for n, i := range k.IdeasStatusChanged {
		out[n] = fmt.Sprintf("%s %s: now %s", i.ID, ideaTitle(i.Title, slack), i.Status)
	}
	return out
}

func dropLines(k *engagement.KPIs, slack bool) []string {
	out := make([]string, len(k.Drops))
	for n, d := range k.Drops {
		name := d.Name
		if slack {
			name = feature.Escape(name)
		}
		sold := "not sold out"
		if d.SoldOutSeconds != nil {
			sold = "sold out in " + duration(*d.SoldOutSeconds)
		}
		out[n] = fmt.Sprintf("%s %s: %d of %d claimed, %s", d.ID, name, d.Claimed, d.Quantity, sold)
	}
	return out
}

func votes(n int) string {
	if n == 1 {
		return "1 vote"
	}
	return fmt.Sprintf("%d votes", n)
}

// voiceText is the digest's section on ideas and drops ("" if the week had
// none).
func voiceText(k *engagement.KPIs) string {
	var b strings.Builder
	part := func(title string, lines []string) {
		if len(lines) == 0 {
			return
		}
		b.WriteString(title + "\n")
		list(&b, len(lines), func(i int) string { return lines[i] })
	}
	part("*New ideas*", newIdeaLines(k, true))
	part("*Ideas with a new status*", statusLines(k, true))
	part("*Drops*", dropLines(k, true))
	return strings.TrimSpace(b.String())
}
