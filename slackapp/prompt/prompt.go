// Package prompt is the weekly conversation prompt: staff queue questions
// with /closeknit prompt, and at each community's PromptAt the app posts
// the next one in the channel, exactly once per week (engagement/prompt.go
// holds the queue, the slot records and the tallies).
//
// Exactly once, as the digest: the scheduler's lease lets one replica run
// the job at a time; the slot is claimed in Redis before posting and
// marked with the message's ts after; the message carries metadata
// (closeknit_prompt, with the community and week), so a run that finds a
// claim without a ts first looks through the channel's history since the
// claim and only records what an earlier attempt posted.
package prompt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// EventType is the metadata event type of a posted prompt.
const EventType = "closeknit_prompt"

// API is the part of the Web API prompts use.
type API interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
}

// Deps is what the prompt feature depends on.
type Deps struct {
	API    API
	Store  *engagement.Store
	Staff  feature.Staff
	Notify *feature.Notifier
	Log    *slog.Logger
	// Ours tells the app's own messages from others' (metadata alone
	// could be copied by another app).
	Ours func(slack.Msg) bool
}

// Usage is the command's usage line.
const Usage = "/closeknit prompt [add TEXT | list | drop N | move N M]"

// Command answers /closeknit prompt; staff only.
func Command(d Deps) feature.Command {
	return func(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
		c, err := d.Staff.Community(cmd)
		if err != nil {
			return nil, err
		}
		sub := "list"
		if len(args) > 0 {
			sub = strings.ToLower(args[0])
		}
		switch {
		case sub == "list" && len(args) <= 1:
			return d.list(ctx, c)
		case sub == "add" && len(args) > 1:
			return d.add(ctx, c, cmd.Text)
		case sub == "drop" && len(args) == 2:
			n, err := position(args[1])
			if err != nil {
				return nil, err
			}
			text, err := d.Store.DropPrompt(ctx, c, n)
			return reply(fmt.Sprintf("Dropped prompt %d: %s", n, text), err)
		case sub == "move" && len(args) == 3:
			n, err1 := position(args[1])
			m, err2 := position(args[2])
			if err := errors.Join(err1, err2); err != nil {
				return nil, err
			}
			text, err := d.Store.MovePrompt(ctx, c, n, m)
			return reply(fmt.Sprintf("Moved to %d: %s", m, text), err)
		}
		return nil, feature.Say("Usage: " + Usage)
	}
}

func position(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, feature.Sayf("%q is not a position (1 is next). Usage: %s", s, Usage)
	}
	return n, nil
}

// reply is the ephemeral answer text, or the sentence err carries.
func reply(text string, err error) (*slack.Msg, error) {
	switch {
	case errors.Is(err, engagement.ErrNoPrompt):
		return nil, feature.Say("There is no prompt at that position: `/closeknit prompt list` shows the queue.")
	case errors.Is(err, engagement.ErrInvalid):
		return nil, feature.Say(fmt.Sprintf("A prompt is 1 to %d characters. Usage: %s", engagement.MaxPromptLen, Usage))
	case err != nil:
		return nil, err
	}
	return &slack.Msg{Text: text}, nil
}

// add queues the command's text after "prompt add", as typed (the words
// in args lose its line breaks).
func (d Deps) add(ctx context.Context, c *engagement.Community, typed string) (*slack.Msg, error) {
	text := strings.TrimSpace(typed)
	for _, word := range []string{"prompt", "add"} {
		if len(text) >= len(word) && strings.EqualFold(text[:len(word)], word) {
			text = strings.TrimSpace(text[len(word):])
		}
	}
	n, err := d.Store.AddPrompt(ctx, c, text)
	return reply(fmt.Sprintf("Queued as prompt %d. %s", n, schedule(c)), err)
}

func (d Deps) list(ctx context.Context, c *engagement.Community) (*slack.Msg, error) {
	q, err := d.Store.PromptQueue(ctx, c)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*Prompts queued for %s* (%d). %s\n", c.ID, len(q), schedule(c))
	for i, text := range q {
		fmt.Fprintf(&b, "%d. %s\n", i+1, feature.Truncate(strings.ReplaceAll(text, "\n", " "), 200))
	}
	if len(q) == 0 {
		b.WriteString("The queue is empty: `/closeknit prompt add TEXT` adds one.")
	}
	return &slack.Msg{Text: strings.TrimSpace(b.String())}, nil
}

