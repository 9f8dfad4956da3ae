package engagement

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
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
	StaffGroup   string         // a Slack user group (S…) whose members are staff too

	// Membership (see members.go).
	FullPolicy string        // a join while full: PolicyRemove (default) or PolicyWarn
	Welcome    string        // welcome text; {user} is replaced by a mention. Default DefaultWelcome
	WelcomeIn  string        // WelcomeChannel (default: a post in the channel) or WelcomeDM
	NudgeAfter time.Duration // one intro nudge after this long without an intro; default 3 days

	// PromptAt is when the weekly prompt goes out (prompt.go), e.g.
	// "Wed 12:00" in the community's zone; "" or "off": never.
	PromptAt string

	// DropCooldown is the drops' fairness rule (drop.go): a member who won
	// one of the last DropCooldown drops waits behind those who did not.
	// 0 (the default): off.
	DropCooldown int

	// Thanks is where /closeknit thanks says thank you: ThanksChannel
	// (default: a short post in the channel) or ThanksDM (a DM to the
	// person thanked only). ThanksReaction is the emoji whose reaction on a
	// member's post counts as thanks too (thanks.go); default
	// DefaultThanksReaction.
	Thanks         string
	ThanksReaction string

	// Ideas is where idea cards are posted: IdeasChannel (default: each
	// card in the channel) or IdeasThread (each card a reply in the thread
	// of one pinned "Ideas" post, idea.go), which keeps a busy board
	// out of the conversation.
	Ideas string

	groupStaff atomic.Pointer[[]string] // StaffGroup's members, as last read from Slack
}

// Membership policies and welcome places.
const (
	PolicyRemove   = "remove" // kick, waitlist, DM the position
	PolicyWarn     = "warn"   // let them stay (over the cap), tell the brand channel
	WelcomeChannel = "channel"
	WelcomeDM      = "dm"
	ThanksChannel  = "channel"
	ThanksDM       = "dm"
	IdeasChannel   = "channel"
	IdeasThread    = "thread"
)

// DefaultThanksReaction is the reaction that counts as thanks: 🙌.
const DefaultThanksReaction = "raised_hands"

// DefaultWelcome greets a new member. {user} becomes a mention.
const DefaultWelcome = "Welcome {user}! :wave: This is a small, invitation-only community of our favourite customers: " +
	"a place to talk with each other and with the team, and to see what we are making before anyone else.\n\n" +
	"*Guidelines:* be kind, be honest (critical feedback is the most useful kind), and keep what we share early here.\n\n" +
	"*Say hello:* reply in this thread, or post in the channel: who you are, where you are, and what you love (or do not) about what we make."

// IntroWindow is how long after taking a seat a first post counts as the
// member's introduction.
const IntroWindow = 7 * 24 * time.Hour

// Defaults fills in the membership settings left empty.
func (c *Community) Defaults() {
	if c.FullPolicy == "" {
		c.FullPolicy = PolicyRemove
	}
	if c.Welcome == "" {
		c.Welcome = DefaultWelcome
	}
	if c.WelcomeIn == "" {
		c.WelcomeIn = WelcomeChannel
	}
	if c.NudgeAfter == 0 {
		c.NudgeAfter = 3 * 24 * time.Hour
	}
	if c.Thanks == "" {
		c.Thanks = ThanksChannel
	}
	if c.ThanksReaction == "" {
		c.ThanksReaction = DefaultThanksReaction
	}
	if c.Ideas == "" {
		c.Ideas = IdeasChannel
	}
}

