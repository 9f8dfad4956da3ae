package engagement

import (
	"regexp"

	"github.com/redis/go-redis/v9"
)

// Each body does the event_id dedupe and every counter update of one event
// atomically: either all of it happens once, or none of it does. Every
// weekly key expires at a fixed time, a retention after its week ends.
//
// Return codes shared by the scripts:
//
//	1  counted
//	0  duplicate event_id: nothing changed
//	2  new event, but no counter changes (see each script)
//	-1 the reaction marker moved since it was read: read it again and retry
const luaHelpers = `
-- countingScript (below) runs the events of a batch in one call, in three
-- steps: it reads at once what the events will read (dedupe markers,
-- opt-outs, intros, posts, answers, bots), runs each event's body against
-- those values, and writes at the end of the call what the bodies changed,
-- once per key (flush). Nothing else runs during a script, so this has the
-- same effects as reading and writing event by event, in a fraction of the
-- commands: on this path Redis's cost is per command and per argument far
-- more than per field. Each body still decides and dedupes on its own, in
-- order, and sees what the events before it in the call wrote.
local incrs, adds, expiries = {}, {}, {}
-- hadd adds n to field f of hash k.
local function hadd(k, f, n)
  local h = incrs[k]
  if not h then h = {} incrs[k] = h end
  h[f] = (h[f] or 0) + n
end
-- hincr counts one event into a weekly hash: field f and the hash's
-- "events" total, and sets the hash to expire at expire_at.
local function hincr(k, f, n, expire_at)
  hadd(k, f, n)
  hadd(k, 'events', 1)
  expiries[k] = expire_at
end
local function sadd(k, m, expire_at)
  local set = adds[k]
  if not set then set = {} adds[k] = set end
  set[m] = true
  expiries[k] = expire_at
end
-- exists tells whether hash k exists, counting increments not yet written.
local function exists(k)
  return incrs[k] ~= nil or redis.call('EXISTS', k) == 1
end
-- Hash fields read and written through the call (dedupe markers, posts,
-- answers, people): vals[k][f] is the field's value, false if absent, nil
-- if not read yet; dirty[k] the fields to write at the end. wanted lists
-- the fields to read before the bodies run (prefetch), one HMGET per hash.
local vals, dirty, wanted = {}, {}, {}
local function want(k, f)
  local w = wanted[k]
  if not w then w = {} wanted[k] = w end
  w[#w + 1] = f
end
local function hget(k, f)
  local h = vals[k]
  if not h then h = {} vals[k] = h end
  local v = h[f]
  if v == nil then v = redis.call('HGET', k, f) h[f] = v end
  return v
end
local function hset(k, f, v, expire_at)
  local h = vals[k]
  if not h then h = {} vals[k] = h end
  h[f] = v
  local d = dirty[k]
  if not d then d = {} dirty[k] = d end
  d[f] = true
  expiries[k] = expire_at
end
local function chunks(list, size, fn)
  for i = 1, #list, size do fn({unpack(list, i, math.min(i + size - 1, #list))}) end
end
local function prefetch()
  for k, fs in pairs(wanted) do
    local h = vals[k]
    if not h then h = {} vals[k] = h end
    chunks(fs, 1000, function(part)
      local v = redis.call('HMGET', k, unpack(part))
      for i, f in ipairs(part) do h[f] = v[i] end
    end)
  end
end
-- The dedupe markers of the call: fields of an hourly hash (keys.go),
-- written first at the end of the call.
local marked = {}
local function firstTime(bucket, id, expire_at)
  if hget(bucket, id) then return false end
  hset(bucket, id, '1', expire_at)
  marked[bucket] = true
  return true
end
local function hsetAll(k, d)
  local fs = {}
  for f in pairs(d) do fs[#fs + 1] = f end
  local h = vals[k]
  chunks(fs, 500, function(part)
    local set = {}
    for _, f in ipairs(part) do set[#set + 1] = f set[#set + 1] = h[f] end
    redis.call('HSET', k, unpack(set))
  end)
end
local function flush()
  for k in pairs(marked) do hsetAll(k, dirty[k]) dirty[k] = nil end
  for k, d in pairs(dirty) do hsetAll(k, d) end
  -- Each hash's increments are one HMGET and one HSET rather than one
  -- HINCRBY per field: the same values, since nothing else runs meanwhile.
  for k, h in pairs(incrs) do
    local fs = {}
    for f, n in pairs(h) do
      if n ~= 0 then fs[#fs + 1] = f end
    end
    chunks(fs, 500, function(part)
      local cur = redis.call('HMGET', k, unpack(part))
      local set = {}
      for j, f in ipairs(part) do
        set[#set + 1] = f
        set[#set + 1] = string.format('%d', (tonumber(cur[j]) or 0) + h[f])
      end
      redis.call('HSET', k, unpack(set))
    end)
  end
  for k, set in pairs(adds) do
    local ms = {}
    for m in pairs(set) do ms[#ms + 1] = m end
    chunks(ms, 1000, function(part) redis.call('SADD', k, unpack(part)) end)
  end
  -- Every key's expiry is a fixed time (its week's end plus the
  -- retention; for the dedupe hashes, the call's time plus the dedupe
  -- TTL, which only grows), so setting it again is harmless.
  for k, at in pairs(expiries) do redis.call('EXPIREAT', k, at) end
end
-- The opt-out set and intro:pending of the call's members, read at once
-- (SMISMEMBER, ZMSCORE) before the bodies run. The opt-out set does not
-- change during a call; intro:pending only through forgetIntro.
local optouts, intros = {}, {}
local function optedOut(k, user)
  local v = optouts[user]
  if v == nil then v = redis.call('SISMEMBER', k, user) == 1 optouts[user] = v end
  return v
end
local function introSince(k, user)
  local v = intros[user]
  if v == nil then v = redis.call('ZSCORE', k, user) or false intros[user] = v end
  return v
end
local function forgetIntro(k, user)
  redis.call('ZREM', k, user)
  intros[user] = false
end
local function readMembers(k, users, into, cmd)
  if not k then return end
  chunks(users, 1000, function(part)
    local v = redis.call(cmd, k, unpack(part))
    for i, u in ipairs(part) do
      if cmd == 'SMISMEMBER' then into[u] = v[i] == 1 else into[u] = v[i] or false end
    end
  end)
end
-- isbot: bots, apps and workflows are known by the people hash (users.info,
-- cached by slackapp when they join or at the roster check); Slackbot by
-- its fixed ID. Reaction events carry no bot_id, so this is the only test.
local function isbot(people, user)
  return user == 'USLACKBOT' or hget(people, user) == 'bot'
end
-- answer keeps the earliest answer to a top-level post by someone other
-- than its author (response times, kpi.go), and with staff true the
-- earliest answer by staff too, in field "s:<post>" of the same hash (no
-- key more to declare). When the event does not name the author, the
-- stored post does. An answer may arrive before its post, so it is stored
-- even when the post is unknown.
local function answer(posts, answers, post, user, author, micros, expire_at, staff)
  if author == '' then author = hget(posts, post) or '' end
  if author == user then return end
  local at = tonumber(micros)
  local cur = hget(answers, post)
  if not cur or tonumber(cur) > at then hset(answers, post, micros, expire_at) end
  if staff then
    local sp = 's:' .. post
    local staffCur = hget(answers, sp)
    if not staffCur or tonumber(staffCur) > at then hset(answers, sp, micros, expire_at) end
  end
end
`

