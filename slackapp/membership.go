package slackapp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"
)

// Membership: the engagement scripts decide seats atomically and leave the
// Slack work (welcome, kick, invite, DMs) in each community's outbox; this
// file does that work. Every replica consumes the outbox; a job is removed
// only once done, so a crash or a Slack outage delays it, never loses it.

// memberMetrics are the membership series, by community (never by user).
type memberMetrics struct {
	seatsUsed, seatsCap, waitlist *prometheus.GaugeVec
	promotions, capRemovals       *prometheus.CounterVec
	intros                        *prometheus.CounterVec
}

func newMemberMetrics(reg prometheus.Registerer, store *engagement.Store) *memberMetrics {
	g := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{"community"})
	}
	c := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"community"})
	}
	m := &memberMetrics{
		seatsUsed:   g("closeknit_seats_used", "Seated customer members (staff and bots take no seat)."),
		seatsCap:    g("closeknit_seats_cap", "The community's seat cap."),
		waitlist:    g("closeknit_waitlist_length", "People waiting for a seat."),
		promotions:  c("closeknit_promotions_total", "People invited from the waitlist (or by staff) into a seat."),
		capRemovals: c("closeknit_cap_removals_total", "People removed from the channel because it was full, and waitlisted."),
		intros:      c("closeknit_intros_total", "New members who introduced themselves within the intro window."),
	}
	stale := prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "closeknit_stale_member_events_total",
		Help: "Member join/leave events older than what was known about the person (late or out of order): ignored."},
		func() float64 { return float64(store.StaleMemberEvents()) })
	reg.MustRegister(m.seatsUsed, m.seatsCap, m.waitlist, m.promotions, m.capRemovals, m.intros, stale)
	return m
}