// schedule says when prompts go out.
func schedule(c *engagement.Community) string {
	at, on, _ := c.PromptSchedule() // checked at start-up
	if !on {
		return "Prompts are off for this community (prompt_at)."
	}
	return fmt.Sprintf("The next one goes out %s (%s).", at, c.Location)
}

// On reports whether any of the communities has prompts on: the job is
// scheduled only then.
func On(communities []*engagement.Community) bool {
	for _, c := range communities {
		if _, on, _ := c.PromptSchedule(); on {
			return true
		}
	}
	return false
}

// Job posts the week's prompt once its time has come, and the day before
// tells staff if the queue is empty.
func Job(d Deps) feature.Job {
	return func(ctx context.Context, c *engagement.Community) error {
		at, on, _ := c.PromptSchedule()
		if !on {
			return nil
		}
		now := d.Store.Now()
		w := engagement.WeekOf(now, c.Location)
		next := engagement.WeekOf(w.End(c.Location).Add(time.Hour), c.Location)
		for _, wk := range []engagement.Week{w, next} {
			slot := at.In(wk, c.Location)
			if now.Before(slot) && !now.Before(slot.Add(-24*time.Hour)) {
				if err := d.warnEmpty(ctx, c, wk, slot); err != nil {
					return err
				}
			}
		}
		// A slot missed while every replica was down still goes out, late,
		// within its day; after that the week has passed it by.
		if slot := at.In(w, c.Location); now.Before(slot) || now.Sub(slot) > 24*time.Hour {
			return nil
		}
		return d.post(ctx, c, w)
	}
}

func (d Deps) warnEmpty(ctx context.Context, c *engagement.Community, w engagement.Week, slot time.Time) error {
	warn, err := d.Store.WarnEmptyPromptQueue(ctx, c, w)
	if err != nil || !warn {
		return err
	}
	return d.Notify.TellStaff(ctx, c, fmt.Sprintf(":speech_balloon: The prompt queue of %s is empty, and the next prompt is due %s. "+
		"Add one with `/closeknit prompt add TEXT`, or nothing is posted this week.", c.ID, slot.Format("Mon 2 Jan 15:04 MST")))
}

// post posts week w's prompt unless it was posted, refused or empty.
func (d Deps) post(ctx context.Context, c *engagement.Community, w engagement.Week) error {
	st, err := d.Store.ClaimPromptSlot(ctx, c, w)
	if err != nil || st.State != engagement.PromptSending {
		return err
	}
	if !st.Fresh { // an earlier attempt claimed the slot and stopped: it may have posted
		ts, err := feature.FindPosted(ctx, d.API, c.Channel, st.ClaimedAt, EventType, c.ID, w.String(), d.Ours)
		if err != nil {
			return fmt.Errorf("prompt %s %s: looking for an earlier post: %w", c.ID, w, err)
		}
		if ts != "" {
			d.Log.Info("prompt found posted by an earlier attempt", "community", c.ID, "week", w.String(), "ts", ts)
			return d.Store.MarkPromptPosted(ctx, c, w, ts)
		}
	}
	_, ts, err := d.API.PostMessageContext(ctx, c.Channel,
		slack.MsgOptionText(st.Text, false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(feature.Mrkdwn(":speech_balloon: *This week's question*\n"+st.Text+"\n\nReply in this thread!"), nil, nil)),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: EventType, EventPayload: map[string]any{"community": c.ID, "week": w.String()}}))
	if code := feature.Code(err); feature.Final(code) {
		d.Notify.Refused(c, "prompt.post", code)
		if err := d.Store.MarkPromptRefused(ctx, c, w); err != nil {
			return err
		}
		return d.Notify.TellStaff(ctx, c, fmt.Sprintf(":warning: Slack refused this week's prompt in <#%s> (%s): it was not posted.", c.Channel, code))
	}
	if err != nil {
		return fmt.Errorf("prompt %s %s: post: %w", c.ID, w, err)
	}
	return d.Store.MarkPromptPosted(ctx, c, w, ts)
}