// messageBody records a human message (top-level or thread reply). A
// member who opted out counts in the totals and the distinct-member sets
// (channel totals need them) but gets no per-person counters. A newly
// seated member's first top-level post, or reply in their welcome thread,
// within IntroWindow is their introduction.
//
//	KEYS[1] dedupe hash (the event's hour)   KEYS[2] week hash   KEYS[3] posters set   KEYS[4] active set
//	KEYS[5] intro:pending   KEYS[6] member:<user>   KEYS[7] optout set
//	KEYS[8] the week's posts hash (response.go: top-level post ts -> author, "-" if opted out)
//	KEYS[9], KEYS[10] the posts and answers hashes of the thread parent's week (response.go)
//	ARGV[1] event_id  ARGV[2] week expiry (unix s)  ARGV[3] user
//	ARGV[4] "1" if a thread reply  ARGV[5] hour-of-week field
//	ARGV[6] the message's time (unix ms)  ARGV[7] thread_ts ("" if top-level)
//	ARGV[8] the message's ts  ARGV[9] the parent's author ("" if unknown)
//	ARGV[10] the message's time (unix µs)  ARGV[11] expiry of the parent's week (unix s)
//	ARGV[12] "1" if this reply may answer its parent (someone else's post),
//	"s" if it may and is by staff (the staff response times), else "0"
//	ARGV[13] the user's pseudonym: what the distinct-member sets hold for a
//	member who opted out (privacy.go), so that nothing new names them
//	Returns 1 counted, 3 counted and it was the member's intro, 0 duplicate.
const messageBody = `
if not firstTime(KEYS[1], ARGV[1], dedupeExpiry) then return 0 end
local exp, user = ARGV[2], ARGV[3]
local per = not optedOut(KEYS[7], user)
hincr(KEYS[2], 'messages', 1, exp)
hadd(KEYS[2], ARGV[5], 1)
if per then hadd(KEYS[2], 'm:' .. user .. ':messages', 1) end
if ARGV[4] == '1' then
  hadd(KEYS[2], 'thread_replies', 1)
  if per then hadd(KEYS[2], 'm:' .. user .. ':thread_replies', 1) end
end
local who = user
if not per then who = ARGV[13] end
sadd(KEYS[3], who, exp)
sadd(KEYS[4], who, exp)
if ARGV[4] ~= '1' and ARGV[8] ~= '' then
  -- remembered for response times (response.go), here rather than in a
  -- script of its own: one script call per message on the hot path
  local author = user
  if not per then author = '-' end
  if not hget(KEYS[8], ARGV[8]) then hset(KEYS[8], ARGV[8], author, exp) end
end
if ARGV[12] ~= '0' then answer(KEYS[9], KEYS[10], ARGV[7], user, ARGV[9], ARGV[10], ARGV[11], ARGV[12] == 's') end
local seated = introSince(KEYS[5], user)
if seated then
  local at, since = tonumber(ARGV[6]), tonumber(seated)
  if at >= since and at - since <= ` + introWindowMs + ` and
     (ARGV[4] ~= '1' or redis.call('HGET', KEYS[6], 'welcome_ts') == ARGV[7]) then
    redis.call('HSET', KEYS[6], 'intro_at', ARGV[6])
    forgetIntro(KEYS[5], user)
    return 3
  end
end
return 1
`

