package digest

import (
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/slack-go/slack"
)

// The week's ideas and drops appear in the Block Kit digest (the member's
// title escaped) and in the Markdown one (as typed).
func TestDigestIdeasAndDrops(t *testing.T) {
	start := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	sold := 95.0
	k := &engagement.KPIs{Community: "acme", Channel: "C1", Week: "2026-W47", Start: start, End: start.AddDate(0, 0, 7), Messages: 3,
		IdeasNew:           []engagement.NewIdea{{ID: "I2", Title: "Refills <please>", Votes: 1}, {ID: "I3", Votes: 4}},
		IdeasStatusChanged: []engagement.IdeaStatusChange{{ID: "I1", Title: "Travel size", Status: "planned"}},
		Drops:              []engagement.DropSummary{{ID: "D1", Name: "Night cream", Quantity: 20, Claimed: 20, SoldOutSeconds: &sold}, {ID: "D2", Name: "Mask", Quantity: 5, Claimed: 2}},
	}
	var text strings.Builder
	for _, b := range messageBlocks(k).BlockSet {
		if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil {
			text.WriteString(s.Text.Text + "\n")
		}
	}
	blocks := text.String()
	for _, want := range []string{"*New ideas*", "I2 Refills &lt;please&gt;: 1 vote", "I3 (deleted by its author): 4 votes",
		"*Ideas with a new status*", "I1 Travel size: now planned", "*Drops*", "D1 Night cream: 20 of 20 claimed, sold out in 1m", "D2 Mask: 2 of 5 claimed, not sold out"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("Block Kit digest lacks %q:\n%s", want, blocks)
		}
	}
	checkLimits(t, "digest", messageBlocks(k).BlockSet, 50)
	md := Markdown(k, false)
	for _, want := range []string{"## New ideas\n\n- I2 Refills <please>: 1 vote\n", "## Ideas with a new status\n\n- I1 Travel size: now planned\n",
		"## Drops\n\n- D1 Night cream: 20 of 20 claimed, sold out in 1m\n"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown digest lacks %q:\n%s", want, md)
		}
	}
}
