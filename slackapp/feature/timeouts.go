package feature

import "time"

// Timeouts of work detached from the request that started it
// (context.Background or context.WithoutCancel plus one of these), in one
// place so that they are chosen, not typed.
const (
	// Ack is how long a command or interaction handler has before the
	// ack must leave: Slack gives 3 s, and the ack needs the rest.
	Ack = 2500 * time.Millisecond
	// Courtesy bounds a best-effort reply: an ephemeral, a DM, an App
	// Home publish, a direct message answered.
	Courtesy = 10 * time.Second
	// Post bounds posting or updating a card and its follow-ups after the
	// ack: chat.postMessage alone has been seen to take 5 s.
	Post = 30 * time.Second
	// StaffCheck bounds reading a staff user group for a staff check.
	StaffCheck = 5 * time.Second
	// Release bounds giving back a claim after a failure.
	Release = 2 * time.Second
	// Privacy bounds a privacy request (what is stored, opt-out, forget),
	// which walks every key of a person in every community.
	Privacy = 2 * time.Minute
	// JobRun bounds one run of a scheduled job (its lease lasts as long),
	// and work a handler starts that a job would otherwise do.
	JobRun = 2 * time.Minute
	// Scrape bounds the Redis reads behind one /metrics scrape, well
	// inside Prometheus' default 10 s scrape timeout.
	Scrape = 2 * time.Second
)
