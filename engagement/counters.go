package engagement

import "fmt"

// Fields of the weekly counter hash (ns:{c}:w:<week>). Per-member counters
// are fields "<user>:<counter>" of the week's members hash
// (ns:{c}:w:<week>:members), built in the Lua scripts so the hot path does
// not allocate them in Go; releases before it kept them in the week hash as
// "m:<user>:<counter>" (memberPrefix), which Report still reads.
const (
	fieldEvents        = "events" // every recorded event; its first increment sets the key's expiry
	fieldMessages      = "messages"
	fieldThreadReplies = "thread_replies"
	fieldReactions     = "reactions"
	fieldJoins         = "joins"
	fieldLeaves        = "leaves"
	fieldSeated        = "seated" // seated members, written by KPIs while the week is current (kpi.go)
	memberPrefix       = "m:"
	hourPrefix         = "h:"
)

// hourFields["h:<weekday 1-7, Monday=1>:<hour 00-23>"], precomputed: one
// cell per hour of the week gives both messages per weekday and per hour.
var hourFields = func() (f [7][24]string) {
	for d := range 7 {
		for h := range 24 {
			f[d][h] = fmt.Sprintf("%s%d:%02d", hourPrefix, d+1, h)
		}
	}
	return f
}()

// hourFieldArgs are hourFields boxed once, for script arguments.
var hourFieldArgs = func() (f [7][24]any) {
	for d := range 7 {
		for h := range 24 {
			f[d][h] = hourFields[d][h]
		}
	}
	return f
}()
