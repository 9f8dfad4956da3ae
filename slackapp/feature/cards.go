package feature

import (
	"context"
	"errors"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"github.com/slack-go/slack"
)

// CardAPI is the part of the Web API a feature that posts cards from a
// modal calls: open the form, post the card, update it.
type CardAPI interface {
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
}

// Invalid returns what a domain validation error (engagement.ErrInvalid)
// says is wrong, the words after "invalid: ", for the person who typed
// the input; false for any other error.
func Invalid(err error) (string, bool) {
	if !errors.Is(err, engagement.ErrInvalid) {
		return "", false
	}
	_, msg, _ := strings.Cut(err.Error(), "invalid: ")
	return msg, true
}
