package idea

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// The idea board on the App Home: members see the top open ideas and
// their own; staff see the new ideas waiting for a status. The core puts
// these sections on each Home (routes.go wires them).

// Lines listed per section of the Home.
const (
	homeTop     = 5
	homeWaiting = 10
)

// HomeBlocks are a member's sections of community c: the top open ideas
// by votes and the member's own ideas with their status (none before the
// board has ideas).
func (d Deps) HomeBlocks(ctx context.Context, c *engagement.Community, user string) ([]slack.Block, error) {
	all, err := d.Store.Ideas(ctx, c) // most votes first
	if err != nil || len(all) == 0 {
		return nil, err
	}
	var top, own []string
	for _, i := range all {
		if i.Open() && len(top) < homeTop {
			top = append(top, ideaLine(i, false))
		}
		if i.Author == user && i.Status != engagement.IdeaMerged {
			own = append(own, ideaLine(i, true))
		}
	}
	var b strings.Builder
	if len(top) > 0 {
		b.WriteString("*Top ideas* · upvote on the cards, or `/closeknit ideas`\n" + strings.Join(top, "\n"))
	}
	if len(own) > 0 {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString("*Your ideas*\n" + strings.Join(own[:min(len(own), homeTop)], "\n"))
		if len(own) > homeTop {
			fmt.Fprintf(&b, "\n… and %d more", len(own)-homeTop)
		}
	}
	if b.Len() == 0 {
		return nil, nil
	}
	return []slack.Block{section(b.String())}, nil
}

// StaffHomeBlocks are staff's section of community c: the ideas still
// "new", oldest first, for a status (none when every idea has one).
func (d Deps) StaffHomeBlocks(ctx context.Context, c *engagement.Community) ([]slack.Block, error) {
	all, err := d.Store.Ideas(ctx, c)
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(all, func(i *engagement.Idea) bool { return i.Status != engagement.IdeaNew })
	if len(all) == 0 {
		return nil, nil
	}
	slices.SortStableFunc(all, func(a, b *engagement.Idea) int { return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID)) })
	var b strings.Builder
	fmt.Fprintf(&b, "*Ideas waiting for a status*: %d, oldest first · the card's menu, or `/closeknit idea status ID STATUS [note]`\n", len(all))
	for _, i := range all[:min(len(all), homeWaiting)] {
		b.WriteString(ideaLine(i, false) + "\n")
	}
	if len(all) > homeWaiting {
		fmt.Fprintf(&b, "… and %d more: `/closeknit ideas`", len(all)-homeWaiting)
	}
	return []slack.Block{section(strings.TrimSpace(b.String()))}, nil
}

// ideaLine is one idea on the Home, its title linked to the card.
func ideaLine(i *engagement.Idea, withNote bool) string {
	title := feature.Escape(feature.Truncate(cmp.Or(i.Title, "(deleted by its author)"), 80))
	if i.Link != "" {
		title = "<" + feature.EscapeURL(i.Link) + "|" + title + ">"
	}
	status := i.Status
	if withNote && i.Note != "" {
		status += " (" + feature.Escape(feature.Truncate(i.Note, 120)) + ")"
	}
	return fmt.Sprintf("• %s %s · %s · %s%s", i.ID, title, status, plural(i.Votes, "vote"), staffVotes(i))
}

func section(s string) *slack.SectionBlock {
	return slack.NewSectionBlock(feature.Mrkdwn(feature.Truncate(s, feature.MaxSectionText)), nil, nil)
}

// Forgetting is called before user is forgotten in community c (privacy's
// /closeknit forget): it notes the user's posted ideas, and the function it
// returns, called once the store forgot them, re-renders those cards, which
// then show neither the text nor the name.
func (d Deps) Forgetting(ctx context.Context, c *engagement.Community, user string) (func(), error) {
	all, err := d.Store.Ideas(ctx, c)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, i := range all {
		if i.Author == user && i.Posted() {
			ids = append(ids, i.ID)
		}
	}
	return func() {
		for _, id := range ids {
			d.refreshSoon(c, id)
		}
	}, nil
}
