package engagement

import (
	"strconv"
	"time"
)

// This file is the catalogue of closeknit's data model: every Redis key is
// built here, and nowhere else. Every key is "<namespace>:{<community>}:<rest>".
// The braces are a Redis Cluster hash tag: all keys of one community live in
// one slot, so each multi-key script touches a single slot. TestKeyCatalogue
// pins the exact strings: they are the stored data's names, and renaming one
// orphans what is already stored under it.
//
// Per-member records are keyed so that Forget (privacy.go) finds them by
// scanning: the user ID is in the key name, a hash field or value, or a set
// member. Records that must outlive an opt-out name the member by pseudonym
// (privacy.go) instead. No message text is ever stored.
//
// Expiry: "retention" is Options.Retention (default 53 weeks), "dedupe TTL"
// is Options.DedupeTTL (default 6 h). "Kept" means no expiry: the record
// lives as long as the community (or until Forget deletes a member's part).
type keys struct {
	prefix string // "ns:{c}:"
}

func newKeys(namespace, community string) keys {
	return keys{prefix: namespace + ":{" + community + "}:"}
}

// Events. A dedupe marker makes an event count once however often Slack
// delivers it (scripts.go). The counting script's markers are fields of a
// hash per hour of the event's own time (a redelivery carries the same
// time, so it finds the same hash): one field is a fraction of a key with
// an expiry, which is what the hot path paid per event.
//
//	ev:h:<unix hour>          hash    event_id -> "1": the event was counted; expires the dedupe TTL after its last marker was written;
//	                                  and field "encoding", which keeps it a hash table (scripts.go)
//	ev:<event_id>             string  "1": the event was answered (ClaimEvent: a direct message, never counted); expires after 1 h
//	ev:<event_id>:<feature>   string  "1": the named feature recorded the event (feature.go); expires after the dedupe TTL
func (k keys) dedupeHour(t time.Time) string {
	return k.prefix + "ev:h:" + strconv.FormatInt(t.Unix()/3600, 10)
}
func (k keys) dedupe(eventID string) string { return k.prefix + "ev:" + eventID }
func (k keys) featureDedupe(eventID, feature string) string {
	return k.prefix + "ev:" + eventID + ":" + feature
}

// Weekly counters, per ISO week of the community's time zone. All expire at
// the week's end plus retention, set when the key is created.
//
//	w:<YYYY-Www>              hash    the week's counters: totals and "h:<weekday>:<hour>" cells (counters.go); "m:<user>:<counter>"
//	                                  per member as stored by releases before w:<YYYY-Www>:members (read with it)
//	w:<YYYY-Www>:members      hash    "<user>:<counter>" -> the member's counters that week (counters.go), and field "encoding"
//	                                  whose long value keeps the hash out of Redis's listpack encoding (scripts.go)
//	w:<YYYY-Www>:posters      set     users who posted that week (pseudonyms for opted-out members)
//	w:<YYYY-Www>:active       set     users who posted or reacted that week (likewise)
//	w:<YYYY-Www>:posts        hash    top-level post ts -> author ("-" if opted out): response times (response.go);
//	                                  it, the answers and the dedupe hashes have field "encoding" too, as the members hash
//	w:<YYYY-Www>:answers      hash    post ts -> unix µs of its first reply or reaction by someone else;
//	                                  "s:<post ts>" -> unix µs of its first thread reply by staff;
//	                                  "r:<post ts>" -> unix µs of its first thread reply by someone else, and
//	                                  "h:<post ts>" -> who wrote that reply ("-" if opted out): the helpers (thanks.go)
//	rx:<pseudonym>:<item_ts>:<emoji>  string  "<YYYY-Www>" the week a reaction was counted in, "|p" appended if per person too,
//	                                          or "x:<µs>" after its removal (a tombstone); expires after retention plus a week
func (k keys) week(w Week) string              { return k.weekNamed(w.String()) }
func (k keys) weekNamed(week string) string    { return k.prefix + "w:" + week }
func (k keys) members(w Week) string           { return k.membersNamed(w.String()) }
func (k keys) membersNamed(week string) string { return k.weekNamed(week) + ":members" }
func (k keys) posters(w Week) string           { return k.week(w) + ":posters" }
func (k keys) active(w Week) string            { return k.week(w) + ":active" }
func (k keys) posts(w Week) string             { return k.week(w) + ":posts" }
func (k keys) answers(w Week) string           { return k.week(w) + ":answers" }
func (k keys) reaction(pseudonym, itemTS, emoji string) string {
	return k.prefix + "rx:" + pseudonym + ":" + itemTS + ":" + emoji
}

