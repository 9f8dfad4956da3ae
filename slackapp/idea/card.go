package idea

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// Input blocks of the modal (block and action IDs are the same).
const (
	fieldTitle   = "title"
	fieldDetails = "details"
)

// newModal is the idea form, for community c; title pre-fills it (from a
// post, whose channel and ts the idea links to).
func newModal(c *engagement.Community, title, srcChannel, srcTS string) slack.ModalViewRequest {
	t := slack.NewPlainTextInputBlockElement(feature.Plain("What should we make or change?"), fieldTitle)
	t.MaxLength = engagement.MaxIdeaTitle
	t.InitialValue = feature.Truncate(strings.TrimSpace(title), engagement.MaxIdeaTitle)
	details := slack.NewPlainTextInputBlockElement(feature.Plain("Why it matters to you, how you would use it"), fieldDetails)
	details.Multiline = true
	details.MaxLength = engagement.MaxIdeaDetails
	detailsBlock := slack.NewInputBlock(fieldDetails, feature.Plain("Details"), nil, details)
	detailsBlock.Optional = true
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ViewNew,
		Title:           feature.Plain("Share an idea"),
		Submit:          feature.Plain("Post"),
		Close:           feature.Plain("Cancel"),
		PrivateMetadata: strings.Join([]string{c.ID, srcChannel, srcTS}, "|"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock(fieldTitle, feature.Plain("Your idea"), nil, t),
			detailsBlock,
			slack.NewContextBlock("", feature.Mrkdwn("The idea is posted in the community channel with your name; members vote on it and the team answers with a status. "+
				"`/closeknit forget` deletes what you wrote.")),
		}},
	}
}

// card renders an idea's card: what it is, who suggested it (an opted-out
// author is "a member"), its status and votes, Upvote, and the staff's
// status menu (the handler refuses anyone else).
func card(i *engagement.Idea) (string, []slack.Block) {
	title := cmp.Or(i.Title, "(deleted by its author)")
	author := "a member"
	if u := i.ShownAuthor(); u != "" {
		author = "<@" + u + ">"
	}
	text := fmt.Sprintf("Idea %s: %s", i.ID, title)
	blocks := []slack.Block{
		slack.NewHeaderBlock(feature.Plain(feature.Truncate(":bulb: "+title, feature.MaxHeaderText))),
	}
	if i.Details != "" {
		blocks = append(blocks, slack.NewSectionBlock(feature.Mrkdwn(feature.Truncate(feature.Escape(i.Details), feature.MaxSectionText)), nil, nil))
	}
	status := "*" + i.Status + "*"
	if i.Note != "" {
		status += ": " + feature.Escape(i.Note)
	}
	line := fmt.Sprintf("%s · suggested by %s · %s · %s%s", i.ID, author, status, plural(i.Votes, "vote"), staffVotes(i))
	if i.Source != "" {
		line += " · <" + feature.EscapeURL(i.Source) + "|from this post>"
	}
	blocks = append(blocks, slack.NewContextBlock("", feature.Mrkdwn(line)))
	if i.Status == engagement.IdeaMerged {
		blocks = append(blocks, slack.NewContextBlock("", feature.Mrkdwn("Merged into "+i.MergedInto+": votes here count there.")))
	}
	up := slack.NewButtonBlockElement(ActionUpvote, i.ID, feature.Plain(":arrow_up: Upvote"))
	var opts []*slack.OptionBlockObject
	for _, s := range engagement.IdeaStatuses {
		opts = append(opts, slack.NewOptionBlockObject(i.ID+statusSep+s, feature.Plain("Status: "+s), nil))
	}
	menu := slack.NewOverflowBlockElement(ActionStatus, opts...)
	if i.Status == engagement.IdeaMerged {
		return text, append(blocks, slack.NewActionBlock("idea_actions", up))
	}
	return text, append(blocks, slack.NewActionBlock("idea_actions", up, menu))
}

// votedMessage is the ephemeral answer to a vote, with a way to take it back.
func votedMessage(v engagement.IdeaVoteResult) (string, []slack.Block) {
	text := fmt.Sprintf("Your vote for %s is in (%s).", v.Idea, plural(v.Votes, "vote"))
	back := slack.NewButtonBlockElement(ActionUnvote, v.Idea, feature.Plain("Take my vote back"))
	return text, []slack.Block{
		slack.NewSectionBlock(feature.Mrkdwn(text), nil, slack.NewAccessory(back)),
	}
}
