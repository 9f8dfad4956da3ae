package digest_test

import (
	"fmt"

	"github.com/closeknit/closeknit/slackapp/digest"
)

// Config.DigestAt names a weekday and a time in each community's zone;
// empty is the default, "off" turns the weekly digest off.
func ExampleSchedule() {
	for _, s := range []string{"", "Fri 16:30", "off", "Friday"} {
		at, on, err := digest.Schedule(s)
		switch {
		case err != nil:
			fmt.Printf("%q: refused at start-up\n", s)
		case !on:
			fmt.Printf("%q: no digest\n", s)
		default:
			fmt.Printf("%q: every %v\n", s, at)
		}
	}
	// Output:
	// "": every Mon 09:00
	// "Fri 16:30": every Fri 16:30
	// "off": no digest
	// "Friday": refused at start-up
}
