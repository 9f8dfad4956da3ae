package slackapp

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// Privacy requests (privacy, forget, and optout/optin from outside a
// community channel) scan every key of the communities concerned. They run
// on a small pool of their own, so that a member repeating them cannot take
// the goroutines other commands and the modal need, and one at a time per
// person: a request from someone whose previous one is still queued or
// running is answered at once and not queued again.
const (
	privacyWorkers    = 2  // scans running at once
	privacyMaxPending = 64 // people with a request queued or running
)

type privacyPool struct {
	sem chan struct{}

	mu   sync.Mutex
	busy map[string]bool // person -> a request queued or running
}

func newPrivacyPool() *privacyPool {
	return &privacyPool{sem: make(chan struct{}, privacyWorkers), busy: map[string]bool{}}
}

// claim reserves person's one place; false if they already hold it or the
// pool is full.
func (p *privacyPool) claim(person string) (ok, full bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.busy[person] {
		return false, false
	}
	if len(p.busy) >= privacyMaxPending {
		return false, true
	}
	p.busy[person] = true
	return true, false
}

func (p *privacyPool) release(person string) {
	p.mu.Lock()
	delete(p.busy, person)
	p.mu.Unlock()
}

// privacyLater acks a privacy request of the caller with working and
// answers through the command's response_url once work is done on the
// privacy pool.
func (a *App) privacyLater(cmd *slack.SlashCommand, working string, work func(ctx context.Context) (string, error)) (*slack.Msg, error) {
	person := cmd.UserID
	ok, full := a.privacy.claim(person)
	switch {
	case full:
		return &slack.Msg{Text: "I am busy with many privacy requests right now; please try again in a few minutes."}, nil
	case !ok:
		return &slack.Msg{Text: "I am still working on your previous privacy request; its answer comes here shortly."}, nil
	}
	to := feature.Notice{User: cmd.UserID, ResponseURL: cmd.ResponseURL}
	a.run.Track(func() {
		a.privacy.sem <- struct{}{}
		ctx, cancel := context.WithTimeout(context.Background(), feature.Privacy)
		defer cancel()
		text, err := work(ctx)
		<-a.privacy.sem
		// Released before the answer goes out: once the person reads it,
		// their next request is taken on.
		a.privacy.release(person)
		if err != nil {
			text = a.userError(err, "user_id", to.User, "command", "/closeknit").Text
		}
		a.notify.Tell(to, text)
	})
	return &slack.Msg{Text: working}, nil
}

// privacyScope is what a privacy command acts on.
type privacyScope struct {
	user string
	// communities: the one the command ran in (or the staff member's),
	// else nil: every community where the user has records (see withRecords).
	communities []*engagement.Community
}

// privacyScopeOf is whom and where a privacy command is about: the caller,
// in the community whose channel it ran in, or, from a DM or any other
// channel, every community where they have records; or (for staff only)
// the member they mention, in the staff member's community.
func (a *App) privacyScopeOf(cmd *slack.SlashCommand, args []string, usage string) (privacyScope, error) {
	if len(args) == 0 {
		if c := a.byChannel[cmd.ChannelID]; c != nil {
			return privacyScope{user: cmd.UserID, communities: []*engagement.Community{c}}, nil
		}
		return privacyScope{user: cmd.UserID}, nil
	}
	c, err := a.staffCommunity(cmd)
	if err != nil {
		return privacyScope{}, err
	}
	users, err := parseUsers(args, usage)
	if err != nil || len(users) != 1 {
		return privacyScope{}, orErr(err, feature.Say("Usage: "+usage))
	}
	return privacyScope{user: users[0], communities: []*engagement.Community{c}}, nil
}

// personal is one community's records of a person.
type personal struct {
	c    *engagement.Community
	recs []engagement.PersonalRecord
}

// withRecords reads the person's records in the scope's communities (all
// configured ones when the scope names none) and keeps those with any,
// unless the scope names its community.
func (a *App) withRecords(ctx context.Context, sc privacyScope) ([]personal, error) {
	cs, named := sc.communities, sc.communities != nil
	if !named {
		cs = a.cfg.Communities
	}
	var out []personal
	for _, c := range cs {
		recs, err := a.store.Personal(ctx, c, sc.user)
		if err != nil {
			return nil, err
		}
		if named || len(recs) > 0 {
			out = append(out, personal{c: c, recs: recs})
		}
	}
	return out, nil
}

