package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/closeknit/closeknit/engagement"
)

func report(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := bindSettings(fs, getenv)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	weekFlag := fs.String("week", "", "the week, `YYYY-Www` (default: the current week in the community's zone)")
	only := fs.String("only", "", "with several communities, report only this community `id`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := s.load(false)
	if err != nil {
		return err
	}
	communities, err := cfg.only(*only)
	if err != nil {
		return err
	}
	store, closeFn, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	var reports []*engagement.Report
	for _, c := range communities {
		w := engagement.WeekOf(store.Now(), c.Location)
		if *weekFlag != "" {
			if w, err = engagement.ParseWeek(*weekFlag); err != nil {
				return fmt.Errorf("--week: %q is not a week like 2026-W47", *weekFlag)
			}
		}
		r, err := store.Report(ctx, c, w)
		if err != nil {
			return err
		}
		reports = append(reports, r)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if len(reports) == 1 {
			return enc.Encode(reports[0])
		}
		return enc.Encode(reports)
	}
	for _, r := range reports {
		printReport(stdout, r)
	}
	return nil
}

// printReport writes a report as a table a person can read.
func printReport(w io.Writer, r *engagement.Report) {
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
