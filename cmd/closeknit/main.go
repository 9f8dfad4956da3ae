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
	"requests":    requests,
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
  closeknit requests [--json] seat requests and nominations: who, by whom, status, who decided when
  closeknit drop post --name N --quantity Q --closes 24h   post a drop's card in the channel
  closeknit loadtest [flags]  measure the ingest path: events/s, CPU per event, ack latency
  closeknit healthcheck       exit 0 if the local serve answers /healthz (--ready: /readyz)
  closeknit version           print the version
  closeknit help              this text

Run "closeknit COMMAND -h" for a command's flags.

Configuration: environment variables (flags override them) or a YAML file of
communities (CLOSEKNIT_CONFIG). "closeknit serve -h" lists every setting;
docs/operations.md explains each.
`