// runOutbox consumes community c's outbox until ctx is done.
func (a *App) runOutbox(ctx context.Context, c *engagement.Community) {
	consumer := "closeknit-" + rand.Text()[:8]
	backoff := time.Second
	for ctx.Err() == nil {
		jobs, err := a.store.ClaimJobs(ctx, c, consumer, 16, 2*time.Second)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Warn("outbox not read", "community", c.ID, "err", err)
				sleepCtx(ctx, backoff)
				backoff = min(backoff*2, 30*time.Second)
			}
			continue
		}
		backoff = time.Second
		for _, j := range jobs {
			jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			err := a.doJob(jctx, c, j)
			if err == nil {
				err = a.store.JobDone(jctx, c, j.ID)
			}
			cancel()
			if err != nil {
				// Left pending: claimed again after engagement.OutboxRetryAfter.
				a.log.Warn("membership job will be retried", "community", c.ID, "job", j.Type, "job_id", j.ID, "attempt", j.Attempt, "err", err)
			}
		}
		if len(jobs) > 0 {
			a.refreshSeatGauges(ctx, c)
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

// doJob does one outbox job. It returns an error only for what a retry
// may fix (Slack or Redis unreachable, rate limits). Each step is done at
// most once (see step); a refusal no retry can fix ends its step.
func (a *App) doJob(ctx context.Context, c *engagement.Community, j engagement.Job) error {
	switch j.Type {
	case "welcome":
		return a.step(ctx, c, j, "post", func() error { return a.welcome(ctx, c, j) })
	case "full":
		return a.removeForCap(ctx, c, j)
	case "over_cap":
		cap, _ := a.store.Cap(ctx, c)
		return a.step(ctx, c, j, "note", func() error {
			return a.notify.TellStaff(ctx, c, fmt.Sprintf("<@%s> joined <#%s> while it is full (cap %d). The policy is *warn*, so they stay; "+
				"use `/closeknit remove @user` if they should wait for a seat instead.", j.User, c.Channel, cap))
		})
	case "promote":
		return a.promote(ctx, c, j)
	}
	a.log.Warn("unknown membership job dropped", "community", c.ID, "job", j.Type)
	return nil
}

// errSkipRest ends a job early, as done: its remaining steps no longer apply.
var errSkipRest = errors.New("rest of the job skipped")

// step runs one step of job j unless an earlier run of the job did it, and
// marks it done. A Slack refusal that no retry can fix (finalRefusal) ends
// the step too: it is counted and logged, never repeated.
func (a *App) step(ctx context.Context, c *engagement.Community, j engagement.Job, name string, do func() error) error {
	if done, err := a.store.StepDone(ctx, c, j.ID, name); err != nil || done {
		return err
	}
	err := do()
	if code := feature.Code(err); feature.Final(code) {
		a.notify.Refused(c, j.Type+"."+name, code)
		a.log.Warn("slack refused a membership step; given up", "community", c.ID, "job", j.Type, "step", name, "user_id", j.User, "err", err)
		err = nil
	}
	if err != nil && !errors.Is(err, errSkipRest) {
		return err
	}
	if merr := a.store.MarkStep(ctx, c, j.ID, name); merr != nil {
		return merr
	}
	return err
}

// welcome greets a newly seated member, once. A bot that joined gives its
// seat back instead.
func (a *App) welcome(ctx context.Context, c *engagement.Community, j engagement.Job) error {
	user := j.User
	if ts, err := a.store.WelcomeTS(ctx, c, user); err != nil || ts != "" {
		return err // already welcomed (a retried job)
	}
	bot, err := a.isBot(ctx, c, user)
	if err != nil {
		return err
	}
	if bot {
		_, err := a.store.Unseat(ctx, c, user, a.store.Now())
		return err
	}
	text := strings.ReplaceAll(c.Welcome, "{user}", "<@"+user+">")
	where := c.Channel
	if c.WelcomeIn == engagement.WelcomeDM {
		where = user
	}
	_, ts, err := a.api.PostMessageContext(ctx, where, slack.MsgOptionText(text, false))
	if code := feature.Code(err); feature.Final(code) {
		// Slack refused it for good (the app left the channel, the DM is
		// closed). The member keeps their seat; staff say hello instead.
		a.notify.Refused(c, "welcome.post", code)
		a.log.Warn("welcome not posted", "community", c.ID, "user_id", user, "err", err)
		return a.step(ctx, c, j, "note", func() error {
			return a.notify.TellStaff(ctx, c, fmt.Sprintf("I could not welcome <@%s> (`%s`); please say hello to them yourselves.", user, code))
		})
	}
	if err != nil {
		return fmt.Errorf("welcome %s: %w", user, err)
	}
	if where == user {
		ts = "dm:" + ts // not a thread in the channel: replies there are not seen
	}
	_, err = a.store.Welcomed(ctx, c, user, ts)
	return err
}

// isBot asks users.info once per user and remembers the answer.
func (a *App) isBot(ctx context.Context, c *engagement.Community, user string) (bool, error) {
	kind, err := a.userKind(ctx, c, user, false)
	return kind == "bot", err
}

// userKind says whether user is a "bot", a "human" or "deleted"
// (deactivated), from users.info. A bot stays a bot; with fresh, anyone
// else is asked again (they may have been deactivated since).
func (a *App) userKind(ctx context.Context, c *engagement.Community, user string, fresh bool) (string, error) {
	kinds, err := a.store.Kinds(ctx, c, []string{user})
	if err != nil {
		return "", err
	}
	if kinds[0] == "bot" || kinds[0] != "" && !fresh {
		return kinds[0], nil
	}
	u, err := a.api.GetUserInfoContext(ctx, user)
	if feature.Code(err) != "" {
		// users.info refused (user_not_found, …): treat them as a person,
		// without remembering it, rather than retry forever.
		a.log.Warn("users.info refused; assuming a person", "community", c.ID, "user_id", user, "err", err)
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
	return kind, a.store.SetKind(ctx, c, user, kind)
}

// removeForCap removes someone who joined while the channel was full and
// tells them, kindly, where they stand on the waitlist.
func (a *App) removeForCap(ctx context.Context, c *engagement.Community, j engagement.Job) error {
	err := a.step(ctx, c, j, "kick", func() error {
		if ok, err := a.store.ClaimKick(ctx, c, j, a.store.Now()); err != nil || !ok {
			if err == nil {
				err = errSkipRest // promoted before we got to it, or a newer join's job kicks them: nothing to undo, nothing to tell
			}
			return err
		}
		err := a.api.KickUserFromConversationContext(ctx, c.Channel, j.User)
		switch code := feature.Code(err); {
		case err == nil:
			a.mm.capRemovals.WithLabelValues(c.ID).Inc()
			return nil
		case code == "not_in_channel" && !a.botNotIn(ctx, c):
			// Already gone (they left): still tell them. No echo of a
			// kick will come.
			return a.store.KickFailed(ctx, c, j.User)
		case feature.Final(code):
			_ = a.store.KickFailed(ctx, c, j.User)
			if feature.AppProblem(code) {
				a.notify.SetupProblem(ctx, c, "kick:"+code, fmt.Sprintf("I cannot remove people from <#%s> when it is full (`%s`): "+
					"please add me to the channel and check my permissions.", c.Channel, code))
			}
			if err := a.notify.TellStaff(ctx, c, fmt.Sprintf("<@%s> joined <#%s> while it is full, but I could not remove them (`%s`). "+
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
	return a.step(ctx, c, j, "dm", func() error {
		_, _, err := a.api.PostMessageContext(ctx, j.User, slack.MsgOptionText(fmt.Sprintf(
			"Hi <@%s>, thank you for wanting to join us! :sparkles: The community is kept small on purpose, and every seat is taken right now. "+
				"You are *#%d* on the waitlist; I will invite you as soon as a seat opens up. "+
				"You can check your place any time with `/closeknit status`.", j.User, j.Position), false))
		return err
	})
}

// botNotIn reports whether Slack says the app is not a member of c's
// channel (then not_in_channel from a kick is about the app, not the person).
func (a *App) botNotIn(ctx context.Context, c *engagement.Community) bool {
	ch, err := a.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: c.Channel})
	return err == nil && !ch.IsMember
}

// promote invites someone whose seat is reserved, then DMs them and tells
// staff: each step once. If Slack refuses the person, the seat goes to the
// next on the waitlist; if it refuses the app (not in the channel, a scope
// missing), the person goes back to the head of the waitlist, staff are
// told once, and the next roster check tries again.
func (a *App) promote(ctx context.Context, c *engagement.Community, j engagement.Job) error {
	// A promotion given up before the outbox got to it (they left, were
	// removed, or were promoted anew by a later job) invites nobody.
	if ok, err := a.store.PromotionStands(ctx, c, j); err != nil || !ok {
		return err
	}
	err := a.step(ctx, c, j, "invite", func() error {
		// Taken before the call: Slack's echo of the invite is newer.
		at := a.store.Now()
		_, err := a.api.InviteUsersToConversationContext(ctx, c.Channel, j.User)
		code := feature.Code(err)
		switch {
		case err == nil || code == "already_in_channel":
			if err := a.store.Invited(ctx, c, j.User, at); err != nil {
				return err
			}
			a.mm.promotions.WithLabelValues(c.ID).Inc()
			a.notify.ClearSetupProblems(ctx, c, "invite:")
			return nil
		case !feature.Final(code):
			return fmt.Errorf("invite %s: %w", j.User, err)
		case feature.AppProblem(code):
			if _, err := a.store.Requeue(ctx, c, j.User, a.store.Now()); err != nil {
				return err
			}
			a.notify.Refused(c, "promote.invite", code)
			a.notify.SetupProblem(ctx, c, "invite:"+code, fmt.Sprintf("I cannot invite people into <#%s> (`%s`): please add me to the channel "+
				"and check my permissions. The waitlist waits; I will try again at the next roster check.", c.Channel, code))
			return errSkipRest
		default: // cant_invite, user_is_restricted, user_not_found, …: skip to the next person
			a.notify.Refused(c, "promote.invite", code)
			if _, err := a.store.Unseat(ctx, c, j.User, a.store.Now()); err != nil {
				return err
			}
			// The invite is over; the note to staff is a step of its own.
			if err := a.store.MarkStep(ctx, c, j.ID, "invite"); err != nil {
				return err
			}
			return a.step(ctx, c, j, "refused", func() error {
				return a.notify.TellStaff(ctx, c, fmt.Sprintf("I could not invite <@%s> into <#%s> (`%s`), so I took them off the waitlist "+
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
	if ok, err := a.store.PromotionStands(ctx, c, j); err != nil || !ok {
		return err
	}
	if err := a.step(ctx, c, j, "dm", func() error {
		_, _, err := a.api.PostMessageContext(ctx, j.User, slack.MsgOptionText(fmt.Sprintf(
			"Good news <@%s>: a seat opened up and you are in! :tada: Come and say hello in <#%s>.", j.User, c.Channel), false))
		return err
	}); err != nil {
		return err
	}
	return a.step(ctx, c, j, "note", func() error {
		return a.notify.TellStaff(ctx, c, fmt.Sprintf("<@%s> took a free seat in <#%s>.", j.User, c.Channel))
	})
}

// reconcileRoster is a scheduled job: it compares the seats with
// conversations.members, so missed events and changes made while the app
// was down are corrected.
func reconcileRoster(ctx context.Context, a *App, c *engagement.Community) error {
	// A staff group that cannot be read (refreshStaff logs it) does not
	// stop the check: listed staff are still known, and group members
	// found in the channel are left alone rather than seated.
	a.refreshStaff(ctx, c)
	var present []string
	params := &slack.GetUsersInConversationParameters{ChannelID: c.Channel, Limit: 200}
	for {
		users, next, err := a.api.GetUsersInConversationContext(ctx, params)
		if err != nil {
			return fmt.Errorf("conversations.members: %w", err)
		}
		present = append(present, users...)
		if next == "" {
			break
		}
		params.Cursor = next
	}
	customers := present[:0]
	for _, u := range present {
		if u == a.botUserID || c.IsStaff(u) {
			continue
		}
		kind, err := a.userKind(ctx, c, u, true)
		if err != nil {
			return err
		}
		if kind == "human" { // bots take no seat; deactivated people lose theirs
			customers = append(customers, u)
		}
	}
	if !c.StaffKnown() {
		// Without the staff group, a group member present would look like
		// a customer: only take seats away (people gone), seat nobody.
		a.log.Warn("roster check seats nobody: the staff user group is unknown", "community", c.ID)
	}
	seated, unseated, err := a.store.Reconcile(ctx, c, customers, a.store.Now(), 10*time.Minute, c.StaffKnown())
	if err != nil {
		return err
	}
	// Seats left free while invites were refused (the app was not in the
	// channel) are offered again.
	promoted, err := a.store.FillSeats(ctx, c, a.store.Now())
	if err != nil {
		return err
	}
	if seated+unseated+promoted > 0 {
		a.log.Info("roster reconciled", "community", c.ID, "seated", seated, "unseated", unseated, "promoted", promoted)
	}
	a.refreshSeatGauges(ctx, c)
	return nil
}

// sendNudges is a scheduled job: one friendly DM to members who have not
// introduced themselves c.NudgeAfter after taking their seat. ClaimNudge
// makes it at most one, ever; a nudge Slack did not take (rate limited,
// down) is given back and tried again on the next run.
func sendNudges(ctx context.Context, a *App, c *engagement.Community) error {
	now := a.store.Now()
	due, err := a.store.DueNudges(ctx, c, now, c.NudgeAfter)
	if err != nil {
		return err
	}
	var failed error
	for _, u := range due {
		ok, err := a.store.ClaimNudge(ctx, c, u, now)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		_, _, err = a.api.PostMessageContext(ctx, u, slack.MsgOptionText(fmt.Sprintf(
			"Hi <@%s>! :wave: We would love to hear from you in <#%s>: who you are, and what you think of what we make. "+
				"A line or two is plenty. (This is the only reminder I will send.)", u, c.Channel), false))
		switch code := feature.Code(err); {
		case err == nil:
		case feature.Final(code): // they cannot be DMed: no retry
			a.notify.Refused(c, "nudge.dm", code)
			a.log.Warn("nudge refused", "community", c.ID, "user_id", u, "err", err)
		default:
			a.log.Warn("nudge not sent; will retry", "community", c.ID, "user_id", u, "err", err)
			if err := a.store.UnclaimNudge(context.WithoutCancel(ctx), c, u); err != nil {
				return err
			}
			failed = fmt.Errorf("nudge %s: %w", u, err)
		}
	}
	return failed
}

// refreshSeatGauges reads the seat counts into the gauges.
func (a *App) refreshSeatGauges(ctx context.Context, c *engagement.Community) {
	r, err := a.store.Roster(ctx, c)
	if err != nil {
		return
	}
	a.mm.seatsUsed.WithLabelValues(c.ID).Set(float64(len(r.Seated)))
	a.mm.seatsCap.WithLabelValues(c.ID).Set(float64(r.Cap))
	a.mm.waitlist.WithLabelValues(c.ID).Set(float64(len(r.Waitlist)))
}
