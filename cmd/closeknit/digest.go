package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/chart"
	"github.com/closeknit/closeknit/slackapp"
)

// digest prints (or posts) a week's digest: `closeknit digest [--week
// YYYY-Www] [--format text|markdown|json] [--chart FILE.png] [--post]`.
func digest(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := bindSettings(fs, getenv)
	weekFlag := fs.String("week", "", "the week, `YYYY-Www` (default: the last complete week in the community's zone)")
	format := fs.String("format", "text", "text, markdown or json")
	chartFile := fs.String("chart", "", "also write the 12-week chart to this PNG `file`")
	post := fs.Bool("post", false, "post the digest to the brand channel (once per week: a digest already sent is not posted again)")
	again := fs.Bool("again", false, "with --post: post a week whose digest Slack refused before (after inviting the app to the brand channel, say)")
	only := fs.String("only", "", "with several communities, only this community `id`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *format != "text" && *format != "markdown" && *format != "json" {
		return fmt.Errorf("--format: %q is not text, markdown or json", *format)
	}
	if *again && !*post {
		return fmt.Errorf("--again goes with --post")
	}
	cfg, err := s.load(*post)
	if err != nil {
		return err
	}
	communities, err := cfg.only(*only)
	if err != nil {
		return err
	}
	if *chartFile != "" && len(communities) > 1 {
		return fmt.Errorf("--chart: %d communities are configured; pick one with --only", len(communities))
	}
	var week engagement.Week
	if *weekFlag != "" {
		if week, err = engagement.ParseWeek(*weekFlag); err != nil {
			return fmt.Errorf("--week: %q is not a week like 2026-W47", *weekFlag)
		}
	}
	store, closeFn, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeFn()
	var app *slackapp.App
	if *post {
		app, err = slackapp.New(slackapp.Config{AppToken: cfg.AppToken, BotToken: cfg.BotToken, APIURL: cfg.APIURL,
			Communities: cfg.Communities, DigestAt: cfg.DigestAt, LapsingWeeks: cfg.LapsingWeeks}, store, newLogger(stderr, cfg.LogLevel), nil)
		if err != nil {
			return err
		}
	}
	var all []*engagement.KPIs
	for _, c := range communities {
		w := week
		if *weekFlag == "" {
			w = engagement.WeekOf(store.Now(), c.Location).Prev()
		}
		var k *engagement.KPIs
		if app != nil {
			k, err = app.KPIs(ctx, c, w) // with links into the workspace (auth.test)
		} else {
			k, err = store.KPIs(ctx, c, w, engagement.KPIOptions{LapsingMinWeeks: cfg.LapsingWeeks}) // no token: no links
		}
		if err != nil {
			return err
		}
		all = append(all, k)
		if *chartFile != "" {
			png, err := chart.PNG(ctx, c.ID, k.History)
			if err != nil {
				return err
			}
			if err := os.WriteFile(*chartFile, png, 0o644); err != nil {
				return fmt.Errorf("--chart: %w", err)
			}
		}
		if app != nil {
			send := app.SendDigest
			if *again {
				send = app.ResendRefusedDigest
			}
			ts, err := send(ctx, c, w)
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "digest of %s %s is in channel %s, message %s\n", c.ID, w, c.BrandChannel, ts)
		}
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if len(all) == 1 {
			return enc.Encode(all[0])
		}
		return enc.Encode(all)
	default:
		for _, k := range all {
			fmt.Fprintln(stdout, slackapp.DigestMarkdown(k, *format == "text"))
		}
	}
	return nil
}
