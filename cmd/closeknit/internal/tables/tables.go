// Package tables writes closeknit's figures as tables a person can read:
// the week's report and the prototypes, as `closeknit report` and
// `closeknit prototypes` print them and the sandbox shows them.
package tables

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/closeknit/closeknit/engagement"
)

// Report writes a report as a table a person can read.
func Report(w io.Writer, r *engagement.Report) {
	fmt.Fprintf(w, "%s · %s (week starting %s, %s) · channel %s\n\n",
		r.Community, r.Week, r.Start.Format("Mon 2 Jan 2006"), r.Timezone, r.Channel)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Messages\t%d\t(top-level and thread replies)\n", r.Messages)
	fmt.Fprintf(tw, "Thread replies\t%d\n", r.ThreadReplies)
	fmt.Fprintf(tw, "Reactions\t%d\t(net of removals)\n", r.Reactions)
	fmt.Fprintf(tw, "Active posters\t%d\n", r.ActivePosters)
	fmt.Fprintf(tw, "Active participants\t%d\t(posted or reacted)\n", r.ActiveParticipants)
	fmt.Fprintf(tw, "Joined / left\t%d / %d\n", r.Joins, r.Leaves)
	tw.Flush()

	fmt.Fprintf(w, "\nMessages by weekday:  ")
	for i, d := range []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"} {
		fmt.Fprintf(w, "%s %d  ", d, r.ByWeekday[i])
	}
	fmt.Fprintf(w, "\nBusiest hours:        ")
	for _, h := range busiestHours(r.ByHour, 3) {
		fmt.Fprintf(w, "%02d:00 (%d)  ", h, r.ByHour[h])
	}
	fmt.Fprintln(w)

	if len(r.Members) > 0 {
		fmt.Fprintf(w, "\nMembers (%d active, most messages first):\n", len(r.Members))
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "user\tmessages\tthread replies\treactions\t")
		for i, m := range r.Members {
			if i == 15 {
				fmt.Fprintf(tw, "… %d more\t\t\t\t\n", len(r.Members)-i)
				break
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", m.User, m.Messages, m.ThreadReplies, m.Reactions)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
}

// busiestHours returns the n hours with most messages, busiest first.
func busiestHours(byHour [24]int64, n int) []int {
	var out []int
	used := [24]bool{}
	for range n {
		best := -1
		for h, v := range byHour {
			if !used[h] && v > 0 && (best < 0 || v > byHour[best]) {
				best = h
			}
		}
		if best < 0 {
			break
		}
		used[best] = true
		out = append(out, best)
	}
	return out
}

// Prototypes writes prototype figures as a table a person can read.
func Prototypes(w io.Writer, list []engagement.PrototypeSummary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tname\tstatus\tcloses\tparticipants\tyield\tcomments\tcommenters\tsentiment\treactions / votes")
	for _, p := range list {
		counts, sentiment := p.Reactions, fmt.Sprintf("%+.2f", p.Sentiment)
		if p.Votes != nil { // a poll
			counts, sentiment = p.Votes, "-"
		}
		var parts []string
		for _, k := range sortedKeys(counts) {
			parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%.0f%%\t%d\t%d\t%s\t%s\n", p.ID, p.Name, p.Status,
			p.ClosesAt.UTC().Format("2006-01-02 15:04 UTC"), p.Participants, p.Yield*100, p.Comments, p.Commenters,
			sentiment, strings.Join(parts, ", "))
	}
	tw.Flush()
}

func sortedKeys(m map[string]int64) []string {
	// Most first, then by name: the table reads like a leaderboard.
	return slices.SortedFunc(maps.Keys(m), func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
}
