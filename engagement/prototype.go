package engagement

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A prototype is something the brand shows its community early to hear what
// members think: a card posted in the community channel that members react
// to (each reaction weighted for a sentiment score) and reply to in its
// thread, or a poll of 2-6 options voted on with buttons. Feedback stays
// open for a set time; then the tallies freeze and late feedback is only
// counted as late.

// Prototype kinds.
const (
	KindReactions = "reactions"
	KindPoll      = "poll"
)

// Prototype statuses.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// ReactionWeight is an emoji of a prototype's reaction set and how much it
// counts towards sentiment, from -1 (against) to +1 (for).
type ReactionWeight struct {
	Emoji  string  `json:"emoji"` // Slack's name, without colons: heart_eyes, +1
	Weight float64 `json:"weight"`
}

// DefaultReactions is the reaction set a prototype gets unless staff choose
// another: 😍 loves it, 👍 likes it, 🤔 is unsure, 👎 does not like it.
var DefaultReactions = []ReactionWeight{
	{"heart_eyes", 1}, {"+1", 0.5}, {"thinking_face", 0}, {"-1", -1},
}

// DefaultOpenFor is how long feedback stays open unless staff choose.
const DefaultOpenFor = 7 * 24 * time.Hour

// Limits of a prototype's fields. Text limits keep the card within Slack's
// 3000 characters per section and the modal's input limits.
const (
	maxNameLen        = 150
	maxDescriptionLen = 2500
	maxQuestionLen    = 300
	maxURLLen         = 2000
	maxReactions      = 10
	minPollOptions    = 2
	maxPollOptions    = 6
	maxOptionLen      = 75 // a button's text
	maxOpenDays       = 30
)

// PrototypeSpec is what staff fill in to post a prototype.
type PrototypeSpec struct {
	Name        string
	Description string
	ImageURL    string // optional, https
	Link        string // optional, http(s)
	Question    string
	Reactions   []ReactionWeight // the reaction set; a poll has none
	Options     []string         // a poll's options; empty for a reaction prototype
	HideResults bool             // a poll's results are hidden until it closes
	OpenFor     time.Duration
	Author      string // the staff member who posted it
}

// Kind is KindPoll when the spec has options, else KindReactions.
func (p *PrototypeSpec) Kind() string {
	if len(p.Options) > 0 {
		return KindPoll
	}
	return KindReactions
}

// Spec fields named in validation errors.
const (
	FieldName        = "name"
	FieldDescription = "description"
	FieldImageURL    = "image_url"
	FieldLink        = "link"
	FieldQuestion    = "question"
	FieldReactions   = "reactions"
	FieldOptions     = "options"
	FieldOpenFor     = "open_days"
)

// SpecErrors maps a field (Field*) to what is wrong with it, in words a
// staff member can act on.
type SpecErrors map[string]string

func (e SpecErrors) Error() string {
	var parts []string
	for _, f := range []string{FieldName, FieldDescription, FieldImageURL, FieldLink, FieldQuestion, FieldReactions, FieldOptions, FieldOpenFor} {
		if msg, ok := e[f]; ok {
			parts = append(parts, f+": "+msg)
		}
	}
	return "prototype: " + strings.Join(parts, "; ")
}

func (e SpecErrors) Unwrap() error { return ErrInvalid }

// UserText is every problem, for a staff member who typed the spec
// somewhere other than the form (which shows each beside its field).
func (e SpecErrors) UserText() string {
	return "Sorry, that cannot be done: " + strings.TrimPrefix(e.Error(), "prototype: ")
}

