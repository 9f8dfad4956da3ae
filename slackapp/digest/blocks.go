package digest

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// Slack's limits that the digest's layout must respect (SLACK.md); the
// section text limit is feature.MaxSectionText.
const (
	maxMessageBlocks = 50
	maxHomeBlocks    = 100
	maxFieldText     = 2000
	listed           = 10 // names or links listed per section before "and N more"
)

// summary is the digest's notification text (and what screen readers
// read first).
func summary(k *engagement.KPIs) string {
	if k.Quiet() {
		return fmt.Sprintf("%s, week %s: a quiet week.", k.Community, k.Week)
	}
	return fmt.Sprintf("%s, week %s: %d messages (%s vs last week), %d active posters, %d awaiting an answer",
		k.Community, k.Week, k.Messages, pct(k.MessagesChange, k.MessagesPrevWeek > 0), k.ActivePosters, len(k.Unanswered))
}

// messageBlocks lays out the weekly digest: headline numbers with arrows
// and deltas, then people, prototypes, seats and the posts that need an
// answer. A week without any activity gets a short note instead.
func messageBlocks(k *engagement.KPIs) slack.Blocks {
	blocks := []slack.Block{
		slack.NewHeaderBlock(feature.Plain(fmt.Sprintf("%s · week %s", k.Community, k.Week))),
		slack.NewContextBlock("", feature.Mrkdwn(fmt.Sprintf("%s – %s (%s)",
			k.Start.Format("Mon 2 Jan"), k.End.Add(-time.Second).Format("Mon 2 Jan 2006"), k.Timezone))),
	}
	if k.Quiet() {
		blocks = append(blocks, slack.NewSectionBlock(feature.Mrkdwn(fmt.Sprintf(
			":zzz: *A quiet week.* No messages or reactions in <#%s>. %s", k.Channel, seatsLine(k))), nil, nil))
		if line := requestsLine(k); line != "" {
			blocks = append(blocks, section("*Seat requests*\n"+line))
		}
		return slack.Blocks{BlockSet: blocks}
	}
	blocks = append(blocks, slack.NewSectionBlock(nil, headlineFields(k), nil))
	if s := peopleText(k); s != "" {
		blocks = append(blocks, slack.NewDividerBlock(), section(s))
	}
	if len(k.Prototypes) > 0 {
		blocks = append(blocks, section(prototypesText(k)))
	}
	if p := k.Prompt; p != nil {
		first := "no reply yet"
		if p.Replies > 0 {
			first = "first reply after " + duration(p.FirstReplyAfter)
		}
		blocks = append(blocks, section(fmt.Sprintf("*This week's prompt*\n%s\n%d members taking part · %d replies · %d reactions · %s",
			feature.Truncate(feature.Escape(p.Text), 300), p.Participants, p.Replies, p.Reactions, first)))
	}
	blocks = append(blocks, section("*Seats*\n"+seatsLine(k)))
	if line := requestsLine(k); line != "" {
		blocks = append(blocks, section("*Seat requests*\n"+line))
	}
	if len(k.Unanswered) > 0 {
		blocks = append(blocks, section(unansweredText(k)))
	}
	return slack.Blocks{BlockSet: blocks}
}

// headlineFields are the headline numbers, two columns of at most 10.
func headlineFields(k *engagement.KPIs) []*slack.TextBlockObject {
	resp := "no top-level posts"
	if k.TopLevelPosts > 0 {
		staff := "by staff: no reply yet"
		if k.StaffResponseTimeMedianSeconds > 0 || k.StaffResponseRate24h > 0 {
			staff = fmt.Sprintf("by staff: median %s · %s within 24 h", duration(k.StaffResponseTimeMedianSeconds), percent(k.StaffResponseRate24h))
		}
		resp = fmt.Sprintf("median %s · %s answered within 24 h\n%s", duration(k.ResponseTimeMedianSeconds), percent(k.ResponseRate24h), staff)
	}
	part := "no seat data"
	if k.Seated > 0 {
		part = fmt.Sprintf("%s of %d seated · %.1f messages each", percent(k.ParticipationRate), k.Seated, k.MessagesPerMember)
	}
	return []*slack.TextBlockObject{
		feature.Mrkdwn(fmt.Sprintf("*Messages*\n%d %s %s vs last week (%d)\n%s vs 4-week average (%.1f)",
			k.Messages, arrow(k.Messages, float64(k.MessagesPrevWeek)), pct(k.MessagesChange, k.MessagesPrevWeek > 0), k.MessagesPrevWeek,
			pct(k.MessagesVs4wAvg, k.Messages4wAvg > 0), k.Messages4wAvg)),
		feature.Mrkdwn(fmt.Sprintf("*Active posters*\n%d %s %+d · %d taking part", k.ActivePosters,
			arrow(k.ActivePosters, float64(k.PrevActivePosters)), k.ActivePosters-k.PrevActivePosters, k.ActiveParticipants)),
		feature.Mrkdwn("*Participation*\n" + part),
		feature.Mrkdwn("*Response time*\n" + resp),
		feature.Mrkdwn(fmt.Sprintf("*Thread replies · reactions*\n%d · %d", k.ThreadReplies, k.Reactions)),
		feature.Mrkdwn(fmt.Sprintf("*Retention · top 10%% share*\n%s came back · %s of messages", percent(k.Retention), percent(k.Top10Share))),
	}
}

