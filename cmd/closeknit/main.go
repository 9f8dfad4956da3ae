// Command closeknit runs a brand's micro community on Slack: a capped
// channel of its best customers, whose weekly engagement it counts.
//
// Run "closeknit help" for the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/closeknit/closeknit/cmd/closeknit/internal/loadtest"
	"github.com/closeknit/closeknit/cmd/closeknit/internal/sandbox"
)

// version is stamped at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "closeknit:", err)
		}
		os.Exit(1)
	}
}

// run is the whole program, testable: it takes its arguments, environment
// and output streams instead of reading the process's.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "closeknit", version)
		return nil
	case "help", "--help", "-help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	}
	sub, ok := commands[cmd]
	if !ok {
		return fmt.Errorf("unknown command %q; run \"closeknit help\"", cmd)
	}
	return sub(ctx, rest, getenv, stdout, stderr)
}

// A command is one subcommand: its arguments after the name, the
// environment, and the output streams.
type command func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// commands are the subcommands by name (the usage text below lists them).
var commands = map[string]command{
	"serve":       serve,
	"report":      report,
	"members":     members,
	"forget":      forget,
	"digest":      digest,
	"prototypes":  prototypes,
	"ideas":       ideas,
	"drops":       drops,
	"drop":        drop,
	"healthcheck": healthcheck,
	"loadtest":    loadtest.Run,
	"sandbox": func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
		return sandbox.Run(ctx, args, getenv, stdout, stderr, serveSandbox)
	},
}

const usage = `closeknit runs a brand's micro community on Slack: a small, capped channel of
its best customers. It counts the channel's weekly engagement live in Redis.

Usage:
  closeknit sandbox [flags]   try it with no Slack workspace: a simulated week of a
                              100-member community against a built-in Slack emulator
                              and an embedded Redis, then the week's report
  closeknit serve [flags]     run the Slack app (Socket Mode) with metrics on HTTP_ADDR
  closeknit report [flags]    print a week's figures (--json for machines, --week YYYY-Www)
  closeknit digest [flags]    print the weekly digest (--week YYYY-Www, --format text|markdown|json,
                              --chart FILE.png) or --post it to the brand channel
  closeknit members [--json]  print the seats (user, since, intro), the waitlist in order and the cap
  closeknit forget USER_ID    delete every per-person record of a member (privacy requests)
  closeknit prototypes [--json]  prototypes and their feedback figures;
                              "prototypes export ID --csv": who gave what feedback
  closeknit ideas [--json]    the idea board: ideas by votes, with status and author
  closeknit drops [--json]    early-access drops, their claimants and waiting lines;
                              "drops export ID --csv": claimants for fulfilment
  closeknit drop post --name N --quantity Q --closes 24h   post a drop's card in the channel
  closeknit loadtest [flags]  measure the ingest path: events/s, CPU per event, ack latency
  closeknit healthcheck       exit 0 if the local serve answers /healthz (--ready: /readyz)
  closeknit version           print the version
  closeknit help              this text

Run "closeknit COMMAND -h" for a command's flags.

Configuration (environment; flags override):
  SLACK_APP_TOKEN        app-level token, xapp-… (connections:write); or SLACK_APP_TOKEN_FILE
  SLACK_BOT_TOKEN        bot token, xoxb-…; or SLACK_BOT_TOKEN_FILE
  SLACK_API_URL          Web API base (default https://slack.com/api/; GovSlack: https://slack-gov.com/api/)
  REDIS_URL              redis://host:6379/0 or rediss://…; Sentinel: add ?master_name=NAME&addr=HOST:PORT…;
                         Cluster: redis://HOST:PORT?addr=HOST:PORT&addr=HOST:PORT
  CLOSEKNIT_NAMESPACE    Redis key prefix (default closeknit)
  CLOSEKNIT_COMMUNITY    the community's short id, used in keys (default community)
  CLOSEKNIT_CHANNEL      the community channel ID, e.g. C05R8T2KLMN
  CLOSEKNIT_TIMEZONE     IANA time zone; weeks are ISO weeks there (default UTC)
  CLOSEKNIT_CAP          customer seats (default 100)
  CLOSEKNIT_BRAND_CHANNEL  the brand team's channel ID
  CLOSEKNIT_STAFF        brand team user IDs, comma-separated
  CLOSEKNIT_DIGEST_AT    when the weekly digest goes out, in each community's zone (default "Mon 09:00"; off)
  CLOSEKNIT_LAPSING_WEEKS  regulars: posted in this many of the last 12 weeks (default 4)
  CLOSEKNIT_STAFF_GROUP  a Slack user group ID (S…) whose members are staff too
  CLOSEKNIT_FULL_POLICY  a join while the channel is full: remove (default: kick, waitlist, DM
                         their position) or warn (they stay over the cap; the brand channel is told)
  CLOSEKNIT_WELCOME      welcome text, {user} becomes a mention (default: purpose, guidelines, how to say hello)
  CLOSEKNIT_WELCOME_IN   channel (default: a post in the channel; a reply in its thread is an intro) or dm
  CLOSEKNIT_NUDGE_AFTER  one friendly DM to members without an intro after this long (default 72h)
  CLOSEKNIT_CONFIG       YAML file declaring several communities (instead of the settings above)
  CLOSEKNIT_LOG_LEVEL    debug, info (default), warn, error
  CLOSEKNIT_SCHEDULER_TICK  how often scheduled jobs check whether they are due (default 30s)
  HTTP_ADDR              metrics and health address (default :9090)
`