// Validate reports every field that is wrong, or nil.
func (p *PrototypeSpec) Validate() error {
	errs := SpecErrors{}
	textField := func(field, v string, required bool, limit int) {
		switch n := utf8.RuneCountInString(v); {
		case required && strings.TrimSpace(v) == "":
			errs[field] = "Please fill this in."
		case n > limit:
			errs[field] = fmt.Sprintf("At most %d characters, please (this is %d).", limit, n)
		}
	}
	textField(FieldName, p.Name, true, maxNameLen)
	textField(FieldDescription, p.Description, false, maxDescriptionLen)
	textField(FieldQuestion, p.Question, true, maxQuestionLen)
	if p.ImageURL != "" {
		if msg := checkURL(p.ImageURL, true); msg != "" {
			errs[FieldImageURL] = msg
		}
	}
	if p.Link != "" {
		if msg := checkURL(p.Link, false); msg != "" {
			errs[FieldLink] = msg
		}
	}
	if len(p.Options) > 0 {
		switch {
		case len(p.Options) < minPollOptions || len(p.Options) > maxPollOptions:
			errs[FieldOptions] = fmt.Sprintf("A poll needs %d to %d options, one per line (this has %d).", minPollOptions, maxPollOptions, len(p.Options))
		default:
			seen := map[string]bool{}
			for _, o := range p.Options {
				if n := utf8.RuneCountInString(o); n == 0 || n > maxOptionLen {
					errs[FieldOptions] = fmt.Sprintf("Each option needs 1 to %d characters.", maxOptionLen)
					break
				}
				if seen[strings.ToLower(o)] {
					errs[FieldOptions] = fmt.Sprintf("%q is listed twice.", o)
					break
				}
				seen[strings.ToLower(o)] = true
			}
		}
	} else {
		if msg := checkReactions(p.Reactions); msg != "" {
			errs[FieldReactions] = msg
		}
	}
	if p.OpenFor < time.Hour || p.OpenFor > maxOpenDays*24*time.Hour {
		errs[FieldOpenFor] = fmt.Sprintf("Feedback can stay open from 1 to %d days.", maxOpenDays)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func checkURL(s string, image bool) string {
	u, err := url.Parse(s)
	switch {
	case len(s) > maxURLLen:
		return fmt.Sprintf("At most %d characters, please.", maxURLLen)
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return "That is not a web address; it should start with https://"
	case image && u.Scheme != "https":
		return "Slack shows images from https:// addresses only."
	}
	return ""
}

var emojiName = regexp.MustCompile(`^[a-z0-9_+'-]{1,64}$`)

func checkReactions(rs []ReactionWeight) string {
	if len(rs) == 0 || len(rs) > maxReactions {
		return fmt.Sprintf("List 1 to %d reactions, e.g. heart_eyes=1, +1=0.5, thinking_face=0, -1=-1", maxReactions)
	}
	seen := map[string]bool{}
	for _, r := range rs {
		switch {
		case !emojiName.MatchString(r.Emoji):
			return fmt.Sprintf("%q is not an emoji name (use the name without colons, e.g. heart_eyes).", r.Emoji)
		case !(r.Weight >= -1 && r.Weight <= 1): // written so that NaN fails too
			return fmt.Sprintf("The weight of %s must be between -1 and 1.", r.Emoji)
		case seen[r.Emoji]:
			return fmt.Sprintf("%s is listed twice.", r.Emoji)
		}
		seen[r.Emoji] = true
	}
	return ""
}

// ParseReactions reads a reaction set written as "heart_eyes=1, +1=0.5,
// :thinking_face:=0, -1=-1": emoji names with or without colons, each with
// a weight (0 if left out). It does not check names or weights: Validate
// does, with the other fields.
func ParseReactions(s string) ([]ReactionWeight, error) {
	var out []ReactionWeight
	for part := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == '\n' || r == ';' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, weight, hasWeight := strings.Cut(part, "=")
		name = strings.Trim(strings.TrimSpace(name), ":")
		w := 0.0
		if hasWeight {
			var err error
			if w, err = strconv.ParseFloat(strings.TrimSpace(weight), 64); err != nil || math.IsNaN(w) || math.IsInf(w, 0) {
				return nil, fmt.Errorf("the weight of %s, %q, is not a number", name, strings.TrimSpace(weight))
			}
		}
		out = append(out, ReactionWeight{Emoji: strings.ToLower(name), Weight: w})
	}
	return out, nil
}

// FormatReactions writes a reaction set the way ParseReactions reads it.
func FormatReactions(rs []ReactionWeight) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.Emoji + "=" + strconv.FormatFloat(r.Weight, 'f', -1, 64)
	}
	return strings.Join(parts, ", ")
}

// baseEmoji is the emoji a reaction counts as: a skin tone is the same
// opinion ("+1::skin-tone-3" is "+1").
func baseEmoji(name string) string {
	if i := strings.Index(name, "::"); i > 0 {
		return name[:i]
	}
	return name
}

// Prototype is a posted prototype as recorded.
type Prototype struct {
	PrototypeSpec
	ID       string // short and stable, e.g. P3: what staff type in commands
	Channel  string // where the card is
	TS       string // the card's ts: the key of everything about it
	Status   string // StatusOpen or StatusClosed
	OpenedAt time.Time
	ClosesAt time.Time
	ClosedAt time.Time // zero while open
}

// PrototypeSummary is a prototype's figures. Its JSON form is the output
// of `closeknit prototypes --json` and the digest's scoreboard: the field
// names are a stable contract. Votes is set for polls only.
type PrototypeSummary struct {
	ID           string           `json:"id"`
	Name         string           `json:"name"`
	Channel      string           `json:"channel"`
	TS           string           `json:"ts"`
	Status       string           `json:"status"`
	ClosesAt     time.Time        `json:"closes_at"`
	Reactions    map[string]int64 `json:"reactions"`    // emoji -> distinct members reacting (opted-out members included)
	Participants int64            `json:"participants"` // distinct members who reacted, replied or voted (opted-out members not included)
	Comments     int64            `json:"comments"`     // thread replies on the card
	Commenters   int64            `json:"commenters"`   // distinct members who replied (opted-out members not included)
	Yield        float64          `json:"yield"`        // participants / seated members
	Sentiment    float64          `json:"sentiment"`    // mean weight of the set's reactions, -1..1
	Votes        map[string]int64 `json:"votes,omitempty"`
	Permalink    string           `json:"permalink,omitempty"` // a link to the card, filled in by the app that knows where messages live; KPIs leave it empty
}

// PrototypeResults is a prototype with its figures and what came too late.
type PrototypeResults struct {
	*Prototype
	Summary       PrototypeSummary
	Seated        int   // seated members when read; 0 if unknown
	LateReactions int64 // reactions added or removed after closing, not counted
	LateComments  int64
	LateVotes     int64
}