// reactionAddedBody records a reaction given by a human. One person counts
// once per emoji per message: the marker key remembers the week the reaction
// was counted in, so a later removal takes it off the right week. Workers
// may record a removal before the add it undoes; the removal then leaves a
// tombstone "x:<removal ts>" and an add older than it does not count.
//
// The marker is named by the member's pseudonym, never their ID: an
// opted-out or forgotten member's removal still finds it, and after optout
// nothing new names them. Its value is "<week>|p" when the member's own
// counter m:<user>:reactions was bumped too (they had not opted out), so
// the removal takes off exactly what the add put on, whatever the member
// toggled in between. A bot's reaction (people hash) never counts.
//
//	KEYS[1] dedupe hash (the event's hour)   KEYS[2] week hash   KEYS[3] active set   KEYS[4] reaction marker
//	ARGV[1] event_id  ARGV[2] week expiry (unix s)  ARGV[3] user  ARGV[4] week
//	ARGV[5] reaction marker TTL (s)  ARGV[6] the add's event_ts
//	KEYS[5] optout set   KEYS[6], KEYS[7] the posts and answers hashes of the reacted message's week
//	ARGV[7] the reacted message's author ("" if unknown)  ARGV[8] expiry of its week (unix s)
//	ARGV[9] "1" if the reaction may answer it (someone else's post)  ARGV[10] its ts
//	KEYS[8] people  ARGV[11] the user's pseudonym (the active set holds it for opted-out members)
//	Returns 1 counted, 0 duplicate, 2 not counted (already counted, undone by a later removal, or a bot's).
//	A new reaction answers the post (response times) whether or not it counts.
const reactionAddedBody = `
if not firstTime(KEYS[1], ARGV[1], dedupeExpiry) then return 0 end
if isbot(KEYS[8], ARGV[3]) then return 2 end
if ARGV[9] == '1' then answer(KEYS[6], KEYS[7], ARGV[10], ARGV[3], ARGV[7], ARGV[6], ARGV[8], false) end
local cur = redis.call('GET', KEYS[4])
if cur then
  if string.sub(cur, 1, 2) ~= 'x:' then return 2 end
  if tonumber(string.sub(cur, 3)) >= tonumber(ARGV[6]) then return 2 end
end
local exp, user = ARGV[2], ARGV[3]
local per = not optedOut(KEYS[5], user)
local mark, who = ARGV[4], ARGV[11]
if per then mark, who = mark .. '|p', user end
redis.call('SET', KEYS[4], mark, 'EX', ARGV[5])
hincr(KEYS[2], 'reactions', 1, exp)
if per then hadd(KEYS[2], 'm:' .. user .. ':reactions', 1) end
sadd(KEYS[3], who, exp)
return 1
`

