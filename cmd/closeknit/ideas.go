package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/closeknit/closeknit/engagement"
)

// ideaJSON is one idea in `closeknit ideas --json`. Author is empty when
// the author opted out or was forgotten.
type ideaJSON struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	Author     string    `json:"author"`
	Status     string    `json:"status"`
	Votes      int       `json:"votes"`
	StaffVotes int       `json:"staff_votes"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
	Permalink  string    `json:"permalink"`
}

// ideas is `closeknit ideas [--json]`: every idea, most votes first. With
// several communities, one JSON object (or table) per community.
func ideas(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ideas", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := bindSettings(fs, getenv)
	asJSON := fs.Bool("json", false, `print JSON: {"community","ideas":[…]}`)
	only := fs.String("only", "", "with several communities, list only this community `id`")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: closeknit ideas [--json] [--only ID]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("ideas: unexpected %q; run \"closeknit ideas -h\"", fs.Arg(0))
	}
	store, communities, closeFn, err := openForCLI(ctx, s, *only)
	if err != nil {
		return err
	}
	defer closeFn()
	for _, c := range communities {
		list, err := store.Ideas(ctx, c)
		if err != nil {
			return err
		}
		out := struct {
			Community string     `json:"community"`
			Ideas     []ideaJSON `json:"ideas"`
		}{Community: c.ID, Ideas: []ideaJSON{}}
		for _, i := range list {
			out.Ideas = append(out.Ideas, ideaJSON{ID: i.ID, Title: i.Title, Author: i.ShownAuthor(), Status: i.Status,
				Votes: i.Votes, StaffVotes: i.StaffVotes, Created: i.Created, Updated: i.Updated, Permalink: i.Link})
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(out); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(stdout, "Ideas of %s:\n", c.ID)
		printIdeas(stdout, list)
	}
	return nil
}

// printIdeas writes ideas as a table a person can read.
func printIdeas(w io.Writer, list []*engagement.Idea) {
	if len(list) == 0 {
		fmt.Fprintln(w, "No ideas yet.")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tvotes\tstaff\tstatus\tauthor\ttitle")
	for _, i := range list {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", i.ID, i.Votes, i.StaffVotes, i.Status,
			cmp.Or(i.ShownAuthor(), "a member"), cmp.Or(i.Title, "(deleted by its author)"))
	}
	tw.Flush()
}
