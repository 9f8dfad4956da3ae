package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// The sandbox's membership story: the community starts full with people
// waiting; after the replayed week, live, a walk-in joins while it is full,
// a few members leave, the waitlist moves up, newcomers are welcomed and
// most introduce themselves.

// Staff is the brand team member the simulation acts as.
const Staff = "U0STAFF0001"

// SeedMembership puts the simulated members in the channel before the app
// starts; its roster check seats them. MemberEvents makes the emulator
// send the join and leave events of invites and kicks, as Slack does.
func SeedMembership(srv *slacktest.Server, c *engagement.Community, members int) {
	in := []string{srv.BotUserID, Staff}
	for i := range members {
		in = append(in, User(i))
	}
	srv.SetMembers(c.Channel, in)
	srv.Configure(func(s *slacktest.Server) { s.MemberEvents = true })
}

// MembershipStory plays the membership part of the sandbox and prints what
// happened. It checks each step and fails if the app did not do it.
type MembershipStory struct {
	Srv   *slacktest.Server
	Store *engagement.Store
	C     *engagement.Community
	Out   io.Writer
}

func (m *MembershipStory) waitRoster(ctx context.Context, what string, cond func(*engagement.Roster) bool) (*engagement.Roster, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		r, err := m.Store.Roster(ctx, m.C)
		if err != nil {
			return nil, err
		}
		if cond(r) {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return r, fmt.Errorf("sandbox: %s did not happen: seated %d, waiting %d", what, len(r.Seated), len(r.Waitlist))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// command runs /closeknit as staff, through Socket Mode, and returns the reply.
func (m *MembershipStory) command(ctx context.Context, text string) (string, error) {
	env := m.Srv.SlashCommand(map[string]any{
		"team_id": m.Srv.TeamID, "channel_id": m.C.Channel, "user_id": Staff,
		"command": "/closeknit", "text": text, "trigger_id": "1.2.3", "response_url": "https://hooks.slack.com/commands/sandbox",
	})
	if err := m.Srv.SendEnvelope(env); err != nil {
		return "", err
	}
	if err := m.Srv.WaitAcked(ctx, env.ID); err != nil {
		return "", err
	}
	var reply struct{ Text string }
	err := json.Unmarshal(m.Srv.AckPayload(env.ID), &reply)
	return reply.Text, err
}

func (m *MembershipStory) event(ev map[string]any) error {
	return m.Srv.SendEnvelope(m.Srv.Event(ev))
}

// Prepare waits for the roster check to seat everyone, then staff put
// people on the waitlist.
func (m *MembershipStory) Prepare(ctx context.Context, members, waiting int) error {
	if _, err := m.waitRoster(ctx, "seating the existing members", func(r *engagement.Roster) bool { return len(r.Seated) == members }); err != nil {
		return err
	}
	var mentions []string
	for i := range waiting {
		mentions = append(mentions, fmt.Sprintf("<@U0WAIT%05d>", i+1))
	}
	reply, err := m.command(ctx, "waitlist add "+strings.Join(mentions, " "))
	if err != nil {
		return err
	}
	if !strings.Contains(reply, fmt.Sprintf("*#%d*", waiting)) {
		return fmt.Errorf("sandbox: waitlist add replied %q", reply)
	}
	return nil
}

// Live plays the membership changes with the real clock.
func (m *MembershipStory) Live(ctx context.Context, members int) error {
	before, err := m.Store.Roster(ctx, m.C)
	if err != nil {
		return err
	}
	now := func() string { return m.Srv.NewTS() }
	member := func(typ, user string) error {
		return m.event(map[string]any{"type": typ, "user": user, "channel": m.C.Channel, "channel_type": "C", "team": m.Srv.TeamID, "event_ts": now()})
	}
	// A walk-in joins the full channel: removed, told their place, waitlisted.
	walkIn := "U0WALKIN001"
	m.Srv.SetMembers(m.C.Channel, append(m.Srv.Members(m.C.Channel), walkIn))
	if err := member("member_joined_channel", walkIn); err != nil {
		return err
	}
	if _, err := m.waitRoster(ctx, "waitlisting the walk-in", func(r *engagement.Roster) bool {
		return slices.ContainsFunc(r.Waitlist, func(w engagement.Waiter) bool { return w.User == walkIn })
	}); err != nil {
		return err
	}
	// Three members leave: the first three on the waitlist are invited.
	leavers := []string{User(members - 1), User(members - 2), User(members - 3)}
	for _, u := range leavers {
		m.Srv.SetMembers(m.C.Channel, slices.DeleteFunc(m.Srv.Members(m.C.Channel), func(x string) bool { return x == u }))
		if err := member("member_left_channel", u); err != nil {
			return err
		}
	}
	promoted := []string{before.Waitlist[0].User, before.Waitlist[1].User, before.Waitlist[2].User}
	welcomes := map[string]slacktest.Message{}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for len(welcomes) < len(promoted) {
		for _, msg := range m.Srv.Messages(m.C.Channel) {
			for _, u := range promoted {
				if strings.Contains(msg.Text, "<@"+u+">") && msg.ThreadTS == "" {
					welcomes[u] = msg
				}
			}
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("sandbox: %d of %d promoted members were welcomed", len(welcomes), len(promoted))
		case <-time.After(20 * time.Millisecond):
		}
	}
	// Two of the three newcomers introduce themselves: one in their welcome
	// thread, one with a post of their own. The app records where it
	// welcomed them just after Slack answers the post; wait for that, as a
	// person's reply would come seconds later.
	for {
		ts, err := m.Store.WelcomeTS(wctx, m.C, promoted[0])
		if err != nil {
			return fmt.Errorf("sandbox: welcome of %s not recorded: %w", promoted[0], err)
		}
		if ts == welcomes[promoted[0]].TS {
			break
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("sandbox: welcome of %s not recorded", promoted[0])
		case <-time.After(10 * time.Millisecond):
		}
	}
	reply := now()
	if err := m.event(map[string]any{"type": "message", "user": promoted[0], "channel": m.C.Channel, "channel_type": "channel",
		"text": "(simulated)", "ts": reply, "event_ts": reply, "thread_ts": welcomes[promoted[0]].TS, "parent_user_id": m.Srv.BotUserID}); err != nil {
		return err
	}
	post := now()
	if err := m.event(map[string]any{"type": "message", "user": promoted[1], "channel": m.C.Channel, "channel_type": "channel",
		"text": "(simulated)", "ts": post, "event_ts": post}); err != nil {
		return err
	}
	after, err := m.waitRoster(ctx, "two introductions", func(r *engagement.Roster) bool {
		n := 0
		for _, s := range r.Seated {
			if s.Intro {
				n++
			}
		}
		return n == 2 && len(r.Seated) == members
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Out, "Membership (live, after the week):\n")
	fmt.Fprintf(m.Out, "  seats          %d of %d taken (the channel started full)\n", len(after.Seated), after.Cap)
	fmt.Fprintf(m.Out, "  waitlist       %d waiting -> %d: 1 walk-in joined while full (removed, told their place), 3 promoted as 3 members left\n",
		len(before.Waitlist), len(after.Waitlist))
	fmt.Fprintf(m.Out, "  promoted       %s: invited, welcomed in the channel, brand channel told\n", strings.Join(promoted, ", "))
	fmt.Fprintf(m.Out, "  intro rate     2 of 3 newcomers (67%%) introduced themselves; the third gets one reminder after %.0f hours\n\n", m.C.NudgeAfter.Hours())
	if len(after.Waitlist) != len(before.Waitlist)+1-3 {
		return fmt.Errorf("sandbox: waitlist went from %d to %d, want %d", len(before.Waitlist), len(after.Waitlist), len(before.Waitlist)-2)
	}
	return nil
}