// reactionRemovedBody takes a removed reaction off the week it was counted
// in. The caller reads the marker first (to learn the week, so that every
// key is declared) and passes what it read; if the marker changed in
// between, nothing happens and the caller retries. A removal that finds no
// counted reaction leaves a tombstone (see reactionAddedBody).
//
//	KEYS[1] dedupe hash (the event's hour)   KEYS[2] reaction marker   KEYS[3] hash of the marker's week
//	ARGV[1] event_id  ARGV[2] user  ARGV[3] the marker as read ("" if none)
//	ARGV[4] the removal's event_ts  ARGV[5] reaction marker TTL (s)
//	Returns 1 counted, 0 duplicate, 2 nothing to remove, -1 marker moved (retry).
const reactionRemovedBody = `
local cur = redis.call('GET', KEYS[2])
if (cur or '') ~= ARGV[3] then return -1 end
if not firstTime(KEYS[1], ARGV[1], dedupeExpiry) then return 0 end
if not cur or string.sub(cur, 1, 2) == 'x:' then
  if not cur or tonumber(string.sub(cur, 3)) < tonumber(ARGV[4]) then
    redis.call('SET', KEYS[2], 'x:' .. ARGV[4], 'EX', ARGV[5])
  end
  return 2
end
redis.call('DEL', KEYS[2])
if not exists(KEYS[3]) then return 2 end
hadd(KEYS[3], 'reactions', -1)
-- the member's own counter only if the add bumped it ("|p"), and only if
-- it is still there: Forget deletes it, and it must not come back at -1
local f = 'm:' .. ARGV[2] .. ':reactions'
if string.sub(cur, -2) == '|p' and (redis.call('HEXISTS', KEYS[3], f) == 1 or (incrs[KEYS[3]] or {})[f]) then
  hadd(KEYS[3], f, -1)
end
return 1
`

// tallyBody counts an event that only bumps weekly totals (joins,
// leaves). A bot joining or leaving is not a join or a leave.
//
//	KEYS[1] dedupe hash (the event's hour)   KEYS[2] week hash   KEYS[3] people
//	ARGV[1] event_id  ARGV[2] week expiry (unix s)  ARGV[3] field  ARGV[4] user
//	Returns 1 counted, 0 duplicate, 2 a bot's.
const tallyBody = `
if not firstTime(KEYS[1], ARGV[1], dedupeExpiry) then return 0 end
if isbot(KEYS[3], ARGV[4]) then return 2 end
hincr(KEYS[2], ARGV[3], 1, ARGV[2])
return 1
`

const introWindowMs = "604800000" // IntroWindow

// The kinds of countingScript's calls: the index of each body in it.
const (
	callMessage         = 1
	callReactionAdded   = 2
	callReactionRemoved = 3
	callTally           = 4
)

// The same, for the script's text.
const (
	callMessageLua       = "1"
	callReactionAddedLua = "2"
	callTallyLua         = "4"
)

