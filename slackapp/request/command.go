package request

import (
	"context"
	"fmt"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

const nominateUsage = "/closeknit nominate @person [why they belong here]"

// Nominate is /closeknit nominate @person [why]: a member puts someone
// forward for a seat. Members, staff, bots and oneself cannot be
// nominated; someone with a request open is not nominated twice.
func Nominate(d Deps) feature.Command {
	return func(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
		if len(args) == 0 {
			return nil, feature.Say("Usage: " + nominateUsage)
		}
		users, err := feature.Users(args[:1], nominateUsage)
		if err != nil {
			return nil, err
		}
		c, who, by := d.Community(cmd.ChannelID), users[0], cmd.UserID
		why := strings.TrimSpace(strings.Join(args[1:], " "))
		seated, err := d.Store.IsSeated(ctx, c, by)
		if err != nil {
			return nil, err
		}
		switch {
		case !seated && !c.IsStaff(by):
			return nil, feature.Sayf("Nominations are for members of <#%s>. You can ask for a seat yourself from the app's Home tab.", c.Channel)
		case who == by:
			return nil, feature.Say("You cannot nominate yourself; you are in already. :slightly_smiling_face:")
		case c.IsStaff(who):
			return nil, feature.Sayf("<@%s> is on the brand team and needs no seat.", who)
		}
		bot, err := d.isBot(ctx, c, who)
		if err != nil {
			return nil, err
		}
		if bot {
			return nil, feature.Sayf("<@%s> is a bot or an app: seats are for people.", who)
		}
		res, err := d.Store.OpenRequest(ctx, c, engagement.RequestSpec{User: who, NominatedBy: by, About: why}, "nominate:"+cmd.TriggerID)
		if err != nil {
			return nil, err
		}
		if res.Refusal != engagement.RequestAccepted {
			return &slack.Msg{Text: refusal(c, res, by, who)}, nil
		}
		if res.Created {
			d.opened(c, res.Request)
		}
		return &slack.Msg{Text: fmt.Sprintf("Thank you! Your nomination of <@%s> (%s) went to the brand team; I will DM you their answer.", who, res.Request.ID)}, nil
	}
}

// isBot asks the store, then users.info, whether user is a bot or an app.
// A person users.info does not know is not taken for a bot: staff decide.
func (d Deps) isBot(ctx context.Context, c *engagement.Community, user string) (bool, error) {
	kinds, err := d.Store.Kinds(ctx, c, []string{user})
	if err != nil {
		return false, err
	}
	if kinds[0] == "bot" || kinds[0] == "human" {
		return kinds[0] == "bot", nil
	}
	u, err := d.API.GetUserInfoContext(ctx, user)
	if code := feature.Code(err); code == "user_not_found" {
		return false, feature.Sayf("I cannot find <@%s> in this workspace.", user)
	} else if err != nil {
		return false, err
	}
	kind := "human"
	switch {
	case u.IsBot || u.ID == "USLACKBOT":
		kind = "bot"
	case u.Deleted:
		return false, feature.Sayf("<@%s> is no longer in this workspace.", user) // not stored: they may come back
	}
	if err := d.Store.SetKind(ctx, c, user, kind); err != nil {
		d.Log.Warn("user kind not stored", "user_id", user, "err", err)
	}
	return kind == "bot", nil
}

// List is /closeknit requests, for staff: the open requests with their
// Approve and Decline buttons (so a request whose card the brand channel
// refused can still be decided), and the latest decisions.
func List(d Deps) feature.Command {
	return func(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
		c, err := d.Staff.Community(cmd)
		if err != nil {
			return nil, err
		}
		all, err := d.Store.Requests(ctx, c)
		if err != nil {
			return nil, err
		}
		var blocks []slack.Block
		open := 0
		for _, r := range all {
			if r.Status != engagement.RequestOpen || open >= 15 {
				continue
			}
			open++
			line := fmt.Sprintf("*%s* · %s · asked %s", r.ID, asked(r, c), feature.Date(r.Created))
			if r.About != "" {
				line += "\n> " + feature.Escape(r.About)
			}
			blocks = append(blocks, slack.NewSectionBlock(feature.Mrkdwn(feature.Truncate(line, feature.MaxSectionText)), nil, nil), buttons(c, r))
		}
		if open == 0 {
			blocks = append(blocks, slack.NewSectionBlock(feature.Mrkdwn("No seat request is waiting for a decision."), nil, nil))
		}
		var recent []string
		for _, r := range all {
			if r.Status != engagement.RequestOpen && len(recent) < 5 {
				recent = append(recent, fmt.Sprintf("• %s %s %s", r.ID, who(r), decision(r)))
			}
		}
		if len(recent) > 0 {
			blocks = append(blocks, slack.NewContextBlock("", feature.Mrkdwn(feature.Truncate("Latest decisions:\n"+strings.Join(recent, "\n"), feature.MaxSectionText))))
		}
		return &slack.Msg{Text: fmt.Sprintf("%d seat requests waiting", open), Blocks: slack.Blocks{BlockSet: blocks}}, nil
	}
}
