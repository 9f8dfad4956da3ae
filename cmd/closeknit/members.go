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

// openStore parses the common settings of an operator command and opens
// the store; the caller closes the returned closer.
func openStore(ctx context.Context, fs *flag.FlagSet, args []string, getenv func(string) string) (*engagement.Store, *config, io.Closer, error) {
	s := bindSettings(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return nil, nil, nil, err
	}
	cfg, err := s.load(false)
	if err != nil {
		return nil, nil, nil, err
	}
	rdb, err := openRedis(ctx, cfg.RedisURL)
	if err != nil {
		return nil, nil, nil, err
	}
	return engagement.NewStore(rdb, engagement.Options{Namespace: cfg.Namespace}), cfg, rdb, nil
}

// pickCommunity returns the community named only, or the only one.
func pickCommunity(cfg *config, only string) (*engagement.Community, error) {
	for _, c := range cfg.Communities {
		if c.ID == only || (only == "" && len(cfg.Communities) == 1) {
			return c, nil
		}
	}
	if only == "" {
		return nil, fmt.Errorf("several communities are configured: choose one with --only")
	}
	return nil, fmt.Errorf("--only: no community %q", only)
}

// members prints the seats, the waitlist and the cap.
func members(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("members", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	only := fs.String("only", "", "with several communities, the community `id`")
	store, cfg, closer, err := openStore(ctx, fs, args, getenv)
	if err != nil {
		return err
	}
	defer closer.Close()
	c, err := pickCommunity(cfg, *only)
	if err != nil {
		return err
	}
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
	store, cfg, closer, err := openStore(ctx, fs, args, getenv)
	if err != nil {
		return err
	}
	defer closer.Close()
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("forget: want one user ID, e.g. U02H7K4N5PQ")
	}
	user := fs.Arg(0)
	c, err := pickCommunity(cfg, *only)
	if err != nil {
		return err
	}
	n, err := store.Forget(ctx, c, user)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "forgot %s in %s: %d records deleted\n", user, c.ID, n)
	return nil
}