// countingScript runs the counting body of every event of a batch that
// belongs to one community, in one call: Redis's cost per script call
// (looking up the script, building KEYS and ARGV, entering Lua) is paid once
// per batch instead of once per event, and the reads and writes of all its
// events are one command per key (luaHelpers). Each body still runs whole
// for its event and keeps its own dedupe marker, exactly as if it were a
// script of its own: the bodies are the per-event scripts above, turned
// into functions of (KEYS, ARGV), and they are documented in those terms.
//
//	KEYS: every event's keys, one event after the other
//	ARGV[1] number of events, ARGV[2] the dedupe markers' expiry (unix s:
//	now plus the dedupe TTL), then per event: its kind (call*), how many
//	keys and how many arguments it has, and its arguments
//	Returns each event's code, in order.
var countingScript = redis.NewScript(luaHelpers + `
local dedupeExpiry = ARGV[2]
local bodies = {
function(ko, ao)` + atOffsets(messageBody) + `end,
function(ko, ao)` + atOffsets(reactionAddedBody) + `end,
function(ko, ao)` + atOffsets(reactionRemovedBody) + `end,
function(ko, ao)` + atOffsets(tallyBody) + `end,
}
-- The reads of the call, from each event's keys and arguments (see the
-- bodies for their places).
local n = tonumber(ARGV[1])
local kinds, kos, aos = {}, {}, {}
local optoutKey, introKey, users, introUsers, seenUser, seenIntro = nil, nil, {}, {}, {}, {}
local ki, ai = 0, 2
for e = 1, n do
  local kind, nk, na = tonumber(ARGV[ai + 1]), tonumber(ARGV[ai + 2]), tonumber(ARGV[ai + 3])
  local ko, ao = ki, ai + 3
  kinds[e], kos[e], aos[e] = kind, ko, ao
  want(KEYS[ko + 1], ARGV[ao + 1])
  if kind == ` + callMessageLua + ` then
    local user = ARGV[ao + 3]
    optoutKey, introKey = KEYS[ko + 7], KEYS[ko + 5]
    if not seenUser[user] then seenUser[user] = true users[#users + 1] = user end
    if not seenIntro[user] then seenIntro[user] = true introUsers[#introUsers + 1] = user end
    if ARGV[ao + 4] ~= '1' and ARGV[ao + 8] ~= '' then want(KEYS[ko + 8], ARGV[ao + 8]) end
    if ARGV[ao + 12] ~= '0' then
      want(KEYS[ko + 10], ARGV[ao + 7])
      if ARGV[ao + 12] == 's' then want(KEYS[ko + 10], 's:' .. ARGV[ao + 7]) end
    end
  elseif kind == ` + callReactionAddedLua + ` then
    local user = ARGV[ao + 3]
    optoutKey = KEYS[ko + 5]
    if not seenUser[user] then seenUser[user] = true users[#users + 1] = user end
    want(KEYS[ko + 8], user)
    if ARGV[ao + 9] == '1' then want(KEYS[ko + 7], ARGV[ao + 10]) end
  elseif kind == ` + callTallyLua + ` then
    want(KEYS[ko + 3], ARGV[ao + 4])
  end
  ki, ai = ki + nk, ao + na
end
prefetch()
readMembers(optoutKey, users, optouts, 'SMISMEMBER')
readMembers(introKey, introUsers, intros, 'ZMSCORE')
local out = {}
for e = 1, n do out[e] = bodies[kinds[e]](kos[e], aos[e]) end
flush()
return out
`)

// atOffsets turns a body written for KEYS and ARGV of its own into one that
// reads its event's slice of countingScript's: KEYS[n] becomes KEYS[ko+n]
// and ARGV[n] ARGV[ao+n]. Indexing in place costs Lua nothing, where
// copying each event's keys and arguments into tables of their own was most
// of the call's overhead.
func atOffsets(body string) string {
	body = keysIndex.ReplaceAllString(body, "KEYS[ko + $1]")
	return argvIndex.ReplaceAllString(body, "ARGV[ao + $1]")
}

var (
	keysIndex = regexp.MustCompile(`KEYS\[(\d+)\]`)
	argvIndex = regexp.MustCompile(`ARGV\[(\d+)\]`)
)

// countingScriptSHA is countingScript's SHA, boxed once for the hand-built
// EVALSHA of the hot path (see batch.go).
var countingScriptSHA any = countingScript.Hash()

// allScripts are the scripts LoadScripts loads besides the features' own.
var allScripts = []*redis.Script{
	countingScript,
	createPrototypeScript, closePrototypeScript, extendPrototypeScript, voteScript,
	reserveIDScript, initDropScript, claimDropScript, releaseDropScript, closeDropScript, takeNoticesScript,
	initIdeaScript, voteIdeaScript, ideaStatusScript, mergeIdeasScript,
}
