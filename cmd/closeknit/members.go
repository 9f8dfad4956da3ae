package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/closeknit/closeknit/engagement"
)

// oneCommunity opens the store for an operator command about a single
// community: the one --only names, or the only one configured.
func oneCommunity(ctx context.Context, fs *flag.FlagSet, args []string, getenv func(string) string, only *string) (*engagement.Store, *engagement.Community, func(), error) {
	s := bindSettings(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return nil, nil, nil, err
	}
	store, communities, closeFn, err := openForCLI(ctx, s, *only)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(communities) > 1 {
		closeFn()
		return nil, nil, nil, fmt.Errorf("several communities are configured: choose one with --only")
	}
	return store, communities[0], closeFn, nil
}

// members prints the seats, the waitlist and the cap.
func members(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("members", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	only := fs.String("only", "", "with several communities, the community `id`")
	store, c, closeFn, err := oneCommunity(ctx, fs, args, getenv, only)
	if err != nil {
		return err
	}
	defer closeFn()
	r, err := store.Roster(ctx, c)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return printRoster(stdout, r, c)
}

func printRoster(w io.Writer, r *engagement.Roster, c *engagement.Community) error {
	newcomers, intros, median := r.IntroStats()
	fmt.Fprintf(w, "%s (%s): %d of %d seats taken, %d waiting\n", r.Community, c.Channel, len(r.Seated), r.Cap, len(r.Waitlist))
	fmt.Fprintf(w, "intros: %d of %d newcomers introduced themselves", intros, newcomers)
	if intros > 0 {
		fmt.Fprintf(w, ", median time to first post %s", median.Round(time.Minute))
	}
	fmt.Fprint(w, "\n\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEATED\tSINCE\tINTRO")
	for _, s := range r.Seated {
		intro := "no"
		switch {
		case s.Intro:
			intro = fmt.Sprintf("yes, after %s", s.IntroAt.Sub(s.Since).Round(time.Minute))
		case s.Existing:
			intro = "n/a (was there before)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.User, s.Since.In(c.Location).Format("2006-01-02 15:04"), intro)
	}
	fmt.Fprintln(tw, "\nWAITING\tPOSITION\tSINCE")
	for _, q := range r.Waitlist {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", q.User, q.Position, q.Since.In(c.Location).Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

// forget deletes every per-person record of a user.
func forget(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("forget", flag.ContinueOnError)
	fs.SetOutput(stderr)
	only := fs.String("only", "", "with several communities, the community `id`")
	fs.Usage = func() { fmt.Fprintln(stderr, "Usage: closeknit forget [flags] USER_ID"); fs.PrintDefaults() }
	store, c, closeFn, err := oneCommunity(ctx, fs, args, getenv, only)
	if err != nil {
		return err
	}
	defer closeFn()
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("forget: want one user ID, e.g. U02H7K4N5PQ")
	}
	user := fs.Arg(0)
	if !engagement.ValidUserID(user) {
		return fmt.Errorf("forget: %q is not a user ID (want one such as U02H7K4N5PQ); nothing deleted", user)
	}
	n, err := store.Forget(ctx, c, user)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "forgot %s in %s: %d records deleted\n", user, c.ID, n)
	return nil
}
