package slackapp_test

import (
	"strings"
	"testing"

	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// The App Homes: a member sees the top open ideas and their own with its
// status and note; staff see the ideas still waiting for a status, and no
// longer once they have one.
func TestIdeaHomes(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withProtoConfig)
	seatMembers(t, ta, protoMembers...)
	alice, bob := protoMembers[0], protoMembers[1]
	mine := postIdea(t, srv, ta, alice, "V0HOME0001", "Unscented")
	theirs := postIdea(t, srv, ta, bob, "V0HOME0002", "Refill pouches")
	send(t, srv, press(srv, alice, "idea_upvote", theirs.TS, theirs.ID, false))

	staff := openHome(t, srv, staffUser)
	for _, want := range []string{"Ideas waiting for a status*: 2, oldest first", mine.ID + " ", theirs.ID + " ", "Refill pouches"} {
		if !strings.Contains(staff, want) {
			t.Errorf("staff Home lacks %q:\n%s", want, staff)
		}
	}
	send(t, srv, slash(srv, staffUser, "idea status "+mine.ID+" planned spring"))
	staff = openHome(t, srv, staffUser)
	if !strings.Contains(staff, "Ideas waiting for a status*: 1,") || strings.Contains(staff, "Unscented") {
		t.Errorf("staff Home after a status: want only %s waiting:\n%s", theirs.ID, staff)
	}

	home := openHome(t, srv, alice)
	top, own, ok := strings.Cut(home, "*Your ideas*")
	if !ok || !strings.Contains(top, "*Top ideas*") {
		t.Fatalf("member Home lacks the top ideas and their own:\n%s", home)
	}
	if !strings.Contains(top, theirs.ID+" ") || !strings.Contains(top, "Refill pouches") || !strings.Contains(top, "1 vote") {
		t.Errorf("member Home's top ideas lack %s with its vote:\n%s", theirs.ID, top)
	}
	if !strings.Contains(own, mine.ID+" ") || !strings.Contains(own, "planned (spring)") || strings.Contains(own, "Refill pouches") {
		t.Errorf("member Home's own ideas: want only %s, planned (spring):\n%s", mine.ID, own)
	}
	if strings.Contains(openHome(t, srv, bob), "Unscented · planned (spring)") {
		t.Errorf("bob's Home shows alice's idea as his own")
	}
}

// After an author's forget, the card of their idea shows neither the text
// nor the name; a card of another author keeps its text.
func TestIdeaCardAfterAuthorForget(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withProtoConfig)
	seatMembers(t, ta, protoMembers...)
	alice, bob := protoMembers[0], protoMembers[1]
	mine := postIdea(t, srv, ta, alice, "V0FORGET01", "Glass bottles")
	theirs := postIdea(t, srv, ta, bob, "V0FORGET02", "Bigger sizes")
	env, r := sendCommand(t, srv, channel, alice, "forget")
	if !strings.Contains(r.Text, "…") {
		t.Fatalf("forget: ack %q, want a working note", r.Text)
	}
	if got := laterReply(t, srv, env); !strings.Contains(got, "Done") {
		t.Fatalf("forget: %q", got)
	}
	eventually(t, "the forgotten author's card lost its text and name", func() bool {
		c := cardText(srv, mine.TS)
		return strings.Contains(c, "(deleted by its author)") && !strings.Contains(c, "Glass bottles") && !strings.Contains(c, alice)
	})
	if c := cardText(srv, theirs.TS); !strings.Contains(c, "Bigger sizes") {
		t.Errorf("another author's card changed: %s", c)
	}
}