// noWeek is a key a script declares when it has no week to touch (a
// reaction removal with nothing to take back): never written.
func (k keys) noWeek() string { return k.weekNamed("none") }

// Privacy (privacy.go).
//
//	salt                      string  the community's random pseudonym salt; kept
//	optout                    set     users who opted out of per-person statistics; kept
//	people                    hash    user -> "bot" or "human", from users.info (bots never count); kept
func (k keys) salt() string   { return k.prefix + "salt" }
func (k keys) optout() string { return k.prefix + "optout" }
func (k keys) people() string { return k.prefix + "people" }

// Membership: seats, the waitlist and the work they call for (members.go,
// outbox.go). All kept, except the outbox's job records.
//
//	seats                     zset    seated customers -> seated since (unix ms)
//	waitlist                  zset    waiting customers -> join time (ms) * 1000 + arrival order within that ms
//	waitlist:since            hash    user -> waiting since (unix ms)
//	cap                       string  the cap set with /closeknit cap (else Community.Cap)
//	member:<user>             hash    seated_at, intro_at, existing, welcome_ts, nudged_at (ms)
//	welcomes                  hash    welcome message ts -> user (replies there are intros)
//	intro:pending             zset    seated members without an intro yet -> seated at (ms)
//	memberts                  hash    user -> event_ts (µs) of their latest applied join or leave
//	kicks                     hash    user -> event_ts (µs) of the join a cap kick answers (its echo is pending)
//	welcomed                  set     users ever welcomed (a rejoin is not welcomed again)
//	invites                   hash    user -> outbox ID of the promote job that reserved their seat
//	kicked                    hash    user -> "<µs>:<job ID>": when the app last set out to kick them, for which job
//	invited                   hash    user -> µs the app set out to invite them into their reserved seat
//	roster:seeded             string  set once the first roster check seated who was there
//	outbox                    stream  jobs (type, user, ...) for the Slack work after a membership change; an entry is deleted once done
//	outbox:job:<id>           hash    step -> "1" for each step of job id already done; deleted with the job, expires after 30 days at most
func (k keys) seats() string              { return k.prefix + "seats" }
func (k keys) waitlist() string           { return k.prefix + "waitlist" }
func (k keys) waitSince() string          { return k.prefix + "waitlist:since" }
func (k keys) capKey() string             { return k.prefix + "cap" }
func (k keys) member(user string) string  { return k.prefix + "member:" + user }
func (k keys) welcomes() string           { return k.prefix + "welcomes" }
func (k keys) introPending() string       { return k.prefix + "intro:pending" }
func (k keys) memberTS() string           { return k.prefix + "memberts" }
func (k keys) kicks() string              { return k.prefix + "kicks" }
func (k keys) welcomed() string           { return k.prefix + "welcomed" }
func (k keys) invites() string            { return k.prefix + "invites" }
func (k keys) kicked() string             { return k.prefix + "kicked" }
func (k keys) invited() string            { return k.prefix + "invited" }
func (k keys) rosterSeeded() string       { return k.prefix + "roster:seeded" }
func (k keys) outbox() string             { return k.prefix + "outbox" }
func (k keys) outboxJob(id string) string { return k.prefix + "outbox:job:" + id }

