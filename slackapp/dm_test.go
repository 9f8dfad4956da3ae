package slackapp_test

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// TestDirectMessageGetsHelpOnce: a person writing to the app (its Messages
// tab, message.im) gets the help text, once even when Slack redelivers the
// event. The app never answers its own posts (Slack echoes them into the DM
// too), another bot, or an edit: no loops between apps.
func TestDirectMessageGetsHelpOnce(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t, slacktest.Hostility()) // echoes the answer into the DM, as Slack does
	ta := MustRunApp(t, srv, nil)
	const dm = "D07F4N9R2ST" // the person's IM channel with the app
	msg := func(fields map[string]any) slacktest.Envelope {
		ts := srv.NewTS()
		ev := map[string]any{"type": "message", "channel": dm, "channel_type": "im", "text": "hello?", "ts": ts, "event_ts": ts}
		maps.Copy(ev, fields)
		return srv.Event(ev)
	}
	ignored := []slacktest.Envelope{
		msg(map[string]any{"user": srv.BotUserID, "bot_id": srv.BotID}),                                                                       // the app's own post
		msg(map[string]any{"user": "U0OTHERBOT1", "bot_id": "B0OTHERBOT1"}),                                                                   // another app
		msg(map[string]any{"bot_id": "B0OTHERBOT1", "subtype": "bot_message"}),                                                                // a legacy bot
		msg(map[string]any{"subtype": "message_changed", "hidden": true, "message": map[string]any{"user": "U0MEMBER001", "text": "edited"}}), // an edit
	}
	first := msg(map[string]any{"user": "U0MEMBER001"})
	// Channel messages right behind it overwrite the read buffer its
	// strings came from while the answer is under way.
	sent := append(append(ignored, first), messages(srv, 50, base)...)
	sent = append(sent, redelivery(srv, first))
	for _, env := range sent {
		if err := srv.SendEnvelope(env); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.WaitCall(ctxT(t), "chat.postMessage", 1); err != nil {
		t.Fatalf("no answer to the direct message: %v", err)
	}
	// Everything sent, and the echo of the answer, is acked.
	ctx := ctxT(t)
	for srv.AckCount() < len(sent)+1 || len(srv.Unacked()) > 0 {
		if ctx.Err() != nil {
			t.Fatalf("acked %d of %d envelopes and the answer's echo; un-acked %v", srv.AckCount(), len(sent), srv.Unacked())
		}
		time.Sleep(10 * time.Millisecond)
	}
	ta.stop(t) // waits for answers still in flight
	posts := srv.Messages(dm)
	if len(posts) != 1 {
		t.Fatalf("%d answers in the DM, want 1: %+v", len(posts), posts)
	}
	if !strings.Contains(posts[0].Text, "/closeknit help") {
		t.Errorf("answer %q, want the help text", posts[0].Text)
	}
}
