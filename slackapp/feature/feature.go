// Package feature is the contract between closeknit's Slack core (package
// slackapp: the socket, the dispatcher, the scheduler, routes.go) and its
// feature packages (membership, prototype, digest, …). A feature package
// exports handlers of the shapes below; routes.go wires them. Each feature
// package declares what it needs in a dependency struct of its own, built
// from the services here, so its signature shows what it depends on.
//
// This package also holds what every feature shares, once: the funnel from
// errors to the sentence a person reads (errors.go), Slack's error codes
// (slackerr.go), the timeouts of detached work (timeouts.go), Block Kit
// helpers (blocks.go) and the private and staff notices (notify.go).
package feature

import (
	"context"

	"github.com/closeknit/closeknit/engagement"
	"github.com/slack-go/slack"
)

// Command answers one /closeknit subcommand; args are the words after its
// name. It runs within Slack's 3 s ack window (ctx carries the deadline).
// The message it returns goes back in the ack, shown only to the caller;
// nil means it answered otherwise (a modal opened) and the ack is bare.
type Command func(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error)

// Interaction answers a button pressed (routed by action_id), a modal
// submitted (by the view's callback_id) or a shortcut (by callback_id), on
// a goroutine of its own with the ack's deadline in ctx. Only a
// view_submission's answer may carry a payload (a response_action); the
// others return nil. Slack never redelivers interactions: the handler acks
// once it has done, or handed off, its work.
type Interaction func(ctx context.Context, cb *slack.InteractionCallback) (any, error)

// Job is a scheduled job's run for one community. The scheduler runs it
// under a lease, so one replica runs it at a time.
type Job func(ctx context.Context, c *engagement.Community) error

// Runner runs slow work after the ack, on a goroutine of its own, with a
// bound on how many run at once and a queue for the rest: Go reports
// false, without running fn, only when the queue is full too. The app
// waits for them when it stops.
type Runner interface {
	Go(fn func()) bool
}

// Staff tells who is on a community's brand team.
type Staff interface {
	// Community returns the community whose staff the command's caller is
	// on: the one of the channel the command ran in, or else the first.
	// It fails with ErrNotStaff, or engagement.ErrStaffUnknown when the
	// staff user group cannot be read (fail closed).
	Community(cmd *slack.SlashCommand) (*engagement.Community, error)
	// Is reports whether user is staff of any community.
	Is(user string) bool
}
