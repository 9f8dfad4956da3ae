package membership

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// Membership subcommands of /closeknit. Staff commands check the staff
// list on every call; a member calling one is politely refused and nothing
// changes.

// Status is /closeknit status: where the caller stands.
func (f *Feature) Status(ctx context.Context, cmd *slack.SlashCommand, _ []string) (*slack.Msg, error) {
	c := f.community(cmd)
	r, err := f.Store.Roster(ctx, c)
	if err != nil {
		return nil, err
	}
	return &slack.Msg{Text: statusText(r, c, cmd.UserID)}, nil
}

// statusText is where user stands in c: seated, waiting, or neither.
func statusText(r *engagement.Roster, c *engagement.Community, user string) string {
	if c.IsStaff(user) {
		return fmt.Sprintf("You are on the brand team of <#%s>: no seat needed. %d of %d seats are taken, %d waiting.", c.Channel, len(r.Seated), r.Cap, len(r.Waitlist))
	}
	for _, s := range r.Seated {
		if s.User == user {
			return fmt.Sprintf("You have a seat in <#%s> since %s. :seat:", c.Channel, s.Since.In(c.Location).Format("2 Jan 2006"))
		}
	}
	for _, w := range r.Waitlist {
		if w.User == user {
			return fmt.Sprintf("You are *#%d* on the waitlist for <#%s> (since %s). I will invite you as soon as a seat opens up.",
				w.Position, c.Channel, w.Since.In(c.Location).Format("2 Jan 2006"))
		}
	}
	return fmt.Sprintf("You are not in <#%s> or on its waitlist yet. The community is kept small: you can ask for a seat from the app's Home tab.", c.Channel)
}

// Members is /closeknit members (staff only).
func (f *Feature) Members(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	c, err := f.Staff.Community(cmd)
	if err != nil {
		return nil, err
	}
	r, err := f.Store.Roster(ctx, c)
	if err != nil {
		return nil, err
	}
	rep, err := f.Store.Report(ctx, c, engagement.WeekOf(f.Store.Now(), c.Location))
	if err != nil {
		return nil, err
	}
	return &slack.Msg{Text: membersText(r, rep, c)}, nil
}

// membersText: seats used and free, the waitlist, and the quiet members
// (seated, no activity this week).
func membersText(r *engagement.Roster, rep *engagement.Report, c *engagement.Community) string {
	active := map[string]bool{}
	for _, m := range rep.Members {
		active[m.User] = true
	}
	var quiet []string
	for _, s := range r.Seated {
		if !active[s.User] {
			quiet = append(quiet, "<@"+s.User+">")
		}
	}
	newcomers, intros, median := r.IntroStats()
	var b strings.Builder
	fmt.Fprintf(&b, "*<#%s>*: %d of %d seats taken, %d free, %d waiting.\n",
		c.Channel, len(r.Seated), r.Cap, max(0, r.Cap-len(r.Seated)), len(r.Waitlist))
	fmt.Fprintf(&b, "Intros: %d of %d newcomers", intros, newcomers)
	if intros > 0 {
		fmt.Fprintf(&b, ", median %s after taking their seat", median.Round(time.Minute))
	}
	b.WriteString(".\n")
	if len(r.Waitlist) > 0 {
		b.WriteString("*Waitlist:* ")
		for i, w := range r.Waitlist {
			if i == 20 {
				fmt.Fprintf(&b, "… and %d more", len(r.Waitlist)-20)
				break
			}
			fmt.Fprintf(&b, "%d. <@%s>  ", w.Position, w.User)
		}
		b.WriteString("\n")
	}
	if len(quiet) > 0 {
		shown := quiet[:min(len(quiet), 30)]
		fmt.Fprintf(&b, "*Quiet this week (%d):* %s", len(quiet), strings.Join(shown, " "))
		if len(quiet) > len(shown) {
			fmt.Fprintf(&b, " … and %d more", len(quiet)-len(shown))
		}
	}
	return b.String()
}

// Invite is /closeknit invite (staff only).
func (f *Feature) Invite(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	c, err := f.Staff.Community(cmd)
	if err != nil {
		return nil, err
	}
	users, err := feature.Users(args, "/closeknit invite @user [@user…]")
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, u := range users {
		if c.IsStaff(u) {
			lines = append(lines, fmt.Sprintf("<@%s> is on the brand team and needs no seat.", u))
			continue
		}
		res, pos, err := f.Store.Invite(ctx, c, u, f.Store.Now())
		if err != nil {
			return nil, err
		}
		switch res {
		case engagement.Invited:
			lines = append(lines, fmt.Sprintf("<@%s> has a seat; I am inviting them now.", u))
		case engagement.AlreadySeated:
			lines = append(lines, fmt.Sprintf("<@%s> already has a seat.", u))
		default:
			lines = append(lines, fmt.Sprintf("No seat is free: <@%s> is *#%d* on the waitlist.", u, pos))
		}
	}
	return &slack.Msg{Text: strings.Join(lines, "\n")}, nil
}

