package engagement

import (
	"errors"
	"fmt"
	"strings"
)

// The errors a caller tells apart with errors.Is. Those a person causes
// (a prototype ID that does not exist, a change to a closed prototype, a
// request out of bounds) also carry the sentence that person should read,
// UserText: the app shows it as is, and treats any other error as its own
// fault (logged, and an apology shown).

// ErrInvalid is wrapped by every validation error of this package, so
// callers can tell bad input from a failing Redis.
var ErrInvalid = errors.New("invalid")

// ErrNoPrototype is matched by the error for a prototype ID (or card) that
// is not known.
var ErrNoPrototype = errors.New("no such prototype")

// ErrPrototypeClosed is matched by the error for a change to a closed
// prototype.
var ErrPrototypeClosed = errors.New("prototype is closed")

// ErrNoDrop is matched by the error for a drop ID that is not known.
var ErrNoDrop error = &sentinel{err: "no such drop", text: "There is no such drop; `closeknit drops` lists them."}

// ErrNotClaimant is matched by the error for a release of someone who
// neither holds a unit of the drop nor waits for one.
var ErrNotClaimant error = &sentinel{err: "neither holds a unit nor waits for one",
	text: "That member neither holds a unit of this drop nor waits for one."}

// ErrNotWaiting is returned for a waitlist change of someone not on it.
var ErrNotWaiting = errors.New("not on the waitlist")

// ErrStaffUnknown is returned where staff must be known but the staff
// user group could not be read: staff-only work is refused (fail closed).
var ErrStaffUnknown error = &sentinel{
	err: "the staff user group could not be read",
	text: "Sorry, I cannot check right now who is on the brand team (the staff user group could not be read from Slack), " +
		"so staff commands are off. Please try again in a minute; if it persists, check the app's `usergroups:read` scope and the group ID.",
}

// sentinel is an error value compared with errors.Is that also carries
// the sentence a person reads.
type sentinel struct{ err, text string }

func (e *sentinel) Error() string    { return e.err }
func (e *sentinel) UserText() string { return e.text }

// prototypeError is ErrNoPrototype or ErrPrototypeClosed for the
// prototype ID a person gave (as they typed it).
type prototypeError struct {
	op  string // what was asked, for the log: "prototype", "extend prototype"
	id  string
	err error // ErrNoPrototype or ErrPrototypeClosed
}

func (e *prototypeError) Error() string {
	return "engagement: " + e.op + " " + e.id + ": " + e.err.Error()
}
func (e *prototypeError) Unwrap() error { return e.err }

func (e *prototypeError) UserText() string {
	if e.err == ErrPrototypeClosed {
		return strings.ToUpper(e.id) + " is closed already."
	}
	return fmt.Sprintf("There is no prototype %q. /closeknit prototypes lists them.", e.id)
}

// invalidError is a validation error of a person's request: the log reads
// the whole text, the person what follows "invalid: " (what is wrong).
type invalidError struct{ err error }

// invalidf is fmt.Errorf for a format that wraps ErrInvalid with %w,
// followed by what is wrong in words.
func invalidf(format string, args ...any) error {
	return &invalidError{err: fmt.Errorf(format, args...)}
}

func (e *invalidError) Error() string { return e.err.Error() }
func (e *invalidError) Unwrap() error { return e.err }

func (e *invalidError) UserText() string {
	_, why, _ := strings.Cut(e.err.Error(), ErrInvalid.Error()+": ")
	return "Sorry, that cannot be done: " + why
}