func peopleText(k *engagement.KPIs) string {
	var b strings.Builder
	if len(k.TopContributors) > 0 {
		b.WriteString("*Top contributors* (ambassador candidates)\n")
		for i, c := range k.TopContributors {
			fmt.Fprintf(&b, "%d. <@%s>: %d messages\n", i+1, c.User, c.Messages)
		}
	}
	if len(k.MostThanked) > 0 || len(k.Helpers) > 0 {
		b.WriteString("*Spotlight candidates*\n")
		if len(k.MostThanked) > 0 {
			b.WriteString("_Most thanked_\n")
			list(&b, len(k.MostThanked), func(i int) string {
				return fmt.Sprintf("<@%s> (%s)", k.MostThanked[i].User, plural(k.MostThanked[i].Thanks, "thanks", "thanks"))
			})
		}
		if len(k.Helpers) > 0 {
			b.WriteString("_Best helpers_ (first to answer others' posts)\n")
			list(&b, len(k.Helpers), func(i int) string {
				return fmt.Sprintf("<@%s> (%s)", k.Helpers[i].User, plural(k.Helpers[i].FirstAnswers, "post", "posts"))
			})
		}
	}
	if len(k.NewMembers) > 0 {
		b.WriteString("*New members*\n")
		list(&b, len(k.NewMembers), func(i int) string {
			intro := "no intro yet"
			if k.NewMembers[i].Intro {
				intro = ":wave: introduced"
			}
			return fmt.Sprintf("<@%s> (%s)", k.NewMembers[i].User, intro)
		})
	}
	if len(k.Lapsing) > 0 {
		b.WriteString("*Going quiet* (regulars silent for two weeks)\n")
		list(&b, len(k.Lapsing), func(i int) string {
			return fmt.Sprintf("<@%s> (last posted %s)", k.Lapsing[i].User, k.Lapsing[i].LastActiveWeek)
		})
	}
	return strings.TrimSpace(b.String())
}

func prototypesText(k *engagement.KPIs) string {
	var b strings.Builder
	b.WriteString("*Prototypes*\n")
	list(&b, len(k.Prototypes), func(i int) string { return prototypeLine(k, &k.Prototypes[i], true) })
	return strings.TrimSpace(b.String())
}

// prototypeLine is one prototype's scoreboard line; link makes its name a
// link to the card (Slack markup; plain names in Markdown).
func prototypeLine(k *engagement.KPIs, p *engagement.PrototypeSummary, link bool) string {
	name := p.Name
	if link && p.Permalink != "" { // staff typed the name: escaped, as on the card
		name = fmt.Sprintf("<%s|%s>", feature.EscapeURL(p.Permalink), feature.Escape(p.Name))
	}
	state := "closed " + p.ClosesAt.In(k.Start.Location()).Format("Mon 2 Jan")
	if p.Status == engagement.StatusOpen {
		state = "open until " + p.ClosesAt.In(k.Start.Location()).Format("Mon 2 Jan")
	}
	return fmt.Sprintf("%s (%s): %d taking part (%s of seats), %d comments, sentiment %+.2f",
		name, state, p.Participants, percent(p.Yield), p.Comments, p.Sentiment)
}

