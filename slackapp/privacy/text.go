package privacy

import (
	"fmt"
	"strings"

	"github.com/closeknit/closeknit/engagement"
)

// storedText explains, in plain words, what is stored about a person.
func storedText(recs []engagement.PersonalRecord, optedOut, self bool) string {
	var weeks, reactions int
	var seat, waiting, intro, welcome bool
	for _, r := range recs {
		switch {
		case strings.HasPrefix(r.Key, "w:") && r.Part == "field":
			weeks++
		case strings.HasPrefix(r.Key, "rx:"):
			reactions++
		case r.Key == "seats":
			seat = true
		case r.Key == "waitlist":
			waiting = true
		case strings.HasPrefix(r.Key, "member:"):
			intro = true
		case r.Key == "welcomes":
			welcome = true
		}
	}
	who, your := "you", "your"
	if !self {
		who, your = "this member", "their"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*What closeknit stores about %s* (never the text of any message):\n", who)
	fmt.Fprintf(&b, "• Seat: %s; waitlist: %s\n", yesNo(seat), yesNo(waiting))
	fmt.Fprintf(&b, "• Membership record (when %s seat started, introduction, welcome, reminder): %s\n", your, yesNo(intro || welcome))
	fmt.Fprintf(&b, "• Weekly activity counters (messages, replies, reactions per week): %d\n", weeks)
	fmt.Fprintf(&b, "• Reactions remembered so a removal can be undone: %d\n", reactions)
	fmt.Fprintf(&b, "• %d records in all. Per-person statistics: %s\n", len(recs), map[bool]string{true: "*off* (opted out)", false: "on"}[optedOut])
	b.WriteString("`/closeknit optout` stops per-person statistics (you still count in channel totals); `/closeknit optin` turns them back on; `/closeknit forget` deletes every record.")
	return b.String()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
