// Package privacy answers a person's questions about what closeknit
// stores about them, and acts on it: /closeknit privacy, optout, optin and
// forget, for oneself or (staff) a member.
package privacy

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// Tracker runs fn on a goroutine of its own that the app waits for when
// it stops. Privacy work is bounded by the feature's own pool, so it is
// never refused for being busy elsewhere.
type Tracker interface {
	Track(fn func())
}

// Deps is what the privacy commands need from the core.
type Deps struct {
	Store  *engagement.Store
	Log    *slog.Logger
	Staff  feature.Staff
	Notify *feature.Notifier
	Run    Tracker
	// Communities are the configured communities; ByChannel finds one by
	// its channel (a command run there is about that community).
	Communities []*engagement.Community
	ByChannel   map[string]*engagement.Community
	// Forgetting, if set, is called before a person is forgotten in a
	// community; the function it returns is called after (the idea board
	// re-renders the cards of the person's ideas, which lose their text).
	Forgetting func(ctx context.Context, c *engagement.Community, user string) (func(), error)
}

// Feature is the privacy commands and their pool.
type Feature struct {
	Deps
	pool *pool
}

// New builds the feature.
func New(d Deps) *Feature { return &Feature{Deps: d, pool: newPool()} }

// later acks a privacy request of the caller with working and
// answers through the command's response_url once work is done on the
// privacy pool.
func (f *Feature) later(cmd *slack.SlashCommand, working string, work func(ctx context.Context) (string, error)) (*slack.Msg, error) {
	person := cmd.UserID
	ok, full := f.pool.claim(person)
	switch {
	case full:
		return &slack.Msg{Text: "I am busy with many privacy requests right now; please try again in a few minutes."}, nil
	case !ok:
		return &slack.Msg{Text: "I am still working on your previous privacy request; its answer comes here shortly."}, nil
	}
	to := feature.Notice{User: cmd.UserID, ResponseURL: cmd.ResponseURL}
	f.Run.Track(func() {
		f.pool.sem <- struct{}{}
		ctx, cancel := context.WithTimeout(context.Background(), feature.Privacy)
		defer cancel()
		text, err := work(ctx)
		<-f.pool.sem
		// Released before the answer goes out: once the person reads it,
		// their next request is taken on.
		f.pool.release(person)
		if err != nil {
			var said bool
			if text, said = feature.Text(err); !said {
				f.Log.Error("command failed", "user_id", to.User, "command", "/closeknit", "err", err)
			}
		}
		f.Notify.Tell(to, text)
	})
	return &slack.Msg{Text: working}, nil
}

// scope is what a privacy command acts on.
type scope struct {
	user string
	// communities: the one the command ran in (or the staff member's),
	// else nil: every community where the user has records (see withRecords).
	communities []*engagement.Community
}

// scopeOf is whom and where a privacy command is about: the caller,
// in the community whose channel it ran in, or, from a DM or any other
// channel, every community where they have records; or (for staff only)
// the member they mention, in the staff member's community.
func (f *Feature) scopeOf(cmd *slack.SlashCommand, args []string, usage string) (scope, error) {
	if len(args) == 0 {
		if c := f.ByChannel[cmd.ChannelID]; c != nil {
			return scope{user: cmd.UserID, communities: []*engagement.Community{c}}, nil
		}
		return scope{user: cmd.UserID}, nil
	}
	c, err := f.Staff.Community(cmd)
	if err != nil {
		return scope{}, err
	}
	users, err := feature.Users(args, usage)
	if err != nil {
		return scope{}, err
	}
	if len(users) != 1 {
		return scope{}, feature.Say("Usage: " + usage)
	}
	return scope{user: users[0], communities: []*engagement.Community{c}}, nil
}

// personal is one community's records of a person.
type personal struct {
	c    *engagement.Community
	recs []engagement.PersonalRecord
}

// withRecords reads the person's records in the scope's communities (all
// configured ones when the scope names none) and keeps those with any,
// unless the scope names its community.
func (f *Feature) withRecords(ctx context.Context, sc scope) ([]personal, error) {
	cs, named := sc.communities, sc.communities != nil
	if !named {
		cs = f.Communities
	}
	var out []personal
	for _, c := range cs {
		recs, err := f.Store.Personal(ctx, c, sc.user)
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

// Privacy is /closeknit privacy: what is stored about a person.
func (f *Feature) Privacy(_ context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	sc, err := f.scopeOf(cmd, args, "/closeknit privacy [@member]")
	if err != nil {
		return nil, err
	}
	return f.later(cmd, "Looking up what is stored…", func(ctx context.Context) (string, error) {
		ps, err := f.withRecords(ctx, sc)
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
			out, err := f.Store.OptedOut(ctx, p.c)
			if err != nil {
				return "", err
			}
			if i > 0 {
				b.WriteString("\n\n")
			}
			if len(ps) > 1 || sc.communities == nil {
				fmt.Fprintf(&b, "*In <#%s>*\n", p.c.Channel)
			}
			b.WriteString(storedText(p.recs, out[sc.user], sc.user == cmd.UserID))
		}
		return b.String(), nil
	})
}

// OptOut is /closeknit optout (out) or optin: stop, or restart, per-person
// statistics about a person.
func (f *Feature) OptOut(out bool) feature.Command {
	return func(ctx context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
		sc, err := f.scopeOf(cmd, args, "/closeknit optout|optin [@member]")
		if err != nil {
			return nil, err
		}
		set := func(ctx context.Context, ps []personal) (string, error) {
			for _, p := range ps {
				if err := f.Store.SetOptOut(ctx, p.c, sc.user, out); err != nil {
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
		return f.later(cmd, "Working…", func(ctx context.Context) (string, error) {
			ps, err := f.withRecords(ctx, sc)
			if err != nil {
				return "", err
			}
			if len(ps) == 0 {
				if !out {
					return fmt.Sprintf("closeknit stores nothing about <@%s>: nothing to turn back on.", sc.user), nil
				}
				// Nothing recorded yet: opt out everywhere, so that nothing
				// per-person is recorded later either.
				for _, c := range f.Communities {
					ps = append(ps, personal{c: c})
				}
			}
			return set(ctx, ps)
		})
	}
}

// Forget is /closeknit forget: delete everything stored about a person.
func (f *Feature) Forget(_ context.Context, cmd *slack.SlashCommand, args []string) (*slack.Msg, error) {
	sc, err := f.scopeOf(cmd, args, "/closeknit forget [@member]")
	if err != nil {
		return nil, err
	}
	return f.later(cmd, "Deleting…", func(ctx context.Context) (string, error) {
		ps, err := f.withRecords(ctx, sc)
		if err != nil {
			return "", err
		}
		if len(ps) == 0 {
			return fmt.Sprintf("closeknit stores nothing about <@%s> in any community: nothing to delete.", sc.user), nil
		}
		n := 0
		for _, p := range ps {
			done := func() {}
			if f.Forgetting != nil {
				if done, err = f.Forgetting(ctx, p.c, sc.user); err != nil {
					return "", err
				}
			}
			m, err := f.Store.Forget(ctx, p.c, sc.user)
			if err != nil {
				return "", err
			}
			done()
			n += m
		}
		return fmt.Sprintf("Done: I deleted all %d records about <@%s> in %s: activity counters, seat and waitlist place, introduction, reactions, opt-out. "+
			"If they are still in a community channel, the next roster check gives them a seat again, and new activity counts unless they opt out.",
			n, sc.user, channels(ps)), nil
	})
}
