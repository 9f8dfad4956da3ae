package engagement_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
)

// userText is the sentence err carries for a person, the way the app's
// error funnel finds it; ok false if err carries none.
func userText(err error) (string, bool) {
	var s interface{ UserText() string }
	if errors.As(err, &s) {
		return s.UserText(), true
	}
	return "", false
}

// TestErrorsSayWhatIsWrong: the errors a staff member causes carry the
// sentence they read, with the ID as they typed it, and still match their
// sentinel for callers that branch on it.
func TestErrorsSayWhatIsWrong(t *testing.T) {
	t.Parallel()
	f := newProtoFixture(t, testSpec())
	ctx := context.Background()
	check := func(what string, err, sentinel error, want string) {
		t.Helper()
		if !errors.Is(err, sentinel) {
			t.Errorf("%s: %v, want %v", what, err, sentinel)
		}
		if got, ok := userText(err); !ok || got != want {
			t.Errorf("%s: UserText %q (%v), want %q", what, got, ok, want)
		}
	}
	_, _, err := f.s.ClosePrototype(ctx, f.c, "p42")
	check("close unknown", err, engagement.ErrNoPrototype, `There is no prototype "p42". /closeknit prototypes lists them.`)
	_, err = f.s.ExtendPrototype(ctx, f.c, "P42", time.Hour)
	check("extend unknown", err, engagement.ErrNoPrototype, `There is no prototype "P42". /closeknit prototypes lists them.`)

	_, err = f.s.ExtendPrototype(ctx, f.c, strings.ToLower(f.p.ID), 60*24*time.Hour)
	if err == nil {
		t.Fatal("extended beyond the limit")
	}
	if got, _ := userText(err); !strings.HasPrefix(got, "Sorry, that cannot be done: feedback can stay open at most 30 days (until ") {
		t.Errorf("extend too far: UserText %q", got)
	}
	check("extend too far", err, engagement.ErrInvalid, "Sorry, that cannot be done: "+strings.SplitN(err.Error(), "invalid: ", 2)[1])

	if _, _, err := f.s.ClosePrototype(ctx, f.c, f.p.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.ExtendPrototype(ctx, f.c, strings.ToLower(f.p.ID), time.Hour)
	check("extend closed", err, engagement.ErrPrototypeClosed, f.p.ID+" is closed already.")

	check("staff unknown", engagement.ErrStaffUnknown, engagement.ErrStaffUnknown,
		"Sorry, I cannot check right now who is on the brand team (the staff user group could not be read from Slack), "+
			"so staff commands are off. Please try again in a minute; if it persists, check the app's `usergroups:read` scope and the group ID.")

	spec := testSpec()
	spec.Name = " "
	check("bad spec", spec.Validate(), engagement.ErrInvalid, "Sorry, that cannot be done: name: Please fill this in.")
}

// TestStoreFailureSaysNothing: an error that is nobody's input (here a
// cancelled request) carries no sentence, so the app apologises and logs.
func TestStoreFailureSaysNothing(t *testing.T) {
	t.Parallel()
	f := newProtoFixture(t, testSpec())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.s.ExtendPrototype(ctx, f.c, f.p.ID, time.Hour)
	if err == nil {
		t.Fatal("no error from a cancelled context")
	}
	if got, ok := userText(err); ok {
		t.Errorf("%v carries %q", err, got)
	}
}
