package digest

import (
	"fmt"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
)

// Markdown renders the digest as Markdown, for `closeknit digest
// --format markdown` and the sandbox's output folder. plainText drops the
// Markdown marks (--format text).
func Markdown(k *engagement.KPIs, plainText bool) string {
	var b strings.Builder
	h := func(level int, s string) {
		if plainText {
			fmt.Fprintf(&b, "%s\n\n", strings.ToUpper(s))
			return
		}
		fmt.Fprintf(&b, "%s %s\n\n", strings.Repeat("#", level), s)
	}
	h(1, fmt.Sprintf("%s · week %s", k.Community, k.Week))
	fmt.Fprintf(&b, "%s – %s (%s)\n\n", k.Start.Format("Mon 2 Jan"), k.End.Add(-time.Second).Format("Mon 2 Jan 2006"), k.Timezone)
	if k.Quiet() {
		fmt.Fprintf(&b, "A quiet week: no messages or reactions. %s\n", seatsLine(k))
		if line := requestsLine(k); line != "" {
			fmt.Fprintf(&b, "\nSeat requests: %s\n", line)
		}
		return b.String()
	}
	h(2, "Headlines")
	rows := [][2]string{
		{"Messages", fmt.Sprintf("%d %s %s vs last week (%d), %s vs 4-week average (%.1f)", k.Messages,
			arrow(k.Messages, float64(k.MessagesPrevWeek)), pct(k.MessagesChange, k.MessagesPrevWeek > 0), k.MessagesPrevWeek,
			pct(k.MessagesVs4wAvg, k.Messages4wAvg > 0), k.Messages4wAvg)},
		{"Thread replies", fmt.Sprint(k.ThreadReplies)},
		{"Reactions", fmt.Sprint(k.Reactions)},
		{"Active posters", fmt.Sprintf("%d %s (last week %d)", k.ActivePosters, arrow(k.ActivePosters, float64(k.PrevActivePosters)), k.PrevActivePosters)},
		{"Active participants", fmt.Sprint(k.ActiveParticipants)},
		{"Participation rate", percent(k.ParticipationRate)},
		{"Messages per member", fmt.Sprintf("%.1f", k.MessagesPerMember)},
		{"Top 10% share", percent(k.Top10Share)},
		{"Response time (median)", duration(k.ResponseTimeMedianSeconds)},
		{"Answered within 24 h", percent(k.ResponseRate24h)},
		{"Staff response time (median)", duration(k.StaffResponseTimeMedianSeconds)},
		{"Answered by staff within 24 h", percent(k.StaffResponseRate24h)},
		{"Retention", percent(k.Retention)},
	}
	if !plainText {
		b.WriteString("| KPI | This week |\n|---|---|\n")
	}
	for _, r := range rows {
		if plainText {
			fmt.Fprintf(&b, "%-24s %s\n", r[0]+":", r[1])
		} else {
			fmt.Fprintf(&b, "| %s | %s |\n", r[0], r[1])
		}
	}
	b.WriteString("\n")
	bullet := func(title string, n int, line func(int) string) {
		if n == 0 {
			return
		}
		h(2, title)
		for i := range n {
			fmt.Fprintf(&b, "- %s\n", line(i))
		}
		b.WriteString("\n")
	}
	bullet("Top contributors", len(k.TopContributors), func(i int) string {
		return fmt.Sprintf("%s: %d messages", k.TopContributors[i].User, k.TopContributors[i].Messages)
	})
	bullet("Most thanked (spotlight candidates)", len(k.MostThanked), func(i int) string {
		return fmt.Sprintf("%s: %s", k.MostThanked[i].User, plural(k.MostThanked[i].Thanks, "thanks", "thanks"))
	})
	bullet("Best helpers, first to answer (spotlight candidates)", len(k.Helpers), func(i int) string {
		return fmt.Sprintf("%s: first to answer %s", k.Helpers[i].User, plural(k.Helpers[i].FirstAnswers, "post", "posts"))
	})
	bullet("New members", len(k.NewMembers), func(i int) string {
		intro := "no intro yet"
		if k.NewMembers[i].Intro {
			intro = "introduced"
		}
		return fmt.Sprintf("%s, joined %s (%s)", k.NewMembers[i].User, k.NewMembers[i].Joined.In(k.Start.Location()).Format("Mon 2 Jan"), intro)
	})
	bullet("Going quiet", len(k.Lapsing), func(i int) string {
		return fmt.Sprintf("%s (last posted %s)", k.Lapsing[i].User, k.Lapsing[i].LastActiveWeek)
	})
	bullet("Prototypes", len(k.Prototypes), func(i int) string { return prototypeLine(k, &k.Prototypes[i], false) })
	h(2, "Seats")
	b.WriteString(seatsLine(k) + "\n\n")
	if line := requestsLine(k); line != "" {
		b.WriteString("Seat requests: " + line + "\n\n")
	}
	bullet("Waiting for an answer (over 24 h)", len(k.Unanswered), func(i int) string {
		u := k.Unanswered[i]
		who := u.User
		if who == "" {
			who = "a member"
		}
		switch {
		case u.Permalink == "": // no workspace address known: no link
			t, _ := engagement.ParseTS(u.TS)
			return fmt.Sprintf("post by %s, %s", who, t.In(k.Start.Location()).Format("Mon 15:04"))
		case plainText:
			return fmt.Sprintf("%s: %s", who, u.Permalink)
		}
		return fmt.Sprintf("[post](%s) by %s", u.Permalink, who)
	})
	return strings.TrimRight(b.String(), "\n") + "\n"
}
