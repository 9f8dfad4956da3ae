package prototype

import (
	"context"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// refreshCard re-renders a prototype's card from its current state (after
// an extension). Rendering what Redis says now, not what the caller saw,
// keeps a late refresh from reopening a card that closed meanwhile.
func (f *Feature) refreshCard(c *engagement.Community, p *engagement.Prototype) {
	ctx, cancel := context.WithTimeout(context.Background(), feature.Courtesy)
	defer cancel()
	if err := f.updateCard(ctx, c, p.TS); err != nil {
		f.d.Log.Warn("prototype card not updated", "prototype", p.ID, "err", err)
	}
}

// updateCard renders the card of the prototype at ts as it is now. A card
// Slack will not update for good (deleted: message_not_found,
// cant_update_message; its channel gone or the app out of it) is counted
// and logged, and the caller goes on as if updated: no retry can bring
// the card back.
func (f *Feature) updateCard(ctx context.Context, c *engagement.Community, ts string) error {
	r, err := f.d.Store.PrototypeResultsByTS(ctx, c, ts, 0)
	if err != nil {
		return err
	}
	var votes map[string]int64
	if r.Status == engagement.StatusClosed {
		votes = r.Summary.Votes
	}
	text, blocks := card(r.Prototype, votes)
	_, _, _, err = f.d.API.UpdateMessageContext(ctx, r.Channel, r.TS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if code := feature.Code(err); feature.Final(code) {
		f.d.Notify.Refused(c, "card.update", code)
		f.d.Log.Warn("prototype card not updated; given up", "community", c.ID, "prototype", r.ID, "ts", r.TS, "err", err)
		return nil
	}
	return err
}
