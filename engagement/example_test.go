package engagement_test

import (
	"fmt"
	"time"

	"github.com/closeknit/closeknit/engagement"
)

// Weeks are ISO weeks, named "YYYY-Www", and run Monday 00:00 to Monday
// 00:00 in the community's own time zone.
func ExampleParseWeek() {
	w, err := engagement.ParseWeek("2026-W47")
	if err != nil {
		panic(err)
	}
	la, _ := time.LoadLocation("America/Los_Angeles")
	fmt.Println(w, "starts", w.Start(la).Format(time.RFC1123))
	fmt.Println("the week before is", w.Prev())
	_, err = engagement.ParseWeek("2026-W53") // 2026 has 53 weeks, 2025 does not
	fmt.Println(err)
	_, err = engagement.ParseWeek("2025-W53")
	fmt.Println(err)
	// Output:
	// 2026-W47 starts Mon, 16 Nov 2026 00:00:00 PST
	// the week before is 2026-W46
	// <nil>
	// engagement: week "2025-W53": 2025 has no week 53
}

// The digest schedule is a weekday and a local time; each community gets
// its digest at that time in its own zone, about the week that just ended.
func ExampleParseWeeklyAt() {
	at, err := engagement.ParseWeeklyAt("mon 09:00")
	if err != nil {
		panic(err)
	}
	la, _ := time.LoadLocation("America/Los_Angeles")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, la) // a Wednesday
	sent, week := at.Last(now, la)
	fmt.Println(at)
	fmt.Println("last sent", sent.Format(time.RFC1123), "about", week)
	_, err = engagement.ParseWeeklyAt("Monday at nine")
	fmt.Println(err)
	// Output:
	// Mon 09:00
	// last sent Mon, 23 Nov 2026 09:00:00 PST about 2026-W47
	// "Monday at nine": invalid: want a weekday and a time, e.g. "Mon 09:00"
}

// A prototype's reaction set: which emoji count, and how much each says
// for (+1) or against (-1). Colons are optional; a missing weight is 0.
func ExampleParseReactions() {
	rs, err := engagement.ParseReactions("heart_eyes=1, :+1:=0.5; thinking_face, -1=-1")
	if err != nil {
		panic(err)
	}
	for _, r := range rs {
		fmt.Printf("%s %+g\n", r.Emoji, r.Weight)
	}
	fmt.Println(engagement.FormatReactions(rs))
	_, err = engagement.ParseReactions("fire=lots")
	fmt.Println(err)
	// Output:
	// heart_eyes +1
	// +1 +0.5
	// thinking_face +0
	// -1 -1
	// heart_eyes=1, +1=0.5, thinking_face=0, -1=-1
	// the weight of fire, "lots", is not a number
}
