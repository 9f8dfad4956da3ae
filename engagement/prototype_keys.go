package engagement

// Prototype keys, all inside the community's hash tag. Everything about a
// prototype is keyed by its card's ts, which is what reactions (item.ts)
// and thread replies (thread_ts) carry; the short ID is only for people.
// Per-member state is keyed by pseudonym (privacy.go); the member's ID is
// only ever a hash field or value or a set member, so that `forget USER`
// finds it.
//
//	ns:{c}:p:seq                 string  last prototype number (IDs are P1, P2, ...)
//	ns:{c}:p:ids                 hash    ID -> card ts
//	ns:{c}:p:cards               zset    card ts, scored by the ts: every prototype (the ingest index)
//	ns:{c}:p:due                 zset    card ts of open prototypes, scored by closing time (unix s)
//	ns:{c}:p:announce            zset    card ts of closed prototypes whose closing is not yet announced
//	ns:{c}:p:view:<view_id>      string  a modal submission that posted (or is posting) a card
//	ns:{c}:p:<ts>                hash    the prototype: its fields and counters (see prototypeFields)
//	ns:{c}:p:<ts>:rx:<emoji>     set     pseudonyms of the members reacting with emoji now
//	ns:{c}:p:<ts>:st             hash    "<pseudonym>|<emoji>" -> "+<event µs>" or "-<event µs>": the last add or removal applied;
//	                                     "<pseudonym>|reply" -> "1" once the member replied
//	ns:{c}:p:<ts>:part           hash    pseudonym -> how many reactions, first replies and votes they have on it (participants)
//	ns:{c}:p:<ts>:cm             hash    member -> thread replies (commenters; not for opted-out members)
//	ns:{c}:p:<ts>:votes          hash    pseudonym -> option number (polls)
//	ns:{c}:p:<ts>:who            hash    pseudonym -> member, for the export; never for an opted-out member
//	ns:{c}:p:<ts>:ann            string  announcement claim, expires
//	ns:{c}:optout                set     members who opted out of per-person records (owned by the roster)

func (k keys) protoSeq() string                 { return k.prefix + "p:seq" }
func (k keys) protoIDs() string                 { return k.prefix + "p:ids" }
func (k keys) protoCards() string               { return k.prefix + "p:cards" }
func (k keys) protoDue() string                 { return k.prefix + "p:due" }
func (k keys) protoAnnounce() string            { return k.prefix + "p:announce" }
func (k keys) protoView(viewID string) string   { return k.prefix + "p:view:" + viewID }
func (k keys) proto(ts string) string           { return k.prefix + "p:" + ts }
func (k keys) protoRx(ts, emoji string) string  { return k.proto(ts) + ":rx:" + emoji }
func (k keys) protoState(ts string) string      { return k.proto(ts) + ":st" }
func (k keys) protoPart(ts string) string       { return k.proto(ts) + ":part" }
func (k keys) protoCommenters(ts string) string { return k.proto(ts) + ":cm" }
func (k keys) protoVotes(ts string) string      { return k.proto(ts) + ":votes" }
func (k keys) protoWho(ts string) string        { return k.proto(ts) + ":who" }
func (k keys) protoAnnounceClaim(ts string) string {
	return k.proto(ts) + ":ann"
}