// Prototypes. Everything about a prototype is keyed by its card's ts, which
// is what reactions (item.ts) and thread replies (thread_ts) carry; the
// short ID is only for people. Per-member state is keyed by pseudonym; the
// member's ID is only ever a hash field or value or a set member. The
// indexes are kept; a prototype's own keys are kept while it is open and
// until its closing is announced, then expire at closing plus retention.
//
//	p:seq                     string  last prototype number (IDs are P1, P2, ...)
//	p:ids                     hash    ID -> card ts
//	p:cards                   zset    card ts, scored by the ts: every prototype (the ingest index)
//	p:due                     zset    card ts of open prototypes, scored by closing time (unix s)
//	p:announce                zset    card ts of closed prototypes whose closing is not yet announced
//	p:view:<submission_id>    string  a submission that posts a card: "posting" for a minute, then the card ts for a day
//	p:<ts>                    hash    the prototype: its fields and counters (see prototypeFields)
//	p:<ts>:rx:<emoji>         set     pseudonyms of the members reacting with emoji now
//	p:<ts>:st                 hash    "<pseudonym>|<emoji>" -> "+<event µs>" or "-<event µs>": the last add or removal applied;
//	                                  "<pseudonym>|reply" -> "1" once the member replied
//	p:<ts>:part               hash    pseudonym -> how many reactions, first replies and votes they have on it (participants)
//	p:<ts>:cm                 hash    member -> thread replies (commenters; not for opted-out members)
//	p:<ts>:votes              hash    pseudonym -> option number (polls)
//	p:<ts>:who                hash    pseudonym -> member, for the export; never for an opted-out member
//	p:<ts>:ann                string  the holder of the claim to announce its closing; expires with the claim
func (k keys) protoSeq() string                    { return k.prefix + "p:seq" }
func (k keys) protoIDs() string                    { return k.prefix + "p:ids" }
func (k keys) protoCards() string                  { return k.prefix + "p:cards" }
func (k keys) protoDue() string                    { return k.prefix + "p:due" }
func (k keys) protoAnnounce() string               { return k.prefix + "p:announce" }
func (k keys) protoSubmission(id string) string    { return k.prefix + "p:view:" + id }
func (k keys) proto(ts string) string              { return k.prefix + "p:" + ts }
func (k keys) protoRx(ts, emoji string) string     { return k.proto(ts) + ":rx:" + emoji }
func (k keys) protoState(ts string) string         { return k.proto(ts) + ":st" }
func (k keys) protoPart(ts string) string          { return k.proto(ts) + ":part" }
func (k keys) protoCommenters(ts string) string    { return k.proto(ts) + ":cm" }
func (k keys) protoVotes(ts string) string         { return k.proto(ts) + ":votes" }
func (k keys) protoWho(ts string) string           { return k.proto(ts) + ":who" }
func (k keys) protoAnnounceClaim(ts string) string { return k.proto(ts) + ":ann" }

// Early-access drops (drop.go). A drop is keyed by its ID (D1, D2, …):
// nothing Slack sends refers to its card except the Claim button, which
// carries the ID. Winners and the waiting line are zsets of user IDs, so
// that Forget finds them. All kept, except the claims that expire.
//
//	d:seq                     string  last drop number
//	d:all                     zset    drop ID -> opened (unix ms): every drop
//	d:due                     zset    open drop ID -> closes (unix ms)
//	d:announce                zset    closed drop ID -> closed (unix ms), until its closing is announced
//	d:confirming              set     drops with winners still to confirm (the job looks at these only)
//	d:req:<token>             string  drop ID created for a request (a submission ID), so a resubmission creates none; expires after a day
//	d:<id>                    hash    the drop (see dropFields)
//	d:<id>:claims             zset    winner -> claimed at (unix ms)
//	d:<id>:wait               zset    waiting member -> press number (FIFO)
//	d:<id>:released           set     members whose claim staff released (they cannot claim again)
//	d:<id>:notify             zset    winner still to be DMed -> when they may next be tried (unix ms)
//	d:<id>:pending            zset    winner DMed, to confirm -> deadline (unix ms); only for drops asking winners to confirm
//	d:<id>:confirmed          set     winners who confirmed
//	d:<id>:card               string  when the card's next update turn begins (Redis's clock, unix ms; Slack's rate limit); expires after two seconds
//	d:<id>:ann                string  the holder of the claim to announce its closing; expires with the claim
func (k keys) dropSeq() string                    { return k.prefix + "d:seq" }
func (k keys) dropAll() string                    { return k.prefix + "d:all" }
func (k keys) dropDue() string                    { return k.prefix + "d:due" }
func (k keys) dropAnnounce() string               { return k.prefix + "d:announce" }
func (k keys) dropConfirming() string             { return k.prefix + "d:confirming" }
func (k keys) dropRequest(token string) string    { return k.prefix + "d:req:" + token }
func (k keys) drop(id string) string              { return k.prefix + "d:" + id }
func (k keys) dropClaims(id string) string        { return k.drop(id) + ":claims" }
func (k keys) dropWait(id string) string          { return k.drop(id) + ":wait" }
func (k keys) dropReleased(id string) string      { return k.drop(id) + ":released" }
func (k keys) dropNotify(id string) string        { return k.drop(id) + ":notify" }
func (k keys) dropPending(id string) string       { return k.drop(id) + ":pending" }
func (k keys) dropConfirmed(id string) string     { return k.drop(id) + ":confirmed" }
func (k keys) dropCard(id string) string          { return k.drop(id) + ":card" }
func (k keys) dropAnnounceClaim(id string) string { return k.drop(id) + ":ann" }