// Remove is /closeknit remove (staff only).
func (f *Feature) Remove(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	c, err := f.Staff.Community(cmd)
	if err != nil {
		return nil, err
	}
	users, err := feature.Users(args, "/closeknit remove @user")
	if err != nil {
		return nil, err
	}
	if len(users) != 1 {
		return nil, feature.Say("Usage: /closeknit remove @user (one at a time)")
	}
	u := users[0]
	// Free the seat first (promoting the next person); the leave event the
	// kick causes then finds nothing to do.
	held, err := f.Store.Unseat(ctx, c, u, f.Store.Now())
	if err != nil {
		return nil, err
	}
	err = f.API.KickUserFromConversationContext(ctx, c.Channel, u)
	switch code := feature.Code(err); {
	case err == nil, code == "not_in_channel":
	case code != "":
		return &slack.Msg{Text: fmt.Sprintf("I freed <@%s>'s seat, but Slack would not remove them from <#%s> (`%s`).", u, c.Channel, code)}, nil
	default:
		return nil, err
	}
	if !held {
		return &slack.Msg{Text: fmt.Sprintf("<@%s> had no seat; I removed them from <#%s> if they were there.", u, c.Channel)}, nil
	}
	return &slack.Msg{Text: fmt.Sprintf("Removed <@%s> and freed their seat; the next person on the waitlist (if any) is being invited.", u)}, nil
}

// Waitlist is /closeknit waitlist (staff only).
func (f *Feature) Waitlist(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	c, err := f.Staff.Community(cmd)
	if err != nil {
		return nil, err
	}
	const usage = "/closeknit waitlist [add @user | drop @user | move @user position]"
	if len(args) == 0 {
		r, err := f.Store.Roster(ctx, c)
		if err != nil {
			return nil, err
		}
		if len(r.Waitlist) == 0 {
			return &slack.Msg{Text: "Nobody is waiting for a seat."}, nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "*Waitlist for <#%s>* (%d):\n", c.Channel, len(r.Waitlist))
		for i, w := range r.Waitlist {
			if i == 50 {
				fmt.Fprintf(&b, "… and %d more (see `closeknit members`)", len(r.Waitlist)-50)
				break
			}
			fmt.Fprintf(&b, "%d. <@%s> since %s\n", w.Position, w.User, w.Since.In(c.Location).Format("2 Jan"))
		}
		return &slack.Msg{Text: b.String()}, nil
	}
	op, rest := strings.ToLower(args[0]), args[1:]
	switch op {
	case "add":
		users, err := feature.Users(rest, usage)
		if err != nil {
			return nil, err
		}
		var lines []string
		for _, u := range users {
			res, pos, err := f.Store.AddToWaitlist(ctx, c, u, f.Store.Now())
			if err != nil {
				return nil, err
			}
			switch res {
			case engagement.AlreadySeated:
				lines = append(lines, fmt.Sprintf("<@%s> already has a seat.", u))
			case engagement.Invited:
				lines = append(lines, fmt.Sprintf("A seat was free: <@%s> is being invited now.", u))
			default:
				lines = append(lines, fmt.Sprintf("<@%s> is *#%d* on the waitlist.", u, pos))
			}
		}
		return &slack.Msg{Text: strings.Join(lines, "\n")}, nil
	case "drop", "move":
		if (op == "drop" && len(rest) != 1) || (op == "move" && len(rest) != 2) {
			return nil, feature.Say("Usage: " + usage)
		}
		users, err := feature.Users(rest[:1], usage)
		if err != nil {
			return nil, err
		}
		pos := 0
		if op == "move" {
			if pos, err = strconv.Atoi(rest[1]); err != nil || pos < 1 {
				return nil, feature.Sayf("%q is not a position (1 is next). Usage: %s", rest[1], usage)
			}
		}
		got, err := f.Store.MoveWaiting(ctx, c, users[0], pos)
		if errors.Is(err, engagement.ErrNotWaiting) {
			return &slack.Msg{Text: fmt.Sprintf("<@%s> is not on the waitlist.", users[0])}, nil
		}
		if err != nil {
			return nil, err
		}
		if op == "drop" {
			return &slack.Msg{Text: fmt.Sprintf("<@%s> is off the waitlist.", users[0])}, nil
		}
		return &slack.Msg{Text: fmt.Sprintf("<@%s> is now *#%d* on the waitlist.", users[0], got)}, nil
	}
	return nil, feature.Say("Usage: " + usage)
}

// Cap is /closeknit cap (staff only).
func (f *Feature) Cap(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	c, err := f.Staff.Community(cmd)
	if err != nil {
		return nil, err
	}
	const usage = "Usage: /closeknit cap N (1 to 10000)"
	if len(args) != 1 {
		return nil, feature.Say(usage)
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 || n > 10000 {
		return nil, feature.Sayf("%q is not a cap. %s", args[0], usage)
	}
	promoted, err := f.Store.SetCap(ctx, c, n, f.Store.Now())
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("The cap of <#%s> is now %d.", c.Channel, n)
	if promoted > 0 {
		text += fmt.Sprintf(" %d from the waitlist are being invited.", promoted)
	}
	r, err := f.Store.Roster(ctx, c)
	if err == nil && len(r.Seated) > n {
		text += fmt.Sprintf(" %d members hold seats, more than the cap: nobody is removed, and seats are not refilled until they are under it.", len(r.Seated))
	}
	return &slack.Msg{Text: text}, nil
}
