package idea

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

const usage = "Usage: /closeknit idea (opens a form) | /closeknit idea unvote ID | " +
	"/closeknit idea status ID STATUS [note] | /closeknit idea merge DUPLICATE KEPT (status and merge: brand team only). " +
	"STATUS is one of: new, under review, planned, shipped, declined."

// Command is /closeknit idea [unvote ID | status ID STATUS [note] | merge DUP KEPT].
func Command(d Deps) feature.Command {
	return func(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
		if len(args) == 0 {
			return nil, d.openModal(ctx, cmd.TriggerID, newModal(d.Community(cmd.ChannelID), "", "", ""))
		}
		switch strings.ToLower(args[0]) {
		case "unvote":
			if len(args) != 2 {
				return nil, feature.Say(usage)
			}
			c := d.Community(cmd.ChannelID)
			v, err := d.Store.VoteIdea(ctx, c, args[1], cmd.UserID, false)
			if err != nil {
				return nil, sayErr(err, args[1])
			}
			if v.Changed {
				d.refreshSoon(c, v.Idea)
				return &slack.Msg{Text: fmt.Sprintf("Your vote for %s is taken back.", v.Idea)}, nil
			}
			return &slack.Msg{Text: fmt.Sprintf("You had no vote on %s.", v.Idea)}, nil
		case "status":
			return d.statusCommand(ctx, cmd, args[1:])
		case "merge":
			return d.mergeCommand(ctx, cmd, args[1:])
		}
		return nil, feature.Say(usage)
	}
}

// parseStatus reads "STATUS [note]" where STATUS may be two words
// ("under review").
func parseStatus(args []string) (status, note string, ok bool) {
	text := strings.Join(args, " ")
	lower := strings.ToLower(text)
	for _, s := range engagement.IdeaStatuses {
		if rest, found := strings.CutPrefix(lower, s); found && (rest == "" || rest[0] == ' ') {
			return s, strings.TrimSpace(text[len(s):]), true
		}
	}
	return "", "", false
}

func (d Deps) statusCommand(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	c, err := d.Staff.Community(cmd)
	if err != nil {
		return nil, err
	}
	if len(args) < 2 {
		return nil, feature.Say(usage)
	}
	status, note, ok := parseStatus(args[1:])
	if !ok {
		return nil, feature.Say(usage)
	}
	i, err := d.setStatus(ctx, c, args[0], status, note)
	if err != nil {
		return nil, err
	}
	return &slack.Msg{Text: fmt.Sprintf("%s (%s) is now *%s*.", i.ID, feature.Escape(i.Title), i.Status)}, nil
}

// setStatus sets an idea's status; when that changed anything, the card
// is updated and the author told, once (a repeated status changes nothing).
func (d Deps) setStatus(ctx context.Context, c *engagement.Community, id, status, note string) (*engagement.Idea, error) {
	i, changed, err := d.Store.SetIdeaStatus(ctx, c, id, status, note)
	if err != nil {
		return nil, sayErr(err, id)
	}
	if changed {
		d.refreshSoon(c, i.ID)
		d.Run.Go(func() { d.tellAuthor(i) })
		d.countStatusesLater(c)
	}
	return i, nil
}

// tellAuthor DMs an idea's author its new status. A forgotten author
// (no ID left) is not told.
func (d Deps) tellAuthor(i *engagement.Idea) {
	if i.Author == "" {
		return
	}
	text := fmt.Sprintf("Your idea %s, *%s*, is now *%s*", i.ID, feature.Escape(cmp.Or(i.Title, "(untitled)")), i.Status)
	if i.Note != "" {
		text += ": " + feature.Escape(i.Note)
	}
	d.Notify.Tell(feature.Notice{User: i.Author}, text+".")
}

func (d Deps) mergeCommand(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	c, err := d.Staff.Community(cmd)
	if err != nil {
		return nil, err
	}
	if len(args) != 2 {
		return nil, feature.Say(usage)
	}
	merged, err := d.Store.MergeIdeas(ctx, c, args[0], args[1])
	if err != nil {
		return nil, sayErr(err, args[0]+" or "+args[1])
	}
	dup, kept := strings.ToUpper(args[0]), strings.ToUpper(args[1])
	if !merged {
		return &slack.Msg{Text: fmt.Sprintf("%s was already merged into %s.", dup, kept)}, nil
	}
	d.refreshSoon(c, dup)
	d.refreshSoon(c, kept)
	d.countStatusesLater(c)
	return &slack.Msg{Text: fmt.Sprintf("Merged %s into %s: its voters now vote for %s, each counted once.", dup, kept, kept)}, nil
}

func (d Deps) countStatusesLater(c *engagement.Community) {
	d.Run.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), feature.Courtesy)
		defer cancel()
		if _, err := d.countStatuses(ctx, c); err != nil {
			d.Log.Warn("ideas not counted", "community", c.ID, "err", err)
		}
	})
}

// List is /closeknit ideas: the top ideas by votes, with their status.
func List(d Deps) feature.Command {
	return func(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
		if len(args) > 0 {
			return nil, feature.Say("Usage: /closeknit ideas")
		}
		c := d.Community(cmd.ChannelID)
		all, err := d.Store.Ideas(ctx, c)
		if err != nil {
			return nil, err
		}
		all = slices.DeleteFunc(all, func(i *engagement.Idea) bool { return i.Status == engagement.IdeaMerged })
		if len(all) == 0 {
			return &slack.Msg{Text: "No ideas yet. Post one with `/closeknit idea`."}, nil
		}
		var b strings.Builder
		b.WriteString("*Top ideas*\n")
		for _, i := range all[:min(len(all), 15)] {
			title := feature.Escape(cmp.Or(i.Title, "(deleted by its author)"))
			if i.Link != "" {
				title = "<" + feature.EscapeURL(i.Link) + "|" + title + ">"
			}
			fmt.Fprintf(&b, "• %s %s: %s · %s%s\n", i.ID, title, i.Status, plural(i.Votes, "vote"), staffVotes(i))
		}
		return &slack.Msg{Text: b.String()}, nil
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func staffVotes(i *engagement.Idea) string {
	if i.StaffVotes == 0 {
		return ""
	}
	return fmt.Sprintf(" (+%d from the team)", i.StaffVotes)
}

// sayErr turns the store's idea errors into words.
func sayErr(err error, id string) error {
	switch {
	case errors.Is(err, engagement.ErrNoIdea):
		return feature.Sayf("There is no idea %q. /closeknit ideas lists them.", id)
	}
	if msg, ok := feature.Invalid(err); ok {
		return feature.Say("Sorry, that cannot be done: " + msg)
	}
	return err
}

// openModal opens view; a trigger_id lasts 3 s, so one that expired
// (Slack or Redis was slow) is explained: trying again is all there is.
func (d Deps) openModal(ctx context.Context, triggerID string, view slack.ModalViewRequest) error {
	_, err := d.API.OpenViewContext(ctx, triggerID, view)
	if feature.Code(err) == "expired_trigger_id" {
		return feature.Say("Slack gave up waiting before the form could open; please try again.")
	}
	return err
}