// channels lists the communities' channels for a reply: "<#C1>, <#C2>".
func channels(ps []personal) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = "<#" + p.c.Channel + ">"
	}
	return strings.Join(names, ", ")
}

func cmdPrivacy(_ context.Context, a *App, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	sc, err := a.privacyScopeOf(cmd, args, "/closeknit privacy [@member]")
	if err != nil {
		return nil, err
	}
	return a.privacyLater(cmd, "Looking up what is stored…", func(ctx context.Context) (string, error) {
		ps, err := a.withRecords(ctx, sc)
		if err != nil {
			return "", err
		}
		if len(ps) == 0 {
			who := "<@" + sc.user + ">"
			if sc.user == cmd.UserID {
				who = "you"
			}
			return fmt.Sprintf("*What closeknit stores about %s*: nothing, in any community.", who), nil
		}
		var b strings.Builder
		for i, p := range ps {
			out, err := a.store.OptedOut(ctx, p.c)
			if err != nil {
				return "", err
			}
			if i > 0 {
				b.WriteString("\n\n")
			}
			if len(ps) > 1 || sc.communities == nil {
				fmt.Fprintf(&b, "*In <#%s>*\n", p.c.Channel)
			}
			b.WriteString(privacyText(p.recs, out[sc.user], sc.user == cmd.UserID))
		}
		return b.String(), nil
	})
}

func cmdOptOut(out bool) func(context.Context, *App, *slack.SlashCommand, []string) (*slack.Msg, error) {
	return func(ctx context.Context, a *App, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
		sc, err := a.privacyScopeOf(cmd, args, "/closeknit optout|optin [@member]")
		if err != nil {
			return nil, err
		}
		set := func(ctx context.Context, ps []personal) (string, error) {
			for _, p := range ps {
				if err := a.store.SetOptOut(ctx, p.c, sc.user, out); err != nil {
					return "", err
				}
			}
			if out {
				return fmt.Sprintf("Done: no per-person statistics are kept for <@%s> in %s from now on. They still count in channel totals. "+
					"What was recorded before stays until `/closeknit forget`.", sc.user, channels(ps)), nil
			}
			return fmt.Sprintf("Done: per-person statistics are on again for <@%s> in %s.", sc.user, channels(ps)), nil
		}
		if sc.communities != nil { // one community, known: no scan needed
			text, err := set(ctx, []personal{{c: sc.communities[0]}})
			if err != nil {
				return nil, err
			}
			return &slack.Msg{Text: text}, nil
		}
		return a.privacyLater(cmd, "Working…", func(ctx context.Context) (string, error) {
			ps, err := a.withRecords(ctx, sc)
			if err != nil {
				return "", err
			}
			if len(ps) == 0 {
				if !out {
					return fmt.Sprintf("closeknit stores nothing about <@%s>: nothing to turn back on.", sc.user), nil
				}
				// Nothing recorded yet: opt out everywhere, so that nothing
				// per-person is recorded later either.
				for _, c := range a.cfg.Communities {
					ps = append(ps, personal{c: c})
				}
			}
			return set(ctx, ps)
		})
	}
}

func cmdForget(_ context.Context, a *App, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	sc, err := a.privacyScopeOf(cmd, args, "/closeknit forget [@member]")
	if err != nil {
		return nil, err
	}
	return a.privacyLater(cmd, "Deleting…", func(ctx context.Context) (string, error) {
		ps, err := a.withRecords(ctx, sc)
		if err != nil {
			return "", err
		}
		if len(ps) == 0 {
			return fmt.Sprintf("closeknit stores nothing about <@%s> in any community: nothing to delete.", sc.user), nil
		}
		n := 0
		for _, p := range ps {
			m, err := a.store.Forget(ctx, p.c, sc.user)
			if err != nil {
				return "", err
			}
			n += m
		}
		return fmt.Sprintf("Done: I deleted all %d records about <@%s> in %s: activity counters, seat and waitlist place, introduction, reactions, opt-out. "+
			"If they are still in a community channel, the next roster check gives them a seat again, and new activity counts unless they opt out.",
			n, sc.user, channels(ps)), nil
	})
}
