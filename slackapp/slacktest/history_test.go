package slacktest

import (
	"fmt"
	"testing"

	"github.com/slack-go/slack"
)

// conversations.history lists a channel's top-level messages newest first,
// pages with a cursor, honours oldest, and returns metadata only when asked.
func TestConversationsHistory(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	api := slack.New(srv.BotToken, slack.OptionAPIURL(srv.APIURL()))
	const ch = "C0BRAND0001"
	srv.AddChannels(ch, "C0OTHER0001")
	var ts []string
	for i := range 5 {
		opts := []slack.MsgOption{slack.MsgOptionText(fmt.Sprint("m", i), false)}
		if i == 3 {
			opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "closeknit_digest", EventPayload: map[string]any{"week": "2026-W47"}}))
		}
		_, t1, err := api.PostMessageContext(t.Context(), ch, opts...)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, t1)
	}
	// Noise: another channel, a thread reply, an ephemeral message.
	api.PostMessageContext(t.Context(), "C0OTHER0001", slack.MsgOptionText("x", false))
	api.PostMessageContext(t.Context(), ch, slack.MsgOptionText("reply", false), slack.MsgOptionTS(ts[0]))
	api.PostEphemeralContext(t.Context(), ch, "U0MEMBER001", slack.MsgOptionText("only you", false))

	var got []string
	var meta []string
	p := &slack.GetConversationHistoryParameters{ChannelID: ch, Limit: 2, Oldest: ts[0], IncludeAllMetadata: true}
	for pages := 0; ; pages++ {
		h, err := api.GetConversationHistoryContext(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range h.Messages {
			got = append(got, m.Text)
			meta = append(meta, m.Metadata.EventType)
		}
		if !h.HasMore {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		p.Cursor = h.ResponseMetaData.NextCursor
	}
	if fmt.Sprint(got) != "[m4 m3 m2 m1]" || fmt.Sprint(meta) != "[ closeknit_digest  ]" {
		t.Errorf("history after ts[0], newest first: %v, metadata %q", got, meta)
	}
	h, err := api.GetConversationHistoryContext(t.Context(), &slack.GetConversationHistoryParameters{ChannelID: ch})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Messages) != 5 || h.Messages[1].Metadata.EventType != "" {
		t.Errorf("without include_all_metadata: %d messages, metadata %q", len(h.Messages), h.Messages[1].Metadata.EventType)
	}
}
