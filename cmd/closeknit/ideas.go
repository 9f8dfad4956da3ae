package main

import (
	"cmp"
	"context"
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
	return listByCommunity(ctx, "ideas", args, getenv, stdout, stderr, func(ctx context.Context, store *engagement.Store, c *engagement.Community) (any, func(io.Writer), error) {
		list, err := store.Ideas(ctx, c)
		if err != nil {
			return nil, nil, err
		}
		out := struct {
			Community string     `json:"community"`
			Ideas     []ideaJSON `json:"ideas"`
		}{Community: c.ID, Ideas: []ideaJSON{}}
		for _, i := range list {
			out.Ideas = append(out.Ideas, ideaJSON{ID: i.ID, Title: i.Title, Author: i.ShownAuthor(), Status: i.Status,
				Votes: i.Votes, StaffVotes: i.StaffVotes, Created: i.Created, Updated: i.Updated, Permalink: i.Link})
		}
		return out, func(w io.Writer) { printIdeas(w, list) }, nil
	})
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