// Weekly prompts (prompt.go). The queue holds staff's texts, which are
// not about members; a slot is the week its time falls in.
//
//	prompt:queue              list    queued prompt texts, next first; kept
//	prompt:slot:<YYYY-Www>    hash    state (sending|sent|empty|refused), text, claimed_at (unix s), ts; expires at the week's end plus retention
//	prompt:warned:<YYYY-Www>  string  "1" once staff were told the queue is empty before that slot; expires after 8 days
//	prompt:posted             zset    posted prompt ts, scored by the ts: read with p:cards into the ingest's card index; kept
//	prompt:<ts>               hash    week, replies, reactions, first_reply (unix µs): the prompt's tallies; expires with its week
//	prompt:<ts>:who           set     pseudonyms of the members who replied or reacted; expires with the tallies
func (k keys) promptQueue() string        { return k.prefix + "prompt:queue" }
func (k keys) promptSlot(w Week) string   { return k.prefix + "prompt:slot:" + w.String() }
func (k keys) promptWarned(w Week) string { return k.prefix + "prompt:warned:" + w.String() }
func (k keys) promptsPosted() string      { return k.prefix + "prompt:posted" }
func (k keys) prompt(ts string) string    { return k.prefix + "prompt:" + ts }
func (k keys) promptWho(ts string) string { return k.prompt(ts) + ":who" }

// The idea board (idea.go). An idea's text lives in a key named after its
// author, so that Forget deletes the text with the key; votes are sets of
// user IDs, so that Forget takes the member's votes too. All kept.
//
//	i:seq                     string  last idea number (IDs are I1, I2, …)
//	i:all                     zset    idea ID -> created (unix ms)
//	i:req:<token>             string  idea ID created for a request (a submission ID); expires after a day
//	i:<id>                    hash    the idea (see ideaFields); "author" is the author's ID
//	i:<id>:text:<author>      hash    title, details: the member's own words
//	i:<id>:votes              set     seated members voting for it
//	i:<id>:staff              set     staff voting for it (shown apart)
//	i:<id>:card               string  when the card's next update turn begins, as d:<id>:card; expires after two seconds
//	i:parent                  hash    channel, ts: the pinned "Ideas" post whose thread holds the cards (ideas: thread); kept,
//	                                  deleted when Slack says the post is gone, so that the next idea makes a new one
//	i:parent:claim            string  the token of the caller posting the parent, so that one is posted across replicas
//	                                  and redeliveries; expires after IdeaParentClaimTTL (a caller that died frees it)
func (k keys) ideaSeq() string                   { return k.prefix + "i:seq" }
func (k keys) ideaAll() string                   { return k.prefix + "i:all" }
func (k keys) ideaRequest(token string) string   { return k.prefix + "i:req:" + token }
func (k keys) idea(id string) string             { return k.prefix + "i:" + id }
func (k keys) ideaText(id, author string) string { return k.idea(id) + ":text:" + author }
func (k keys) ideaVotes(id string) string        { return k.idea(id) + ":votes" }
func (k keys) ideaStaffVotes(id string) string   { return k.idea(id) + ":staff" }
func (k keys) ideaCard(id string) string         { return k.idea(id) + ":card" }
func (k keys) ideaParent() string                { return k.prefix + "i:parent" }
func (k keys) ideaParentClaim() string           { return k.ideaParent() + ":claim" }

