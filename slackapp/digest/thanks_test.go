package digest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/closeknit/closeknit/engagement"
)

// The spotlight candidates appear in the Block Kit digest and the
// Markdown one when there are some, and not at all otherwise.
func TestDigestSpotlightCandidates(t *testing.T) {
	k := fixtureKPIs(t)
	k.Thanks = 5
	k.MostThanked = []engagement.Candidate{{User: "UB0000001", Thanks: 3}, {User: "UC0000001", Thanks: 1}}
	k.Helpers = []engagement.Candidate{{User: "UA0000001", FirstAnswers: 2}}
	b, err := json.Marshal(messageBlocks(k))
	if err != nil {
		t.Fatal(err)
	}
	blocks, md := string(b), Markdown(k, false)
	for _, want := range []string{"Spotlight candidates", "\\u003c@UB0000001\\u003e (3 thanks)", "\\u003c@UC0000001\\u003e (1 thanks)",
		"Best helpers", "\\u003c@UA0000001\\u003e (2 posts)"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("digest blocks lack %q", want)
		}
	}
	for _, want := range []string{"## Most thanked (spotlight candidates)", "- UB0000001: 3 thanks", "## Best helpers, first to answer (spotlight candidates)",
		"- UA0000001: first to answer 2 posts"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown digest lacks %q:\n%s", want, md)
		}
	}
	checkLimits(t, "digest with candidates", messageBlocks(k).BlockSet, maxMessageBlocks)

	k.MostThanked, k.Helpers = nil, nil
	if b, _ := json.Marshal(messageBlocks(k)); strings.Contains(string(b), "Spotlight") || strings.Contains(Markdown(k, false), "spotlight") {
		t.Errorf("a week without candidates mentions the spotlight")
	}
}
