package feature

import (
	"errors"
	"fmt"
)

// ErrNotStaff refuses a staff-only command or action to someone else.
var ErrNotStaff = say("Sorry, that command is for the brand team.")

// Sayer is an error that carries the sentence the person who caused it
// should read: bad input, a refusal, a thing that does not exist. Domain
// errors (engagement) implement it too; anything else is our fault, logged
// and shown as a short apology (see Text).
type Sayer interface {
	error
	UserText() string
}

// said is an error whose text is the sentence itself.
type said string

func (e said) Error() string    { return string(e) }
func (e said) UserText() string { return string(e) }

func say(s string) error { return said(s) }

// Say returns an error that shows s to the person (a usage line, a polite
// refusal).
func Say(s string) error { return said(s) }

// Sayf is Say with formatting.
func Sayf(format string, args ...any) error { return said(fmt.Sprintf(format, args...)) }

// Sorry is what a person reads when something failed on our side.
const Sorry = "Something went wrong on our side; please try again in a minute."

// Text is the one funnel from an error to what a person reads: the
// sentence err carries, and true; or Sorry and false when err is ours to
// log (the caller logs it).
func Text(err error) (string, bool) {
	if s, ok := errors.AsType[Sayer](err); ok {
		return s.UserText(), true
	}
	return Sorry, false
}
