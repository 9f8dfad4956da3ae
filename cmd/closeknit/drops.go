package main

import (
	"context"
	"crypto/rand"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp"
)

type dropJSON struct {
	ID       string           `json:"id"`
	Name     string           `json:"name"`
	Quantity int              `json:"quantity"`
	Claimed  int              `json:"claimed"`
	Status   string           `json:"status"`
	Opens    time.Time        `json:"opens"`
	Closes   time.Time        `json:"closes"`
	Claims   []dropClaimJSON  `json:"claims"`
	Waiting  []dropWaiterJSON `json:"waiting"`
}

// dropClaimJSON is a winner. Of a drop asking winners to confirm,
// confirmed says whether they did and confirm_by is their deadline (absent
// once confirmed, and until their DM is sent); both are absent otherwise.
type dropClaimJSON struct {
	User      string     `json:"user"`
	At        time.Time  `json:"at"`
	Confirmed *bool      `json:"confirmed,omitempty"`
	ConfirmBy *time.Time `json:"confirm_by,omitempty"`
}

func claimJSON(d *engagement.Drop, cl engagement.DropClaim) dropClaimJSON {
	j := dropClaimJSON{User: cl.User, At: cl.At}
	if d.ConfirmWithin > 0 {
		j.Confirmed = &cl.Confirmed
		if !cl.ConfirmBy.IsZero() {
			j.ConfirmBy = &cl.ConfirmBy
		}
	}
	return j
}

type dropWaiterJSON struct {
	User     string `json:"user"`
	Position int    `json:"position"`
}

// drops is `closeknit drops [--json]` and `closeknit drops export ID --csv`.
func drops(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "export" {
		return exportDrop(ctx, args[1:], getenv, stdout, stderr)
	}
	return listByCommunity(ctx, "drops", args, getenv, stdout, stderr, func(ctx context.Context, store *engagement.Store, c *engagement.Community) (any, func(io.Writer), error) {
		list, err := store.Drops(ctx, c)
		if err != nil {
			return nil, nil, err
		}
		out := struct {
			Community string     `json:"community"`
			Drops     []dropJSON `json:"drops"`
		}{Community: c.ID, Drops: []dropJSON{}}
		for _, d := range list {
			claims, waiting, err := store.DropPeople(ctx, c, d.ID)
			if err != nil {
				return nil, nil, err
			}
			j := dropJSON{ID: d.ID, Name: d.Name, Quantity: d.Quantity, Claimed: d.Claimed, Status: d.Status,
				Opens: d.OpensAt, Closes: d.ClosesAt, Claims: []dropClaimJSON{}, Waiting: []dropWaiterJSON{}}
			for _, cl := range claims {
				j.Claims = append(j.Claims, claimJSON(d, cl))
			}
			for _, w := range waiting {
				j.Waiting = append(j.Waiting, dropWaiterJSON(w))
			}
			out.Drops = append(out.Drops, j)
		}
		return out, func(w io.Writer) { printDrops(w, out.Drops) }, nil
	})
}

// printDrops writes drops as a table a person can read.
func printDrops(w io.Writer, list []dropJSON) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tname\tstatus\tclaimed\twaiting\tcloses")
	for _, d := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%d\t%s\n", d.ID, d.Name, d.Status, d.Claimed, d.Quantity, len(d.Waiting),
			d.Closes.UTC().Format("2006-01-02 15:04 UTC"))
	}
	tw.Flush()
}

// exportDrop writes a drop's claimants as CSV, for fulfilment.
func exportDrop(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	id, store, communities, closeFn, err := exportArgs(ctx, "drops", args, getenv, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	w := csv.NewWriter(stdout)
	// confirmed is yes or no for a drop asking winners to confirm (ship
	// the yeses; a no is still within their time), empty otherwise.
	w.Write([]string{"community", "drop", "name", "user", "claimed_at", "confirmed"})
	found := false
	for _, c := range communities {
		d, err := store.Drop(ctx, c, id)
		if errors.Is(err, engagement.ErrNoDrop) {
			continue
		}
		if err != nil {
			return err
		}
		claims, _, err := store.DropPeople(ctx, c, d.ID)
		if err != nil {
			return err
		}
		found = true
		for _, cl := range claims {
			confirmed := ""
			if d.ConfirmWithin > 0 {
				confirmed = map[bool]string{true: "yes", false: "no"}[cl.Confirmed]
			}
			w.Write([]string{c.ID, d.ID, spreadsheetSafe(d.Name), cl.User, cl.At.UTC().Format(time.RFC3339), confirmed})
		}
	}
	if !found {
		return fmt.Errorf("no drop %q; \"closeknit drops\" lists them", id)
	}
	w.Flush()
	return w.Error()
}

// drop is `closeknit drop post --name N --quantity Q --closes DURATION
// [--confirm DURATION] [--details T] [--message M] [--image URL] [--community C]`: the drop is
// recorded and its card posted in the community channel. --community is
// the settings' own flag (one community); --only picks one of several.
func drop(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "post" {
		return errors.New("usage: closeknit drop post --name N --quantity Q --closes DURATION [--confirm DURATION] [--details T] [--message M] [--image URL] [--community C]")
	}
	fs := flag.NewFlagSet("drop post", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := bindSettings(fs, getenv)
	var spec engagement.DropSpec
	fs.StringVar(&spec.Name, "name", "", "the product's `name`")
	fs.IntVar(&spec.Quantity, "quantity", 0, "how many units (1 to 10000)")
	fs.DurationVar(&spec.Window, "closes", 0, "how long claims stay open, e.g. 24h")
	fs.DurationVar(&spec.ConfirmWithin, "confirm", 0, "winners confirm within this long of their DM, e.g. 48h, or their unit goes to the next in line (default: no confirmation)")
	fs.StringVar(&spec.Details, "details", "", "what it is, what you would like back")
	fs.StringVar(&spec.Message, "message", "", "DMed to each winner: next steps, e.g. a form link")
	fs.StringVar(&spec.ImageURL, "image", "", "an https image `URL`")
	only := fs.String("only", "", "with several communities (CLOSEKNIT_CONFIG), the community `id`")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	cfg, err := s.load(true)
	if err != nil {
		return err
	}
	communities, err := cfg.only(*only)
	if err != nil {
		return err
	}
	if len(communities) != 1 {
		return fmt.Errorf("%d communities are configured; pick one with --only", len(communities))
	}
	store, closeFn, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	app, err := slackapp.New(slackapp.Config{AppToken: cfg.AppToken, BotToken: cfg.BotToken, APIURL: cfg.APIURL,
		Communities: cfg.Communities, DigestAt: cfg.DigestAt, LapsingWeeks: cfg.LapsingWeeks}, store, newLogger(stderr, cfg.LogLevel), nil)
	if err != nil {
		return err
	}
	d, err := app.PostDrop(ctx, communities[0], spec, "cli-"+rand.Text())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Posted %s (%s): %d units, claims close %s.\n", d.ID, d.Name, d.Quantity, d.ClosesAt.UTC().Format(time.RFC3339))
	return nil
}