// Thanks and the monthly spotlight (thanks.go). Who gave thanks is never
// stored by ID: the once-a-day marker names both people by pseudonym and
// is gone in two days; the weekly tally holds the receivers' IDs (so that
// Forget takes them), "-" for those who opted out.
//
//	thanks:<YYYY-Www>         zset    receiver -> thanks counted that week; expires at the week's end plus retention
//	thanks:day:<YYYY-MM-DD>:<giver pseudonym>:<receiver pseudonym>
//	                          string  one thanks per giver, receiver and day (the community's zone); expires after 2 days
//	spotlight:<YYYY-MM>       hash    state (sending|sent), user, by, claimed_at, until (unix ms), ts: the month's spotlight; expires after retention
func (k keys) thanks(w Week) string { return k.prefix + "thanks:" + w.String() }
func (k keys) thanksDay(day, giver, receiver string) string {
	return k.prefix + "thanks:day:" + day + ":" + giver + ":" + receiver
}
func (k keys) spotlight(month string) string { return k.prefix + "spotlight:" + month }

// Seat requests and nominations (requests.go). A request's free text
// (the person's line about themselves, or the nominator's why) lives in a
// key named after the person who would take the seat, so that their Forget
// deletes it; the indexes name people as hash fields or in hash values, so
// Forget takes those too. All kept.
//
//	rq:seq                    string  last request number (IDs are R1, R2, …)
//	rq:all                    zset    request ID -> created (unix ms)
//	rq:open                   hash    user -> ID of their open request (one at a time)
//	rq:declined               hash    user -> when their last request was declined (unix ms): a new one waits RequestRepeatAfter
//	rq:cards                  zset    open request ID whose card is not in the brand channel yet -> next attempt (unix ms)
//	rq:notify                 zset    decided request ID whose card update or DMs are still to do -> next attempt (unix ms)
//	rq:<id>                   hash    the request (see the rf* fields)
//	rq:<id>:text:<user>       hash    about: the free text
func (k keys) requestSeq() string                 { return k.prefix + "rq:seq" }
func (k keys) requestAll() string                 { return k.prefix + "rq:all" }
func (k keys) requestOpen() string                { return k.prefix + "rq:open" }
func (k keys) requestDeclined() string            { return k.prefix + "rq:declined" }
func (k keys) requestCards() string               { return k.prefix + "rq:cards" }
func (k keys) requestNotify() string              { return k.prefix + "rq:notify" }
func (k keys) request(id string) string           { return k.prefix + "rq:" + id }
func (k keys) requestText(id, user string) string { return k.request(id) + ":text:" + user }

// The weekly digest and the staff's App Home (digest.go, staff.go,
// outbox.go).
//
//	digest:<YYYY-Www>         hash    state (sending|sent|refused), claimed_at (unix s), ts (the posted message),
//	                                  chart (tried|ok|failed), error (Slack's code, when refused); expires at the week's end plus retention
//	staffgroup                hash    users (comma-separated), read_at, failed_at (unix ms): the shared copy of the staff group; kept
//	warnings                  hash    setup problem key -> text shown to staff until cleared; kept
func (k keys) digest(w Week) string { return k.prefix + "digest:" + w.String() }
func (k keys) staffGroup() string   { return k.prefix + "staffgroup" }
func (k keys) warnings() string     { return k.prefix + "warnings" }

// Scheduling (lease.go).
//
//	lease:<name>              string  the replica holding the lease (job:<job>, ran:<job>, staffgroup); expires with the lease
func (k keys) lease(name string) string { return k.prefix + "lease:" + name }

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
	hashArg, membersArg, postersArg, activeArg, introPendingArg any
	expireAtArg, weekArg                                        any // script arguments, boxed once: unix seconds of the week's end plus retention; "YYYY-Www"
}

func newWeekKeys(k keys, w Week, loc *time.Location, retention time.Duration) *weekKeys {
	wk := &weekKeys{
		keys:            k,
		week:            w,
		hash:            k.week(w),
		active:          k.active(w),
		optout:          k.optout(),
		posts:           k.posts(w),
		answers:         k.answers(w),
		optoutArg:       any(k.optout()),
		peopleArg:       any(k.people()),
		hashArg:         any(k.week(w)),
		membersArg:      any(k.members(w)),
		postersArg:      any(k.posters(w)),
		activeArg:       any(k.active(w)),
		introPendingArg: any(k.introPending()),
		expireAtArg:     any(strconv.FormatInt(w.End(loc).Add(retention).Unix(), 10)),
		weekArg:         any(w.String()),
	}
	wk.postsArg, wk.answersArg = wk.posts, wk.answers
	return wk
}
