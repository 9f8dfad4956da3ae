package engagement

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Community is one capped customer channel and the settings that shape how
// it is counted. Its ID is short and stable: it is the Redis hash tag of
// every key the community owns, so renaming it orphans the data.
type Community struct {
	ID           string         // e.g. "acme"; [a-z0-9_-], at most 32 characters
	Channel      string         // the community channel's Slack ID, e.g. C05R8T2KLMN
	Location     *time.Location // weeks are ISO weeks in this zone
	Cap          int            // customer seats; staff and bots do not take one
	BrandChannel string         // where the brand team reads reports
	Staff        []string       // user IDs of the brand team
}

var communityID = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// ErrInvalid is wrapped by every validation error of this package, so
// callers can tell bad input from a failing Redis.
var ErrInvalid = errors.New("invalid")

// Validate reports the first setting that is wrong, naming it.
func (c *Community) Validate() error {
	switch {
	case !communityID.MatchString(c.ID):
		return fmt.Errorf("community id %q: %w: use 1-32 of a-z, 0-9, _ and -", c.ID, ErrInvalid)
	case !slackID(c.Channel, "CG"):
		return fmt.Errorf("community %s: channel %q: %w: want a channel ID such as C05R8T2KLMN", c.ID, c.Channel, ErrInvalid)
	case c.BrandChannel != "" && !slackID(c.BrandChannel, "CG"):
		return fmt.Errorf("community %s: brand channel %q: %w: want a channel ID such as C05R8T2KLMN", c.ID, c.BrandChannel, ErrInvalid)
	case c.Location == nil:
		return fmt.Errorf("community %s: %w: no time zone", c.ID, ErrInvalid)
	case c.Cap < 1:
		return fmt.Errorf("community %s: cap %d: %w: must be at least 1", c.ID, c.Cap, ErrInvalid)
	}
	for _, u := range c.Staff {
		if !slackID(u, "UW") {
			return fmt.Errorf("community %s: staff %q: %w: want a user ID such as U02H7K4N5PQ", c.ID, u, ErrInvalid)
		}
	}
	return nil
}

// IsStaff reports whether userID belongs to the brand team.
func (c *Community) IsStaff(userID string) bool { return slices.Contains(c.Staff, userID) }

// slackID reports whether s looks like a Slack ID starting with one of the
// given letters: upper-case letters and digits, 9 to 13 characters.
func slackID(s, first string) bool {
	if len(s) < 9 || len(s) > 13 || strings.IndexByte(first, s[0]) < 0 {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !(s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
			return false
		}
	}
	return true
}
