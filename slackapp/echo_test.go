package slackapp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// TestOwnEchoesChangeNothing: Slack echoes the app's own card (message), its
// seeded reactions (reaction_added by the bot user) and its edit of the card
// (message_changed). Once every echo is delivered and acked, none of them
// has counted as activity or as feedback.
func TestOwnEchoesChangeNothing(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	ta := MustRunApp(t, srv, withProtoConfig)
	p := postPrototype(t, srv, ta, "V0ECHO0001", validValues(), false)
	if _, err := srv.WaitCall(ctxT(t), "reactions.add", 4); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the card shows its ID", func() bool {
		for _, m := range srv.Messages(channel) {
			if m.TS == p.TS && m.Updates == 1 && strings.Contains(string(m.Blocks), "Early access · "+p.ID) {
				return true
			}
		}
		return false
	})
	// The card, its four reactions and its edit.
	if err := srv.WaitEchoes(ctxT(t), 6); err != nil {
		t.Fatal(err)
	}
	r, err := ta.store.PrototypeResultsByID(ctxT(t), ta.community, p.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Summary; len(s.Reactions) != 0 || s.Participants != 0 || s.Comments != 0 {
		t.Errorf("the app's own echoes counted as feedback: %+v", s)
	}
	if w := ta.report(t, engagement.WeekOf(time.Now(), time.UTC)); w.Messages != 0 || w.Reactions != 0 || w.ThreadReplies != 0 {
		t.Errorf("the app's own echoes counted as activity: %d messages, %d reactions, %d replies", w.Messages, w.Reactions, w.ThreadReplies)
	}
}