var communityID = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

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
	switch {
	case c.FullPolicy != "" && c.FullPolicy != PolicyRemove && c.FullPolicy != PolicyWarn:
		return fmt.Errorf("community %s: full policy %q: %w: want remove or warn", c.ID, c.FullPolicy, ErrInvalid)
	case c.WelcomeIn != "" && c.WelcomeIn != WelcomeChannel && c.WelcomeIn != WelcomeDM:
		return fmt.Errorf("community %s: welcome in %q: %w: want channel or dm", c.ID, c.WelcomeIn, ErrInvalid)
	case c.NudgeAfter < 0 || c.NudgeAfter >= IntroWindow:
		return fmt.Errorf("community %s: nudge after %s: %w: must be under 7 days", c.ID, c.NudgeAfter, ErrInvalid)
	case c.DropCooldown < 0 || c.DropCooldown > MaxDropCooldown:
		return fmt.Errorf("community %s: drop cooldown %d: %w: want 0 (off) to %d drops", c.ID, c.DropCooldown, ErrInvalid, MaxDropCooldown)
	case c.Thanks != "" && c.Thanks != ThanksChannel && c.Thanks != ThanksDM:
		return fmt.Errorf("community %s: thanks %q: %w: want channel or dm", c.ID, c.Thanks, ErrInvalid)
	case c.ThanksReaction != "" && !emojiName.MatchString(c.ThanksReaction):
		return fmt.Errorf("community %s: thanks reaction %q: %w: want an emoji name such as raised_hands, without colons", c.ID, c.ThanksReaction, ErrInvalid)
	case c.Ideas != "" && c.Ideas != IdeasChannel && c.Ideas != IdeasThread:
		return fmt.Errorf("community %s: ideas %q: %w: want channel or thread", c.ID, c.Ideas, ErrInvalid)
	}
	if _, _, err := c.PromptSchedule(); err != nil {
		return fmt.Errorf("community %s: prompt at: %w", c.ID, err)
	}
	if c.StaffGroup != "" && !slackID(c.StaffGroup, "S") {
		return fmt.Errorf("community %s: staff group %q: %w: want a user group ID such as S0614TZR7", c.ID, c.StaffGroup, ErrInvalid)
	}
	for _, u := range c.Staff {
		if !slackID(u, "UW") {
			return fmt.Errorf("community %s: staff %q: %w: want a user ID such as U02H7K4N5PQ", c.ID, u, ErrInvalid)
		}
	}
	return nil
}

// IsStaff reports whether userID belongs to the brand team: listed in
// Staff, or a member of StaffGroup when it was last read.
func (c *Community) IsStaff(userID string) bool {
	if slices.Contains(c.Staff, userID) {
		return true
	}
	g := c.groupStaff.Load()
	return g != nil && slices.Contains(*g, userID)
}

// unnamed returns the one predicate for who is never named in the digest,
// KPIs or reports: staff (listed or from the user group), members who
// opted out, and pseudonyms (which stand for someone opted out).
func (c *Community) unnamed(optedOut []string) func(user string) bool {
	out := make(map[string]bool, len(optedOut))
	for _, u := range optedOut {
		out[u] = true
	}
	return func(u string) bool { return out[u] || c.IsStaff(u) || IsPseudonym(u) }
}

// SetGroupStaff records the members of StaffGroup. Safe to call while
// other goroutines call IsStaff.
func (c *Community) SetGroupStaff(users []string) {
	users = slices.Clone(users)
	c.groupStaff.Store(&users)
}

// ForgetGroupStaff records that StaffGroup's members are not known (it
// could not be read): IsStaff is then true only for Staff.
func (c *Community) ForgetGroupStaff() { c.groupStaff.Store(nil) }

// StaffKnown reports whether IsStaff knows the whole staff: there is no
// StaffGroup, or its members were read.
func (c *Community) StaffKnown() bool { return c.StaffGroup == "" || c.groupStaff.Load() != nil }

// ValidUserID reports whether s looks like a Slack user ID (U… or W…).
func ValidUserID(s string) bool { return slackID(s, "UW") }

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

// PromptSchedule parses PromptAt: on is false for "" and "off".
func (c *Community) PromptSchedule() (at WeeklyAt, on bool, err error) {
	switch strings.ToLower(strings.TrimSpace(c.PromptAt)) {
	case "", "off":
		return WeeklyAt{}, false, nil
	}
	at, err = ParseWeeklyAt(c.PromptAt)
	return at, err == nil, err
}