// unansweredLines are the posts waiting for an answer, one line each, in
// the order of k.Unanswered (oldest first).
func unansweredLines(k *engagement.KPIs) []string {
	out := make([]string, len(k.Unanswered))
	for i, u := range k.Unanswered {
		who := "a member"
		if u.User != "" {
			who = "<@" + u.User + ">"
		}
		t, _ := engagement.ParseTS(u.TS)
		post := "post"
		if u.Permalink != "" {
			post = "<" + u.Permalink + "|post>"
		}
		out[i] = fmt.Sprintf("• %s by %s, %s", post, who, t.In(k.Start.Location()).Format("Mon 2 Jan 15:04"))
	}
	return out
}

// unansweredText is the digest's list: the 10 oldest posts, then how many
// more there are and where staff find them all.
func unansweredText(k *engagement.KPIs) string {
	lines := unansweredLines(k)
	var b strings.Builder
	fmt.Fprintf(&b, "*Waiting for an answer* (over 24 h): %d, oldest first\n", len(lines))
	b.WriteString(strings.Join(lines[:min(len(lines), listed)], "\n"))
	if n := len(lines) - listed; n > 0 {
		fmt.Fprintf(&b, "\n… and %d more: the staff Home (closeknit's Home tab in Slack) lists them all", n)
	}
	return b.String()
}

// unansweredSections is the staff Home's list: every post, oldest first,
// in as many sections as their text needs, at most maxBlocks (the Home
// tab's 100 blocks are shared); what does not fit is counted.
func unansweredSections(k *engagement.KPIs, maxBlocks int) []slack.Block {
	lines := unansweredLines(k)
	cur := fmt.Sprintf("*Waiting for an answer* (over 24 h): %d, oldest first", len(lines))
	var out []slack.Block
	for i, l := range lines {
		if len(cur)+1+len(l) > feature.MaxSectionText-100 { // room for the count of the rest
			if len(out) == maxBlocks-1 {
				cur += fmt.Sprintf("\n… and %d more than the Home tab can show", len(lines)-i)
				break
			}
			out = append(out, section(cur))
			cur = ""
		}
		cur = strings.TrimPrefix(cur+"\n"+l, "\n")
	}
	return append(out, section(cur))
}

func seatsLine(k *engagement.KPIs) string {
	if k.Seated == 0 && k.Waitlist == 0 {
		return fmt.Sprintf("Cap %d seats.", k.Cap)
	}
	return fmt.Sprintf("%d of %d seats taken · %d on the waitlist.", k.Seated, k.Cap, k.Waitlist)
}

// list writes up to listed bullet lines, then "and N more".
func list(b *strings.Builder, n int, line func(int) string) {
	for i := range min(n, listed) {
		b.WriteString("• " + line(i) + "\n")
	}
	if n > listed {
		fmt.Fprintf(b, "… and %d more\n", n-listed)
	}
}

// section is a mrkdwn section, cut to Slack's limit if it ever grew past it.
func section(s string) *slack.SectionBlock {
	if len(s) > feature.MaxSectionText {
		s = s[:feature.MaxSectionText-1] + "…"
	}
	return slack.NewSectionBlock(feature.Mrkdwn(s), nil, nil)
}

func arrow[N int64 | int](now N, before float64) string {
	switch {
	case float64(now) > before:
		return "↑"
	case float64(now) < before:
		return "↓"
	}
	return "→"
}

// pct formats a change as a signed percentage, or "n/a" with nothing to
// compare with.
func pct(f float64, comparable bool) string {
	if !comparable {
		return "n/a"
	}
	return fmt.Sprintf("%+.0f%%", f*100)
}

func percent(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

// duration formats seconds the way people say them: 45s, 12m, 3h 20m, 2d 4h.
func duration(sec float64) string {
	d := time.Duration(math.Round(sec)) * time.Second
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
}

// requestsLine sums up the week's seat requests and nominations: how many
// were asked, approved and declined, how many wait, and how fast staff
// decided; "" for a week without any.
func requestsLine(k *engagement.KPIs) string {
	r := k.SeatRequests
	if r == nil {
		return ""
	}
	line := fmt.Sprintf("%d asked · %d approved · %d declined", r.Opened, r.Approved, r.Declined)
	if r.Open > 0 {
		line += fmt.Sprintf(" · %d waiting for a decision", r.Open)
	}
	if r.Approved+r.Declined > 0 {
		line += " · median " + duration(r.DecisionMedianSeconds) + " to a decision"
	}
	return line
}
