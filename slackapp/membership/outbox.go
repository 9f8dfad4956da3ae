package membership

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// Outbox consumes community c's outbox until ctx is done; the core runs
// one per community.
func (f *Feature) Outbox(ctx context.Context, c *engagement.Community) {
	consumer := "closeknit-" + rand.Text()[:8]
	backoff := time.Second
	for ctx.Err() == nil {
		jobs, err := f.Store.ClaimJobs(ctx, c, consumer, 16, 2*time.Second)
		if err != nil {
			if ctx.Err() == nil {
				f.Log.Warn("outbox not read", "community", c.ID, "err", err)
				sleepCtx(ctx, backoff)
				backoff = min(backoff*2, 30*time.Second)
			}
			continue
		}
		backoff = time.Second
		for _, j := range jobs {
			jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			err := f.Do(jctx, c, j)
			if err == nil {
				err = f.Store.JobDone(jctx, c, j.ID)
			}
			cancel()
			if err != nil {
				// Left pending: claimed again after engagement.OutboxRetryAfter.
				f.Log.Warn("membership job will be retried", "community", c.ID, "job", j.Type, "job_id", j.ID, "attempt", j.Attempt, "err", err)
			}
		}
		if len(jobs) > 0 {
			f.refreshSeatGauges(ctx, c)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Do does one outbox job (Outbox hands out each claimed job; a test may
// hand one out itself). It returns an error only for what a retry
// may fix (Slack or Redis unreachable, rate limits). Each step is done at
// most once (see step); a refusal no retry can fix ends its step.
func (f *Feature) Do(ctx context.Context, c *engagement.Community, j engagement.Job) error {
	switch j.Type {
	case "welcome":
		return f.step(ctx, c, j, "post", func() error { return f.welcome(ctx, c, j) })
	case "full":
		return f.removeForCap(ctx, c, j)
	case "over_cap":
		cap, _ := f.Store.Cap(ctx, c)
		return f.step(ctx, c, j, "note", func() error {
			return f.Notify.TellStaff(ctx, c, fmt.Sprintf("<@%s> joined <#%s> while it is full (cap %d). The policy is *warn*, so they stay; "+
				"use `/closeknit remove @user` if they should wait for a seat instead.", j.User, c.Channel, cap))
		})
	case "promote":
		return f.promote(ctx, c, j)
	}
	f.Log.Warn("unknown membership job dropped", "community", c.ID, "job", j.Type)
	return nil
}

// errSkipRest ends a job early, as done: its remaining steps no longer apply.
var errSkipRest = errors.New("rest of the job skipped")

// step runs one step of job j unless an earlier run of the job did it, and
// marks it done. A Slack refusal that no retry can fix (finalRefusal) ends
// the step too: it is counted and logged, never repeated.
func (f *Feature) step(ctx context.Context, c *engagement.Community, j engagement.Job, name string, do func() error) error {
	if done, err := f.Store.StepDone(ctx, c, j.ID, name); err != nil || done {
		return err
	}
	err := do()
	if code := feature.Code(err); feature.Final(code) {
		f.Notify.Refused(c, j.Type+"."+name, code)
		f.Log.Warn("slack refused a membership step; given up", "community", c.ID, "job", j.Type, "step", name, "user_id", j.User, "err", err)
		err = nil
	}
	if err != nil && !errors.Is(err, errSkipRest) {
		return err
	}
	if merr := f.Store.MarkStep(ctx, c, j.ID, name); merr != nil {
		return merr
	}
	return err
}

// welcome greets a newly seated member, once. A bot that joined gives its
// seat back instead.
func (f *Feature) welcome(ctx context.Context, c *engagement.Community, j engagement.Job) error {
	user := j.User
	if ts, err := f.Store.WelcomeTS(ctx, c, user); err != nil || ts != "" {
		return err // already welcomed (a retried job)
	}
	bot, err := f.isBot(ctx, c, user)
	if err != nil {
		return err
	}
	if bot {
		_, err := f.Store.Unseat(ctx, c, user, f.Store.Now())
		return err
	}
	text := strings.ReplaceAll(c.Welcome, "{user}", "<@"+user+">")
	where := c.Channel
	if c.WelcomeIn == engagement.WelcomeDM {
		where = user
	}
	_, ts, err := f.API.PostMessageContext(ctx, where, slack.MsgOptionText(text, false))
	if code := feature.Code(err); feature.Final(code) {
		// Slack refused it for good (the app left the channel, the DM is
		// closed). The member keeps their seat; staff say hello instead.
		f.Notify.Refused(c, "welcome.post", code)
		f.Log.Warn("welcome not posted", "community", c.ID, "user_id", user, "err", err)
		return f.step(ctx, c, j, "note", func() error {
			return f.Notify.TellStaff(ctx, c, fmt.Sprintf("I could not welcome <@%s> (`%s`); please say hello to them yourselves.", user, code))
		})
	}
	if err != nil {
		return fmt.Errorf("welcome %s: %w", user, err)
	}
	if where == user {
		ts = "dm:" + ts // not a thread in the channel: replies there are not seen
	}
	_, err = f.Store.Welcomed(ctx, c, user, ts)
	return err
}

// isBot asks users.info once per user and remembers the answer.
func (f *Feature) isBot(ctx context.Context, c *engagement.Community, user string) (bool, error) {
	kind, err := f.userKind(ctx, c, user, false)
	return kind == "bot", err
}

// userKind says whether user is a "bot", a "human" or "deleted"
// (deactivated), from users.info. A bot stays a bot; with fresh, anyone
// else is asked again (they may have been deactivated since).
func (f *Feature) userKind(ctx context.Context, c *engagement.Community, user string, fresh bool) (string, error) {
	kinds, err := f.Store.Kinds(ctx, c, []string{user})
	if err != nil {
		return "", err
	}
	if kinds[0] == "bot" || kinds[0] != "" && !fresh {
		return kinds[0], nil
	}
	u, err := f.API.GetUserInfoContext(ctx, user)
	if feature.Code(err) != "" {
		// users.info refused (user_not_found, …): treat them as a person,
		// without remembering it, rather than retry forever.
		f.Log.Warn("users.info refused; assuming a person", "community", c.ID, "user_id", user, "err", err)
		return "human", nil
	}
	if err != nil {
		return "", fmt.Errorf("users.info %s: %w", user, err)
	}
	kind := "human"
	switch {
	case u.IsBot || u.ID == "USLACKBOT":
		kind = "bot"
	case u.Deleted:
		kind = "deleted"
	}
	return kind, f.Store.SetKind(ctx, c, user, kind)
}

// removeForCap removes someone who joined while the channel was full and
// tells them, kindly, where they stand on the waitlist.
func (f *Feature) removeForCap(ctx context.Context, c *engagement.Community, j engagement.Job) error {
	err := f.step(ctx, c, j, "kick", func() error {
		if ok, err := f.Store.ClaimKick(ctx, c, j, f.Store.Now()); err != nil || !ok {
			if err == nil {
				err = errSkipRest // promoted before we got to it, or a newer join's job kicks them: nothing to undo, nothing to tell
			}
			return err
		}
		err := f.API.KickUserFromConversationContext(ctx, c.Channel, j.User)
		switch code := feature.Code(err); {
		case err == nil:
			f.m.capRemovals.WithLabelValues(c.ID).Inc()
			return nil
		case code == "not_in_channel" && !f.botNotIn(ctx, c):
			// Already gone (they left): still tell them. No echo of a
			// kick will come.
			return f.Store.KickFailed(ctx, c, j.User)
		case feature.Final(code):
			_ = f.Store.KickFailed(ctx, c, j.User)
			if feature.AppProblem(code) {
				f.Notify.SetupProblem(ctx, c, "kick:"+code, fmt.Sprintf("I cannot remove people from <#%s> when it is full (`%s`): "+
					"please add me to the channel and check my permissions.", c.Channel, code))
			}
			if err := f.Notify.TellStaff(ctx, c, fmt.Sprintf("<@%s> joined <#%s> while it is full, but I could not remove them (`%s`). "+
				"They are on the waitlist at #%d.", j.User, c.Channel, code, j.Position)); err != nil {
				return err
			}
			return errSkipRest // they were not removed: no waitlist DM
		default:
			return fmt.Errorf("kick %s: %w", j.User, err)
		}
	})
	if err != nil {
		if errors.Is(err, errSkipRest) {
			return nil
		}
		return err
	}
	return f.step(ctx, c, j, "dm", func() error {
		_, _, err := f.API.PostMessageContext(ctx, j.User, slack.MsgOptionText(fmt.Sprintf(
			"Hi <@%s>, thank you for wanting to join us! :sparkles: The community is kept small on purpose, and every seat is taken right now. "+
				"You are *#%d* on the waitlist; I will invite you as soon as a seat opens up. "+
				"You can check your place any time with `/closeknit status`.", j.User, j.Position), false))
		return err
	})
}

// botNotIn reports whether Slack says the app is not a member of c's
// channel (then not_in_channel from a kick is about the app, not the person).
func (f *Feature) botNotIn(ctx context.Context, c *engagement.Community) bool {
	ch, err := f.API.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: c.Channel})
	return err == nil && !ch.IsMember
}

// promote invites someone whose seat is reserved, then DMs them and tells
// staff: each step once. If Slack refuses the person, the seat goes to the
// next on the waitlist; if it refuses the app (not in the channel, a scope
// missing), the person goes back to the head of the waitlist, staff are
// told once, and the next roster check tries again.
func (f *Feature) promote(ctx context.Context, c *engagement.Community, j engagement.Job) error {
	// A promotion given up before the outbox got to it (they left, were
	// removed, or were promoted anew by a later job) invites nobody.
	if ok, err := f.Store.PromotionStands(ctx, c, j); err != nil || !ok {
		return err
	}
	err := f.step(ctx, c, j, "invite", func() error {
		// Taken before the call: Slack's echo of the invite is newer.
		at := f.Store.Now()
		_, err := f.API.InviteUsersToConversationContext(ctx, c.Channel, j.User)
		code := feature.Code(err)
		switch {
		case err == nil || code == "already_in_channel":
			if err := f.Store.Invited(ctx, c, j.User, at); err != nil {
				return err
			}
			f.m.promotions.WithLabelValues(c.ID).Inc()
			f.Notify.ClearSetupProblems(ctx, c, "invite:")
			return nil
		case !feature.Final(code):
			return fmt.Errorf("invite %s: %w", j.User, err)
		case feature.AppProblem(code):
			if _, err := f.Store.Requeue(ctx, c, j.User, f.Store.Now()); err != nil {
				return err
			}
			f.Notify.Refused(c, "promote.invite", code)
			f.Notify.SetupProblem(ctx, c, "invite:"+code, fmt.Sprintf("I cannot invite people into <#%s> (`%s`): please add me to the channel "+
				"and check my permissions. The waitlist waits; I will try again at the next roster check.", c.Channel, code))
			return errSkipRest
		default: // cant_invite, user_is_restricted, user_not_found, …: skip to the next person
			f.Notify.Refused(c, "promote.invite", code)
			if _, err := f.Store.Unseat(ctx, c, j.User, f.Store.Now()); err != nil {
				return err
			}
			// The invite is over; the note to staff is a step of its own.
			if err := f.Store.MarkStep(ctx, c, j.ID, "invite"); err != nil {
				return err
			}
			return f.step(ctx, c, j, "refused", func() error {
				return f.Notify.TellStaff(ctx, c, fmt.Sprintf("I could not invite <@%s> into <#%s> (`%s`), so I took them off the waitlist "+
					"and offered the seat to the next person.", j.User, c.Channel, code))
			})
		}
	})
	if err != nil {
		if errors.Is(err, errSkipRest) {
			return nil
		}
		return err
	}
	// Only someone who still holds the seat hears they are in (not after a
	// refused invite, a leave or a removal meanwhile).
	if ok, err := f.Store.PromotionStands(ctx, c, j); err != nil || !ok {
		return err
	}
	if err := f.step(ctx, c, j, "dm", func() error {
		_, _, err := f.API.PostMessageContext(ctx, j.User, slack.MsgOptionText(fmt.Sprintf(
			"Good news <@%s>: a seat opened up and you are in! :tada: Come and say hello in <#%s>.", j.User, c.Channel), false))
		return err
	}); err != nil {
		return err
	}
	return f.step(ctx, c, j, "note", func() error {
		return f.Notify.TellStaff(ctx, c, fmt.Sprintf("<@%s> took a free seat in <#%s>.", j.User, c.Channel))
	})
}
