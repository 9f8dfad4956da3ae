package digest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// checkLimits fails the test for anything Slack would reject.
func checkLimits(t *testing.T, name string, blocks []slack.Block, maxBlocks int) {
	t.Helper()
	if len(blocks) > maxBlocks {
		t.Errorf("%s: %d blocks, at most %d allowed", name, len(blocks), maxBlocks)
	}
	for i, b := range blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			if n := len([]rune(b.Text.Text)); n > 150 {
				t.Errorf("%s: block %d: header of %d characters, at most 150", name, i, n)
			}
		case *slack.SectionBlock:
			if b.Text != nil && len([]rune(b.Text.Text)) > feature.MaxSectionText {
				t.Errorf("%s: block %d: section text of %d characters, at most %d", name, i, len([]rune(b.Text.Text)), feature.MaxSectionText)
			}
			if len(b.Fields) > 10 {
				t.Errorf("%s: block %d: %d fields, at most 10", name, i, len(b.Fields))
			}
			for _, f := range b.Fields {
				if len([]rune(f.Text)) > maxFieldText {
					t.Errorf("%s: block %d: field of %d characters, at most %d", name, i, len([]rune(f.Text)), maxFieldText)
				}
			}
			if b.Text == nil && len(b.Fields) == 0 {
				t.Errorf("%s: block %d: section without text or fields", name, i)
			}
		case *slack.ContextBlock:
			if len(b.ContextElements.Elements) > 10 {
				t.Errorf("%s: block %d: %d context elements, at most 10", name, i, len(b.ContextElements.Elements))
			}
		}
	}
}

// fixtureKPIs is the W47 week of engagement's hand-computed KPI fixture,
// with seats, a waitlist and new members.
func fixtureKPIs(t *testing.T) *engagement.KPIs {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 16, 0, 0, 0, 0, loc)
	return &engagement.KPIs{
		Community: "acme", Channel: "C05R8T2KLMN", Timezone: "America/Los_Angeles", Week: "2026-W47",
		Start: start, End: start.AddDate(0, 0, 7), AsOf: time.Date(2026, 11, 23, 9, 0, 0, 0, loc),
		Messages: 11, MessagesPrevWeek: 6, MessagesChange: 5.0 / 6, Messages4wAvg: 4.5, MessagesVs4wAvg: 6.5 / 4.5,
		ThreadReplies: 3, Reactions: 3, ActivePosters: 6, ActiveParticipants: 6, PrevActivePosters: 5,
		Seated: 40, Cap: 50, Waitlist: 7, ParticipationRate: 5.0 / 40, MessagesPerMember: 9.0 / 40, Top10Share: 9.0 / 9,
		TopLevelPosts: 7, ResponseTimeMedianSeconds: 2700, ResponseRate24h: 0.5,
		Unanswered: []engagement.Unanswered{
			{User: "UC0000001", TS: "1763593200.000000", Permalink: "https://acme.slack.com/archives/C05R8T2KLMN/p1763593200000000"},
			{User: "", TS: "1763654400.000000", Permalink: "https://acme.slack.com/archives/C05R8T2KLMN/p1763654400000000"},
		},
		Retention:       0.75,
		Lapsing:         []engagement.Lapsing{{User: "ULAPSE001", LastActiveWeek: "2026-W45"}, {User: "UEXACT001", LastActiveWeek: "2026-W39"}},
		TopContributors: []engagement.Contributor{{User: "UA0000001", Messages: 4}, {User: "UB0000001", Messages: 2}},
		NewMembers: []engagement.NewMember{
			{User: "UD0000001", Joined: start.Add(30 * time.Hour), Intro: true},
			{User: "UE0000001", Joined: start.Add(80 * time.Hour), Intro: false},
		},
		Prototypes: []engagement.PrototypeSummary{
			{ID: "P2", Name: "Dusk <shade> & co", Channel: "C05R8T2KLMN", TS: "1763600000.000100", Status: "open",
				Permalink: "https://acme.slack.com/archives/C05R8T2KLMN/p1763600000000100",
				ClosesAt:  start.AddDate(0, 0, 9), Participants: 12, Comments: 5, Commenters: 4, Yield: 0.3, Sentiment: 0.42},
			{ID: "P1", Name: "Trail bottle", Channel: "C05R8T2KLMN", TS: "1763000000.000100", Status: "closed",
				Permalink: "https://acme.slack.com/archives/C05R8T2KLMN/p1763000000000100",
				ClosesAt:  start.Add(50 * time.Hour), Participants: 20, Comments: 9, Commenters: 7, Yield: 0.5, Sentiment: -0.1},
		},
		History: []engagement.WeekPoint{{Week: "2026-W47", Messages: 11, ActiveParticipants: 6}},
	}
}

func TestDigestBlocksGolden(t *testing.T) {
	k := fixtureKPIs(t)
	golden(t, "digest", map[string]any{"text": summary(k), "blocks": messageBlocks(k)})
	checkLimits(t, "digest", messageBlocks(k).BlockSet, maxMessageBlocks)

	quiet := &engagement.KPIs{Community: "acme", Channel: "C05R8T2KLMN", Timezone: k.Timezone, Week: "2026-W47",
		Start: k.Start, End: k.End, Cap: 50, Seated: 40, Waitlist: 2}
	golden(t, "digest_quiet", map[string]any{"text": summary(quiet), "blocks": messageBlocks(quiet)})
	if n := len(messageBlocks(quiet).BlockSet); n != 3 {
		t.Errorf("quiet week: %d blocks, want a header, a date line and one note", n)
	}

	golden(t, "home_staff", staffHomeView([]*engagement.KPIs{k}, k.AsOf))
}

// A very busy week stays within Slack's limits: long lists are cut with
// "and N more".
func TestDigestWithinSlackLimits(t *testing.T) {
	k := fixtureKPIs(t)
	for i := range 500 {
		u := fmt.Sprintf("U%08d", i)
		k.Unanswered = append(k.Unanswered, engagement.Unanswered{User: u, TS: "1763593200.000100", Permalink: "https://acme.slack.com/archives/C05R8T2KLMN/p1763593200000100"})
		k.Lapsing = append(k.Lapsing, engagement.Lapsing{User: u, LastActiveWeek: "2026-W40"})
		k.NewMembers = append(k.NewMembers, engagement.NewMember{User: u, Joined: k.Start, Intro: i%2 == 0})
		k.Prototypes = append(k.Prototypes, engagement.PrototypeSummary{ID: fmt.Sprintf("P%d", i), Name: strings.Repeat("Long name ", 20), Channel: "C05R8T2KLMN", TS: "1763593200.000100", Status: "open",
			Permalink: "https://acme.slack.com/archives/C05R8T2KLMN/p1763593200000100"})
	}
	checkLimits(t, "busy digest", messageBlocks(k).BlockSet, maxMessageBlocks)
	boards := []*engagement.KPIs{}
	for range 30 {
		boards = append(boards, k)
	}
	checkLimits(t, "staff home of 30 communities", staffHomeView(boards, k.AsOf).Blocks.BlockSet, maxHomeBlocks)
}
