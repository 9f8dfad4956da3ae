package feature

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/slack-go/slack"
)

// HistoryReader is the part of the Web API that FindPosted uses.
type HistoryReader interface {
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
}

// FindPosted looks in channel, from shortly before claimed on, for a
// message of the given metadata event type whose payload names community
// and week and that ours accepts (the app's own), and returns its ts, or
// "". It is how a job that posts exactly once (the digest, the prompt)
// learns whether an attempt cut short between claiming and recording had
// posted.
func FindPosted(ctx context.Context, api HistoryReader, channel string, claimed time.Time, eventType, community, week string, ours func(slack.Msg) bool) (string, error) {
	p := &slack.GetConversationHistoryParameters{
		ChannelID: channel, Limit: 200, IncludeAllMetadata: true,
		Oldest: strconv.FormatInt(claimed.Add(-5*time.Minute).Unix(), 10), // clocks differ a little
	}
	for range 50 { // 10 000 messages: far more than a channel sees between a crash and a restart
		h, err := api.GetConversationHistoryContext(ctx, p)
		if err != nil {
			return "", err
		}
		for _, m := range h.Messages {
			md := m.Metadata
			if md.EventType == eventType && md.EventPayload["community"] == community && md.EventPayload["week"] == week && ours(m.Msg) {
				return m.Timestamp, nil
			}
		}
		if !h.HasMore || h.ResponseMetaData.NextCursor == "" {
			return "", nil
		}
		p.Cursor = h.ResponseMetaData.NextCursor
	}
	return "", fmt.Errorf("channel %s: history too long to search", channel)
}
