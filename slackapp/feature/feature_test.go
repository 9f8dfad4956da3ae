package feature_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// The funnel shows the sentence an error carries, however deeply wrapped,
// and an apology for anything else.
func TestText(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
		said bool
	}{
		{feature.Say("Usage: /closeknit cap N"), "Usage: /closeknit cap N", true},
		{fmt.Errorf("cap: %w", feature.Sayf("%d is not a cap", -1)), "-1 is not a cap", true},
		{feature.ErrNotStaff, "Sorry, that command is for the brand team.", true},
		{errors.New("redis: connection refused"), feature.Sorry, false},
	} {
		got, said := feature.Text(tc.err)
		if got != tc.want || said != tc.said {
			t.Errorf("Text(%v) = %q, %v; want %q, %v", tc.err, got, said, tc.want, tc.said)
		}
	}
	if !errors.Is(fmt.Errorf("x: %w", feature.ErrNotStaff), feature.ErrNotStaff) {
		t.Error("a wrapped ErrNotStaff is not ErrNotStaff")
	}
}

func TestSlackCodes(t *testing.T) {
	refused := fmt.Errorf("post: %w", slack.SlackErrorResponse{Err: "not_in_channel"})
	if got := feature.Code(refused); got != "not_in_channel" {
		t.Errorf("Code = %q", got)
	}
	if feature.Code(errors.New("timeout")) != "" || feature.Refused(errors.New("timeout")) {
		t.Error("a timeout read as a refusal")
	}
	if !feature.Refused(&slack.RateLimitedError{}) || feature.Final("ratelimited") || feature.Final("") {
		t.Error("a rate limit read as final, or not as a refusal")
	}
	if !feature.Final("not_in_channel") || !feature.AppProblem("not_in_channel") || feature.AppProblem("user_not_found") {
		t.Error("not_in_channel is final and the app's problem; user_not_found is about one person")
	}
}

// Users reads mentions as Slack escapes them and bare IDs, and answers
// anything else with the usage line.
func TestUsers(t *testing.T) {
	got, err := feature.Users([]string{"<@U0MEMBER001|ann>", "U0MEMBER002"}, "/closeknit invite @user")
	if err != nil || len(got) != 2 || got[0] != "U0MEMBER001" || got[1] != "U0MEMBER002" {
		t.Errorf("Users = %v, %v", got, err)
	}
	for _, args := range [][]string{nil, {"@ann"}} {
		_, err := feature.Users(args, "/closeknit invite @user")
		if text, said := feature.Text(err); !said || !strings.Contains(text, "Usage: /closeknit invite @user") {
			t.Errorf("Users(%q): %q, %v; want the usage", args, text, said)
		}
	}
}

func ExampleDuration() {
	for _, d := range []time.Duration{10 * time.Minute, 90 * time.Minute, time.Hour, 36 * time.Hour, 48 * time.Hour, 3 * 24 * time.Hour} {
		fmt.Println(feature.Duration(d))
	}
	// Output:
	// 10 minutes
	// 90 minutes
	// 1 hour
	// 36 hours
	// 2 days
	// 3 days
}
