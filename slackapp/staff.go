package slackapp

import (
	"context"
	"crypto/rand"
	"slices"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// refreshStaff brings c's staff group members up to date from the copy
// shared in Redis, so every replica has the same staff. When that copy is
// older than cfg.StaffGroupTTL (or missing), this replica reads the group
// from Slack and shares it; one replica at a time, under a lease. If the
// group cannot be read from Slack (e.g. plan_upgrade_required on the Free
// plan) and there is no fresh copy, the group's members are unknown:
// c.StaffKnown is false and staff-only commands fail closed.
func (a *App) refreshStaff(ctx context.Context, c *engagement.Community) {
	if c.StaffGroup == "" {
		return
	}
	now, ttl := a.store.Now(), a.cfg.StaffGroupTTL
	g, err := a.store.StaffGroup(ctx, c)
	switch {
	case err != nil:
		a.log.Warn("staff group not read from redis", "community", c.ID, "err", err)
		c.ForgetGroupStaff()
		return
	case !g.ReadAt.IsZero() && now.Sub(g.ReadAt) < ttl:
		c.SetGroupStaff(g.Users)
		return
	case g.FailedAt.After(g.ReadAt) && now.Sub(g.FailedAt) < ttl:
		c.ForgetGroupStaff() // a replica just failed to read it: unknown for everyone
		return
	}
	holder := rand.Text()
	got, err := a.store.AcquireLease(ctx, c, "staffgroup", holder, 10*time.Second)
	if err != nil || !got {
		// Another replica is reading it: keep a copy at most one TTL
		// overdue until it shares the new one.
		if !g.ReadAt.IsZero() && now.Sub(g.ReadAt) < 2*ttl {
			c.SetGroupStaff(g.Users)
		} else {
			c.ForgetGroupStaff()
		}
		return
	}
	defer a.store.ReleaseLease(context.WithoutCancel(ctx), c, "staffgroup", holder)
	fresh, err := a.api.GetUserGroupMembersContext(ctx, c.StaffGroup)
	if err != nil {
		a.log.Warn("staff user group not read; group staff are unknown, staff commands refused for them",
			"community", c.ID, "usergroup", c.StaffGroup, "err", err)
		c.ForgetGroupStaff()
		if err := a.store.StaffGroupFailed(ctx, c, now); err != nil {
			a.log.Warn("staff group failure not shared", "community", c.ID, "err", err)
		}
		return
	}
	if err := a.store.SetStaffGroup(ctx, c, fresh, now); err != nil {
		a.log.Warn("staff group not shared", "community", c.ID, "err", err)
	}
	c.SetGroupStaff(fresh)
}

// refreshAllStaff refreshes every community's staff group.
func (a *App) refreshAllStaff(ctx context.Context) {
	for _, c := range a.cfg.Communities {
		a.refreshStaff(ctx, c)
	}
}

// checkBrandChannels warns staff (log, DM once, App Home) for each brand
// channel the bot is not a member of: every note and digest posted there
// would be refused. conversations.info tells without posting anything.
// A warning, not a failure: the rest of the app works without it.
func (a *App) checkBrandChannels(ctx context.Context) {
	for _, c := range a.cfg.Communities {
		if c.BrandChannel == "" {
			continue
		}
		ch, err := a.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: c.BrandChannel})
		code := feature.Code(err)
		switch {
		case err == nil && ch.IsMember:
			continue
		case err == nil:
			code = "not_in_channel"
		case code == "":
			a.log.Warn("brand channel not checked", "community", c.ID, "err", err)
			continue
		}
		a.notify.SetupProblem(ctx, c, "brand:"+code, feature.BrandChannelProblem(c, code, "staff notes and the digest"))
	}
}

// staffCheck is the feature.Staff that feature packages receive.
type staffCheck struct{ a *App }

func (s staffCheck) Community(cmd *slack.SlashCommand) (*engagement.Community, error) {
	return s.a.staffCommunity(cmd)
}

func (s staffCheck) Is(user string) bool { return s.a.isStaff(user) }

// isStaff reports whether user is staff of any community.
func (a *App) isStaff(userID string) bool {
	for _, c := range a.cfg.Communities {
		if c.IsStaff(userID) {
			return true
		}
	}
	return false
}

// staffCommunity returns the community whose staff list holds the user:
// the one of the channel the command ran in, or else the first where they
// are staff.
// Staff of a user group are read through the shared copy first; if it
// cannot be read, someone who is not listed in Staff is refused with
// engagement.ErrStaffUnknown (fail closed), never treated as a customer.
func (a *App) staffCommunity(cmd *slack.SlashCommand) (*engagement.Community, error) {
	ctx, cancel := context.WithTimeout(context.Background(), feature.StaffCheck)
	defer cancel()
	unknown := false
	check := func(c *engagement.Community) bool {
		if slices.Contains(c.Staff, cmd.UserID) {
			return true
		}
		a.refreshStaff(ctx, c)
		unknown = unknown || !c.StaffKnown()
		return c.IsStaff(cmd.UserID)
	}
	if c := a.byChannel[cmd.ChannelID]; c != nil && check(c) {
		return c, nil
	}
	for _, c := range a.cfg.Communities {
		if check(c) {
			return c, nil
		}
	}
	if unknown {
		return nil, engagement.ErrStaffUnknown
	}
	return nil, feature.ErrNotStaff
}
