package engagement

import (
	"fmt"
	"time"
)

// Kind says what happened in the community channel.
type Kind uint8

// The kinds of event that are counted. Anything else Slack sends is not
// the domain's business and never reaches this package.
const (
	KindMessage Kind = iota + 1
	KindReactionAdded
	KindReactionRemoved
	KindMemberJoined
	KindMemberLeft
)

var kindNames = [...]string{"", "message", "reaction_added", "reaction_removed", "member_joined", "member_left"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Event is one human action in a community channel, already filtered (no
// bots, no system messages) and stripped of content: the text of a message
// never reaches this package.
type Event struct {
	ID         string     // Slack's event_id: the dedupe key
	Community  *Community // whose channel it happened in
	Kind       Kind
	User       string    // who acted
	At         time.Time // when: the message's ts, or the event's event_ts
	Reply      bool      // KindMessage: a reply in a thread
	TS         string    // KindMessage: the message's own ts
	ThreadTS   string    // KindMessage: the parent's ts when Reply
	ParentUser string    // KindMessage: who wrote the parent when Reply ("" if unknown)
	ItemTS     string    // reactions: the ts of the message reacted to
	ItemUser   string    // reactions: who wrote the message reacted to ("" if unknown)
	Reaction   string    // reactions: the emoji name
	// OnPersonsPost: the message replied or reacted to was written by a
	// person (Slack said who: parent_user_id, item_user), so it is not one
	// of the app's posts such as a prototype card. False means "maybe".
	OnPersonsPost bool
}

// Validate reports why an event can never be recorded. Such events are
// rejected: retrying them would not help.
func (e *Event) Validate() error {
	switch {
	case e.ID == "":
		return fmt.Errorf("engagement: event without an id: %w", ErrInvalid)
	case e.Community == nil:
		return fmt.Errorf("engagement: event %s: no community: %w", e.ID, ErrInvalid)
	case e.Kind < KindMessage || e.Kind > KindMemberLeft:
		return fmt.Errorf("engagement: event %s: unknown kind %d: %w", e.ID, e.Kind, ErrInvalid)
	case e.User == "":
		return fmt.Errorf("engagement: event %s: no user: %w", e.ID, ErrInvalid)
	case e.At.IsZero():
		return fmt.Errorf("engagement: event %s: no time: %w", e.ID, ErrInvalid)
	case (e.Kind == KindReactionAdded || e.Kind == KindReactionRemoved) && (e.ItemTS == "" || e.Reaction == ""):
		return fmt.Errorf("engagement: event %s: reaction without item or emoji: %w", e.ID, ErrInvalid)
	}
	return nil
}

// Outcome is what recording an event did.
type Outcome uint8

const (
	// Counted: the event changed the counters.
	Counted Outcome = iota + 1
	// Duplicate: the event was seen before (a redelivery); nothing changed.
	Duplicate
	// NoChange: the event was new but changes no counter, e.g. a second
	// reaction_added for the same person, emoji and message, or a removal
	// of a reaction that was never counted.
	NoChange
)

func (o Outcome) String() string {
	switch o {
	case Counted:
		return "counted"
	case Duplicate:
		return "duplicate"
	case NoChange:
		return "unchanged"
	}
	return "unknown"
}
