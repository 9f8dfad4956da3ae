package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/closeknit/closeknit/cmd/closeknit/internal/tables"
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
	store, communities, closeFn, err := openForCLI(ctx, s, *only)
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
		tables.Report(stdout, r)
	}
	return nil
}
