package prototype

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// Command is /closeknit prototype [close|extend ID [DAYS]].
func (f *Feature) Command(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	c, err := f.d.Staff.Community(cmd)
	if err != nil {
		return nil, err
	}
	const usage = "Usage: /closeknit prototype (opens a form) | /closeknit prototype close ID | /closeknit prototype extend ID [DAYS]"
	if len(args) == 0 {
		if _, err := f.d.API.OpenViewContext(ctx, cmd.TriggerID, newModal(c)); err != nil {
			return nil, openError(err)
		}
		return nil, nil
	}
	switch strings.ToLower(args[0]) {
	case "close":
		if len(args) != 2 {
			return nil, feature.Say(usage)
		}
		p, closed, err := f.d.Store.ClosePrototype(ctx, c, args[1])
		if err != nil {
			return nil, err // the store's refusals carry their sentence
		}
		if !closed {
			return &slack.Msg{Text: fmt.Sprintf("%s (%s) was already closed.", p.ID, feature.Escape(p.Name))}, nil
		}
		f.d.Run.Go(func() { f.announceInBackground(c) })
		where := "the brand channel"
		if c.BrandChannel != "" {
			where = "<#" + c.BrandChannel + ">"
		}
		return &slack.Msg{Text: fmt.Sprintf("Closed %s (%s). The card now says feedback is closed, and the results go to %s.", p.ID, feature.Escape(p.Name), where)}, nil
	case "extend":
		if len(args) < 2 || len(args) > 3 {
			return nil, feature.Say(usage)
		}
		days := 3
		if len(args) == 3 {
			if days, err = strconv.Atoi(args[2]); err != nil || days < 1 || days > 30 {
				return nil, feature.Say("DAYS is a whole number from 1 to 30. " + usage)
			}
		}
		p, err := f.d.Store.ExtendPrototype(ctx, c, args[1], time.Duration(days)*24*time.Hour)
		if err != nil {
			return nil, err // the store's refusals carry their sentence
		}
		f.d.Run.Go(func() { f.refreshCard(c, p) })
		return &slack.Msg{Text: fmt.Sprintf("Extended %s (%s): feedback now closes %s.", p.ID, feature.Escape(p.Name), feature.Date(p.ClosesAt))}, nil
	}
	return nil, feature.Say(usage)
}

// List is /closeknit prototypes: open and recent ones.
func (f *Feature) List(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	c, err := f.d.Staff.Community(cmd)
	if err != nil {
		return nil, err
	}
	if len(args) > 0 {
		return nil, feature.Say("Usage: /closeknit prototypes")
	}
	seated, err := f.d.Store.SeatedCount(ctx, c)
	if err != nil {
		return nil, err
	}
	all, err := f.d.Store.AllPrototypeResults(ctx, c, seated)
	if err != nil {
		return nil, err
	}
	// Open ones and those closed in the last 30 days; the CLI lists all.
	recent := all[:0]
	for _, r := range all {
		if r.Status == engagement.StatusOpen || f.d.Store.Now().Sub(r.ClosedAt) < 30*24*time.Hour {
			recent = append(recent, r)
		}
	}
	text, blocks := list(c, recent)
	return &slack.Msg{Text: text, Blocks: slack.Blocks{BlockSet: blocks}}, nil
}
