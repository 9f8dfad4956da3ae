package membership

import (
	"context"
	"strconv"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// HomeBlocks is a member's part of the App Home in c: their seat or
// waitlist place, and a short guide.
func (f *Feature) HomeBlocks(ctx context.Context, c *engagement.Community, user string) ([]slack.Block, error) {
	r, err := f.Store.Roster(ctx, c)
	if err != nil {
		return nil, err
	}
	guide := "*How it works*\n" +
		"• This is a small community, capped at " + strconv.Itoa(r.Cap) + " members, so everyone is heard.\n" +
		"• Say hello when you join: who you are and what you love (or do not) about what we make.\n" +
		"• We post early prototypes here first: react and reply, honest feedback is the most useful kind.\n" +
		"• `/closeknit status` shows your seat, `/closeknit privacy` what is stored about you."
	return []slack.Block{
		slack.NewSectionBlock(feature.Mrkdwn(statusText(r, c, user)), nil, nil),
		slack.NewSectionBlock(feature.Mrkdwn(guide), nil, nil),
	}, nil
}
