// Package engagement is closeknit's domain: communities, the events that
// happen in their channels, and the weekly figures those events add up to.
// It knows nothing of Slack; slackapp turns Slack payloads into Events.
//
// # Model
//
// A Community is one capped channel of customers, identified by a short ID.
// Every human action in it (a message, a thread reply, a reaction added or
// removed, a join or leave) becomes an Event with Slack's event_id, the
// user, and the instant it happened. Events are counted per ISO week in the
// community's time zone: a message sent on Sunday 23:59 in Los Angeles
// belongs to that week even though it is Monday in UTC. Week boundaries are
// computed in Go from the event's own timestamp, never in Lua.
//
// # Keys
//
// All data lives in Redis under "<namespace>:{<community>}:…"; keys.go lists
// them. The braces make the community a Redis Cluster hash tag, so each
// script's keys share one slot. A week's counters are one hash (totals and
// one cell per hour of the week), one of per-member fields
// "<user>:<counter>", and two sets (distinct posters, distinct participants). No message text
// is ever stored.
//
// # Guarantees
//
// Each event is recorded by one Lua script that checks and sets the event's
// dedupe marker and updates every counter atomically: an event delivered
// any number of times (Slack redelivers up to three times) counts once.
// Record pipelines a batch of events in one round trip; each event is still
// its own script, so a failure leaves each event either fully counted or
// not at all, and retrying is always safe. Weekly keys get their expiry
// (week end plus retention, default 53 weeks) when they are created.
package engagement
