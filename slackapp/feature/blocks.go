package feature

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Slack's limits on Block Kit text (SLACK.md, Block Kit).
const (
	MaxHeaderText  = 150
	MaxSectionText = 3000
	MaxButtonText  = 75
)

// Mrkdwn is a Block Kit text object in Slack's markup.
func Mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

// Plain is a plain-text Block Kit text object.
func Plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// Truncate cuts s to at most n characters, marking the cut with "…".
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Date renders t for every reader in their own time zone, with a UTC
// fallback for clients that cannot.
func Date(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} at {time}|%s>", t.Unix(), t.UTC().Format("Mon 2 Jan 15:04 UTC"))
}

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape keeps text people typed from being read as Slack markup.
func Escape(s string) string { return mrkdwnEscaper.Replace(s) }

var linkEscaper = strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C")

// EscapeURL keeps a URL from ending Slack's <url|text> markup early.
func EscapeURL(u string) string { return linkEscaper.Replace(u) }

// Duration says d in words: "30 minutes", "1 hour", "36 hours", "3 days".
func Duration(d time.Duration) string {
	unit := func(n float64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatFloat(n, 'f', -1, 64) + " " + one + "s"
	}
	switch {
	case d < time.Hour || (d < 2*time.Hour && d%time.Hour != 0):
		return unit(d.Round(time.Minute).Minutes(), "minute")
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return unit(d.Hours()/24, "day")
	}
	return unit(math.Round(d.Hours()*10)/10, "hour")
}
