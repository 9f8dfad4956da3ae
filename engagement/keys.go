package engagement

import (
	"strconv"
	"time"
)

// Every key is "<namespace>:{<community>}:<rest>". The braces are a Redis
// Cluster hash tag: all keys of one community live in one slot, so each
// multi-key script touches a single slot.
//
//	ns:{c}:ev:<event_id>           string  dedupe marker, expires after the dedupe TTL
//	ns:{c}:w:<YYYY-Www>            hash    the week's counters (see counters.go)
//	ns:{c}:w:<YYYY-Www>:posters    set     users who posted that week (pseudonyms for opted-out members)
//	ns:{c}:w:<YYYY-Www>:active     set     users who posted or reacted that week (likewise)
//	ns:{c}:rx:<pseudonym>:<item_ts>:<emoji>  string  week a reaction was counted in, "|p" if per person too (for removals)
//	ns:{c}:salt                    string  the community's pseudonym salt (privacy.go)
//	ns:{c}:w:<YYYY-Www>:posts      hash    top-level post ts -> author ("-" if opted out); see response.go
//	ns:{c}:w:<YYYY-Www>:answers    hash    post ts -> unix µs of its first reply or reaction by someone else
type keys struct {
	prefix string // "ns:{c}:"
}

func newKeys(namespace, community string) keys {
	return keys{prefix: namespace + ":{" + community + "}:"}
}

func (k keys) dedupe(eventID string) string { return k.prefix + "ev:" + eventID }
func (k keys) week(w Week) string           { return k.prefix + "w:" + w.String() }
func (k keys) posters(w Week) string        { return k.week(w) + ":posters" }
func (k keys) active(w Week) string         { return k.week(w) + ":active" }
func (k keys) reaction(pseudonym, itemTS, emoji string) string {
	return k.prefix + "rx:" + pseudonym + ":" + itemTS + ":" + emoji
}

// weekKeys are the keys and expiry of one community-week, computed once and
// reused while events keep falling in the same week (the common case).
type weekKeys struct {
	keys                 keys
	week                 Week
	hash, active         string
	optout               string // declared by the reaction scripts
	posts, answers       string // response times: top-level posts and their first answers
	postsArg, answersArg any    // the same, boxed once: the hot path
	optoutArg            any
	peopleArg            any // the people hash: bots never count (privacy.go)
	// The message script's keys, boxed once (see queueMessage).
	hashArg, postersArg, activeArg, introPendingArg any
	expireAtArg, weekArg                            any // script arguments, boxed once: unix seconds of the week's end plus retention; "YYYY-Www"
}

func newWeekKeys(k keys, w Week, loc *time.Location, retention time.Duration) *weekKeys {
	wk := &weekKeys{
		keys:            k,
		week:            w,
		hash:            k.week(w),
		active:          k.active(w),
		optout:          k.optout(),
		posts:           k.week(w) + ":posts",
		answers:         k.week(w) + ":answers",
		optoutArg:       any(k.optout()),
		peopleArg:       any(k.people()),
		hashArg:         any(k.week(w)),
		postersArg:      any(k.posters(w)),
		activeArg:       any(k.active(w)),
		introPendingArg: any(k.introPending()),
		expireAtArg:     any(strconv.FormatInt(w.End(loc).Add(retention).Unix(), 10)),
		weekArg:         any(w.String()),
	}
	wk.postsArg, wk.answersArg = wk.posts, wk.answers
	return wk
}
