package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/closeknit/closeknit/cmd/closeknit/internal/tables"
	"github.com/closeknit/closeknit/engagement"
)

// prototypes is `closeknit prototypes [--json]` and
// `closeknit prototypes export ID --csv`.
func prototypes(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "export" {
		return exportPrototype(ctx, args[1:], getenv, stdout, stderr)
	}
	fs := flag.NewFlagSet("prototypes", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := bindSettings(fs, getenv)
	asJSON := fs.Bool("json", false, `print JSON: {"prototypes":[…]}`)
	only := fs.String("only", "", "with several communities, list only this community `id`")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: closeknit prototypes [--json] [--only ID]\n       closeknit prototypes export ID --csv [--only ID]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("prototypes: unexpected %q; run \"closeknit prototypes -h\"", fs.Arg(0))
	}
	store, communities, closeFn, err := openForCLI(ctx, s, *only)
	if err != nil {
		return err
	}
	defer closeFn()
	out := struct {
		Prototypes []engagement.PrototypeSummary `json:"prototypes"`
	}{Prototypes: []engagement.PrototypeSummary{}}
	for _, c := range communities {
		list, err := store.Prototypes(ctx, c)
		if err != nil {
			return err
		}
		out.Prototypes = append(out.Prototypes, list...)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(out.Prototypes) == 0 {
		fmt.Fprintln(stdout, "No prototypes yet.")
		return nil
	}
	tables.Prototypes(stdout, out.Prototypes)
	return nil
}

// exportPrototype writes who gave what feedback on one prototype as CSV.
func exportPrototype(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	id, store, communities, closeFn, err := exportArgs(ctx, "prototypes", args, getenv, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	var found *engagement.Community
	var p *engagement.Prototype
	var rows []engagement.ExportRow
	for _, c := range communities {
		cp, cr, err := store.ExportPrototype(ctx, c, id)
		if errors.Is(err, engagement.ErrNoPrototype) {
			continue
		}
		if err != nil {
			return err
		}
		if found != nil {
			return fmt.Errorf("prototype %s exists in %s and %s: say which with --only", id, found.ID, c.ID)
		}
		found, p, rows = c, cp, cr
	}
	if found == nil {
		return fmt.Errorf("no prototype %q; \"closeknit prototypes\" lists them", id)
	}
	w := csv.NewWriter(stdout)
	w.Write([]string{"community", "prototype", "user", "kind", "value", "count"})
	for _, r := range rows {
		w.Write([]string{found.ID, p.ID, r.User, r.Kind, spreadsheetSafe(r.Value), strconv.FormatInt(r.Count, 10)})
	}
	w.Flush()
	return w.Error()
}

// openForCLI opens the store and picks the communities (--only).
func openForCLI(ctx context.Context, s *settings, only string) (*engagement.Store, []*engagement.Community, func(), error) {
	cfg, err := s.load(false)
	if err != nil {
		return nil, nil, nil, err
	}
	communities, err := cfg.only(only)
	if err != nil {
		return nil, nil, nil, err
	}
	store, closeFn, err := cfg.openStore(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	return store, communities, closeFn, nil
}

// spreadsheetSafe keeps a staff-typed poll option such as "=HYPERLINK(…)"
// or "-2+3" from running as a formula when the CSV is opened in a
// spreadsheet. A plain number such as "+1" or "-0.5" stays as it is.
func spreadsheetSafe(v string) string {
	if v == "" || !strings.ContainsRune("=@+-\t\r", rune(v[0])) {
		return v
	}
	if (v[0] == '+' || v[0] == '-') && plainNumber(v[1:]) {
		return v
	}
	return "'" + v
}

// plainNumber reports whether s is digits with at most one decimal point.
func plainNumber(s string) bool {
	digits, dots := 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}
