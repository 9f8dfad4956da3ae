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

// Drop keys (drop.go). A drop is keyed by its ID (D1, D2, …): nothing
// Slack sends refers to its card except the Claim button, which carries
// the ID. Winners and the waiting line are zsets of user IDs, so that
// `forget USER` finds them.
//
//	ns:{c}:d:seq                 string  last drop number
//	ns:{c}:d:all                 zset    drop ID -> opened (unix ms): every drop
//	ns:{c}:d:due                 zset    open drop ID -> closes (unix ms)
//	ns:{c}:d:announce            zset    closed drop ID -> closed (unix ms), until its closing is announced
//	ns:{c}:d:req:<token>         string  drop ID created for a request (a modal's view ID), so a resubmission creates none
//	ns:{c}:d:<id>                hash    the drop (see dropFields)
//	ns:{c}:d:<id>:claims         zset    winner -> claimed at (unix ms)
//	ns:{c}:d:<id>:wait           zset    waiting member -> press number (FIFO)
//	ns:{c}:d:<id>:released       set     members whose claim staff released (they cannot claim again)
//	ns:{c}:d:<id>:notify         zset    winner still to be DMed -> when they may next be tried (unix ms)
//	ns:{c}:d:<id>:card           string  held for a second after the card was updated (Slack's rate limit)
//	ns:{c}:d:<id>:ann            string  announcement claim, expires
func (k keys) dropSeq() string                    { return k.prefix + "d:seq" }
func (k keys) dropAll() string                    { return k.prefix + "d:all" }
func (k keys) dropDue() string                    { return k.prefix + "d:due" }
func (k keys) dropAnnounce() string               { return k.prefix + "d:announce" }
func (k keys) dropRequest(token string) string    { return k.prefix + "d:req:" + token }
func (k keys) drop(id string) string              { return k.prefix + "d:" + id }
func (k keys) dropClaims(id string) string        { return k.drop(id) + ":claims" }
func (k keys) dropWait(id string) string          { return k.drop(id) + ":wait" }
func (k keys) dropReleased(id string) string      { return k.drop(id) + ":released" }
func (k keys) dropNotify(id string) string        { return k.drop(id) + ":notify" }
func (k keys) dropCard(id string) string          { return k.drop(id) + ":card" }
func (k keys) dropAnnounceClaim(id string) string { return k.drop(id) + ":ann" }

// Idea keys (idea.go). An idea's text lives in a key named after its
// author, so that `forget AUTHOR` deletes the text with the key; votes are
// sets of user IDs, so that it takes their votes too.
//
//	ns:{c}:i:seq                   string  last idea number (IDs are I1, I2, …)
//	ns:{c}:i:all                   zset    idea ID -> created (unix ms)
//	ns:{c}:i:req:<token>           string  idea ID created for a request (a modal's view ID)
//	ns:{c}:i:<id>                  hash    the idea (see ideaFields); "author" is the author's ID
//	ns:{c}:i:<id>:text:<author>    hash    title, details: the member's own words
//	ns:{c}:i:<id>:votes            set     seated members voting for it
//	ns:{c}:i:<id>:staff            set     staff voting for it (shown apart)
func (k keys) ideaSeq() string                   { return k.prefix + "i:seq" }
func (k keys) ideaAll() string                   { return k.prefix + "i:all" }
func (k keys) ideaRequest(token string) string   { return k.prefix + "i:req:" + token }
func (k keys) idea(id string) string             { return k.prefix + "i:" + id }
func (k keys) ideaText(id, author string) string { return k.idea(id) + ":text:" + author }
func (k keys) ideaVotes(id string) string        { return k.idea(id) + ":votes" }
func (k keys) ideaStaffVotes(id string) string   { return k.idea(id) + ":staff" }
