package engagement

import (
	"github.com/redis/go-redis/v9"
)

// Each body does the event_id dedupe and every counter update of one event
// atomically (the script runs whole, nothing else in between): either all
// of it happens once, or none of it does. Every weekly key expires at a
// fixed time, a retention after its week ends. countingScript lists the
// return codes.
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
local incrs, adds, expiries, wide = {}, {}, {}, {}
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
  if #list == 0 then return end
  if #list <= size then return fn(list) end -- most calls: no copy
  for i = 1, #list, size do fn({unpack(list, i, math.min(i + size - 1, #list))}) end
end
-- prefetch reads the wanted fields not read yet, and forgets the wishes:
-- it runs before the lean messages' answers and again before the other
-- events' bodies, and must not read over a value a body has set.
local function prefetch()
  for k, fs in pairs(wanted) do
    local h = vals[k]
    if not h then h = {} vals[k] = h end
    local todo = {}
    for _, f in ipairs(fs) do
      if h[f] == nil then todo[#todo + 1] = f end
    end
    chunks(todo, 1000, function(part)
      local v = redis.call('HMGET', k, unpack(part))
      for i, f in ipairs(part) do h[f] = v[i] end
    end)
  end
  wanted = {}
end
-- A hash of wide[k] gets field wideField with a value longer than
-- hash-max-listpack-value (64 bytes by default) when it is written: Redis
-- then keeps it as a hash table for good. As a listpack (the encoding of a
-- hash of up to 512 short fields, by default) every field read or written
-- scans the whole hash, a missing one (a new marker or post) all of it,
-- and a call reads and writes dozens: the members hash, the posts, the
-- answers and the dedupe markers are wide (TestHotHashesAreHashTables).
local wideField = 'encoding'
local wideValue = 'hashtable: a value longer than hash-max-listpack-value, so never scanned'
-- mincr counts n into member counter f ("<user>:<counter>") of the week's
-- members hash k.
local function mincr(k, f, n, expire_at)
  hadd(k, f, n)
  wide[k] = true
  expiries[k] = expire_at
end
-- The dedupe markers of the call: fields of an hourly hash (keys.go),
-- written first at the end of the call.
local marked = {}
local function firstTime(bucket, id, expire_at)
  if hget(bucket, id) then return false end
  hset(bucket, id, '1', expire_at)
  marked[bucket] = true
  wide[bucket] = true
  return true
end
local function hsetAll(k, d)
  local fs = {}
  for f in pairs(d) do fs[#fs + 1] = f end
  local h = vals[k]
  chunks(fs, 500, function(part)
    local set = {}
    if wide[k] then set[1], set[2] = wideField, wideValue end
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
      if wide[k] then set[1], set[2] = wideField, wideValue end
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
-- later tells whether time a is after time b, both unix µs written in
-- decimal without leading zeros (as Go writes them): by length, then as
-- text, which spares tonumber's strtod on the hot path.
local function later(a, b)
  local la, lb = #a, #b
  if la ~= lb then return la > lb end
  return a > b
end
-- wantAnswers asks the prefetch for the fields answer reads for a thread
-- reply to post with flag ("1", "s" by staff, "0" if it answers nothing).
local function wantAnswers(answers, post, flag)
  if flag == '0' then return end
  want(answers, post)
  want(answers, 'r:' .. post) -- the first reply: the helpers (thanks.go)
  if flag == 's' then want(answers, 's:' .. post) end
end
-- answer keeps the earliest answer to a top-level post by someone other
-- than its author (response times, kpi.go), and with staff true the
-- earliest answer by staff too, in field "s:<post>" of the same hash (no
-- key more to declare). When the event does not name the author, the
-- stored post does. An answer may arrive before its post, so it is stored
-- even when the post is unknown. A thread reply names its writer in
-- helper ("-" if opted out; nil for a reaction): the earliest reply and its
-- writer go in fields "r:<post>" and "h:<post>" (the helpers, thanks.go),
-- read with the call's prefetch and written with its flush, so they cost
-- no command more.
local function answer(posts, answers, post, user, author, micros, expire_at, staff, helper)
  if author == '' then author = hget(posts, post) or '' end
  if author == user then return end
  wide[answers] = true
  local cur = hget(answers, post)
  if not cur or later(cur, micros) then hset(answers, post, micros, expire_at) end
  if staff then
    local sp = 's:' .. post
    local staffCur = hget(answers, sp)
    if not staffCur or later(staffCur, micros) then hset(answers, sp, micros, expire_at) end
  end
  if helper then
    local rp = 'r:' .. post
    local replyCur = hget(answers, rp)
    if not replyCur or later(replyCur, micros) then
      hset(answers, rp, micros, expire_at)
      hset(answers, 'h:' .. post, helper, expire_at)
    end
  end
end
`

// countingScript counts the events of a batch that share a community, a
// week (of the community's time zone) and an hour (UTC, the dedupe hash),
// in one call: Redis's cost per script call and per argument is paid once
// per batch for what the events share, and the reads and writes of all of
// them are one command per key (luaHelpers). Each event's body still
// decides on its own and keeps its own dedupe marker, in order.
//
// The call's keys and arguments come first:
//
//	KEYS[1] dedupe hash (the hour's)   KEYS[2] week hash   KEYS[3] posters set   KEYS[4] active set
//	KEYS[5] intro:pending   KEYS[6] optout set   KEYS[7] the week's posts hash (response.go:
//	top-level post ts -> author, "-" if opted out)   KEYS[8] the week's answers hash   KEYS[9] people
//	KEYS[10] the week's members hash (member counters)
//	ARGV[1] number of other events   ARGV[2] the dedupe markers' expiry (unix s: now plus the dedupe TTL)
//	ARGV[3] week expiry (unix s)   ARGV[4] week ("YYYY-Www")   ARGV[5] reaction marker TTL (s)
//	ARGV[6] the messages' hour-of-week field (the hour's, in the community's time zone)
//	ARGV[7] number of lean top-level posts (t)   ARGV[8] number of lean thread replies (r)
//
// then the lean messages (leanBody) in columns, posts first then replies,
// n = t + r entries each: event_ids, users, ts (a reply's thread_ts); then
// r entries each, for the replies: time (unix µs), the parent's author
// ("" if unknown), and "1", "s" or "0" as A[7] of messageBody. Then each
// other event's kind (call*) and its own keys and arguments, as listed by
// each body below (K[n] and A[n] are the event's n-th key and argument).
// The kinds callReplyOther and callReactionOther are the same bodies for
// a post of another week than the event's: K[2], K[3] are that week's posts
// and answers hashes and the last argument its expiry.
// Returns each event's code, in order:
//
//	1  counted
//	0  duplicate event_id: nothing changed
//	2  new event, but no counter changes (see each body)
//	3  counted, and it was the member's intro (messages)
//	-1 the reaction marker moved since it was read: read it again and retry
//	4  a lean message that needs messageBody: nothing changed; send it again
//	   among the other events
//
// The lean messages' codes come first, in column order, then the others'.
const countingScript = luaHelpers + `
local dedupeKey, weekKey, postersKey, activeKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local introKey, optoutKey, postsKey, answersKey, peopleKey = KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local membersKey = KEYS[10]
local dedupeExp, weekExp, weekName, rxTTL, cellField = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
` + messageBody + leanBody + reactionAddedBody + reactionRemovedBody + tallyBody + countingMain

// messageBody records a human message (top-level or thread reply). A
// member who opted out counts in the totals and the distinct-member sets
// (channel totals need them) but gets no per-person counters. A newly
// seated member's first top-level post, or reply in their welcome thread,
// within IntroWindow is their introduction.
//
// A top-level post (callMessage) and a thread reply (callReply,
// callReplyOther) pass only what they use: each argument costs Redis about
// a thousand instructions (docs/performance.md). Both:
//
//	K[1] member:<user>
//	A[1] event_id  A[2] user  A[3] the message's ts (top-level) or thread_ts (reply)
//	A[4] the message's time (unix µs)
//	A[5] the user's pseudonym: what the distinct-member sets hold for a
//	member who opted out (privacy.go), so that nothing new names them
//
// and a reply:
//
//	A[6] the parent's author ("" if unknown)
//	A[7] "1" if this reply may answer its parent (someone else's post),
//	"s" if it may and is by staff (the staff response times), else "0"
//
// Its hour-of-week cell is the call's (ARGV[6]).
// Returns 1 counted, 3 counted and it was the member's intro, 0 duplicate.
const messageBody = `
-- The call's messages, thread replies and posters: counted here and added
-- to the week's keys once per call (countMessages), a few table writes per
-- message instead of six helper calls.
local nmsg, nreply, posted = 0, 0, {}
local function message(ko, ao, other, reply)
  if not firstTime(dedupeKey, ARGV[ao + 1], dedupeExp) then return 0 end
  local user = ARGV[ao + 2]
  local per = not optedOut(optoutKey, user)
  if nmsg == 0 and not incrs[weekKey] then incrs[weekKey] = {} end -- exists() sees the week at once
  nmsg = nmsg + 1
  if per then mincr(membersKey, user .. ':messages', 1, weekExp) end
  if reply then
    nreply = nreply + 1
    if per then mincr(membersKey, user .. ':thread_replies', 1, weekExp) end
  end
  local who = user
  if not per then who = ARGV[ao + 5] end
  posted[who] = true
  local ts = ARGV[ao + 3]
  if not reply and ts ~= '' then
    -- remembered for response times (response.go)
    local author = user
    if not per then author = '-' end
    if not hget(postsKey, ts) then hset(postsKey, ts, author, weekExp) wide[postsKey] = true end
  end
  if reply and ARGV[ao + 7] ~= '0' then
    local posts, answers, exp = postsKey, answersKey, weekExp
    if other then posts, answers, exp = KEYS[ko + 2], KEYS[ko + 3], ARGV[ao + 8] end
    local helper = user
    if not per then helper = '-' end
    answer(posts, answers, ARGV[ao + 3], user, ARGV[ao + 6], ARGV[ao + 4], exp, ARGV[ao + 7] == 's', helper)
  end
  local seated = introSince(introKey, user)
  if seated then
    local at, since = math.floor(tonumber(ARGV[ao + 4]) / 1000), tonumber(seated)
    if at >= since and at - since <= ` + introWindowMs + ` and
       (not reply or redis.call('HGET', KEYS[ko + 1], 'welcome_ts') == ARGV[ao + 3]) then
      redis.call('HSET', KEYS[ko + 1], 'intro_at', string.format('%d', at))
      forgetIntro(introKey, user)
      return 3
    end
  end
  return 1
end
local function countMessages()
  if nmsg == 0 then return end
  hadd(weekKey, 'messages', nmsg)
  hadd(weekKey, 'events', nmsg)
  hadd(weekKey, cellField, nmsg)
  if nreply > 0 then hadd(weekKey, 'thread_replies', nreply) end
  expiries[weekKey] = weekExp
  for who in pairs(posted) do
    sadd(postersKey, who, weekExp)
    sadd(activeKey, who, weekExp)
  end
end
`

// leanBody counts the call's lean messages: the top-level posts and the
// thread replies to posts of the call's week, which is nearly all of the
// traffic, passed in columns (see countingScript) so that their dedupe
// markers, opt-outs and intros are read straight from ARGV with one
// command each, and their markers and posts written with one command each,
// without the per-field tables of the other events' bodies (callgrind put
// those tables at a third of the script's instructions; docs/performance.md).
// A message whose member opted out or has an intro pending needs their
// pseudonym or member key, which the columns leave out: it gets code 4,
// changes nothing, and Go sends it again with the others' layout
// (messageBody), in the same Record.
//
// It counts exactly what messageBody counts for the same message. It runs
// before the other events of the call; Slack orders nothing anyway, and a
// reaction that follows its post in a batch then finds the post.
const leanBody = `
local function leanMessages(nTop, nRep)
  local n = nTop + nRep
  local ID = 8
  local USER, TS, MIC = ID + n, ID + 2 * n, ID + 3 * n
  local PAR, FLG = MIC + nRep, MIC + 2 * nRep
  local out = {}
  local seen = redis.call('HMGET', dedupeKey, unpack(ARGV, ID + 1, ID + n))
  -- Most calls find no one who opted out and no intro pending: one EXISTS
  -- then spares a reply of n values.
  local none = {}
  local opt, intro = none, none
  if redis.call('EXISTS', optoutKey) == 1 then
    opt = redis.call('SMISMEMBER', optoutKey, unpack(ARGV, USER + 1, USER + n))
  end
  if redis.call('EXISTS', introKey) == 1 then
    intro = redis.call('ZMSCORE', introKey, unpack(ARGV, USER + 1, USER + n))
  end
  local marks, mh = {wideField, wideValue}, incrs[membersKey]
  if not mh then mh = {} incrs[membersKey] = mh end
  local counted = 0
  for i = 1, n do
    if seen[i] then
      out[i] = 0
    elseif opt[i] == 1 or intro[i] then
      out[i] = 4
    else
      out[i] = 1
      counted = counted + 1
      marks[#marks + 1] = ARGV[ID + i]
      marks[#marks + 1] = '1'
      local user = ARGV[USER + i]
      local f = user .. ':messages'
      mh[f] = (mh[f] or 0) + 1
      if i > nTop then
        f = user .. ':thread_replies'
        mh[f] = (mh[f] or 0) + 1
        local r = i - nTop
        local flag = ARGV[FLG + r]
        wantAnswers(answersKey, ARGV[TS + i], flag)
      end
    end
  end
  if counted == 0 then return out end
  -- The markers first, as flush writes them first.
  redis.call('HSET', dedupeKey, unpack(marks))
  expiries[dedupeKey] = dedupeExp
  nmsg = nmsg + counted
  wide[membersKey] = true
  expiries[membersKey] = weekExp
  -- The posters: straight from ARGV when every message counted (SADD
  -- ignores the repeats), else those counted.
  local who
  if counted < n then
    who = {}
    for i = 1, n do
      if out[i] == 1 then who[#who + 1] = ARGV[USER + i] end
    end
  end
  for _, k in ipairs({postersKey, activeKey}) do
    if who then redis.call('SADD', k, unpack(who)) else redis.call('SADD', k, unpack(ARGV, USER + 1, USER + n)) end
    expiries[k] = weekExp
  end
  -- Posts for response times (response.go), each kept as first written:
  -- pairs in reverse, so that of two events of one ts the first wins.
  if nTop > 0 then
    local known = redis.call('HMGET', postsKey, unpack(ARGV, TS + 1, TS + nTop))
    local set = {wideField, wideValue}
    for i = nTop, 1, -1 do
      local ts = ARGV[TS + i]
      if out[i] == 1 and ts ~= '' and not known[i] then
        set[#set + 1] = ts
        set[#set + 1] = ARGV[USER + i]
      end
    end
    if #set > 2 then
      redis.call('HSET', postsKey, unpack(set))
      expiries[postsKey] = weekExp
    end
  end
  if nRep > 0 then
    prefetch()
    for r = 1, nRep do
      local i = nTop + r
      local flag = ARGV[FLG + r]
      if out[i] == 1 then
        nreply = nreply + 1
        if flag ~= '0' then
          local user = ARGV[USER + i]
          answer(postsKey, answersKey, ARGV[TS + i], user, ARGV[PAR + r], ARGV[MIC + r], weekExp, flag == 's', user)
        end
      end
    end
  end
  return out
end
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
//	K[1] reaction marker
//	A[1] event_id  A[2] user  A[3] the add's event_ts (µs)  A[4] the reacted message's author ("" if unknown)
//	A[5] "1" if the reaction may answer it (someone else's post)  A[6] its ts
//	A[7] the user's pseudonym (the active set holds it for opted-out members)
//	Returns 1 counted, 0 duplicate, 2 not counted (already counted, undone by a later removal, or a bot's).
//	A new reaction answers the post (response times) whether or not it counts.
const reactionAddedBody = `
local function reactionAdded(ko, ao, other)
  if not firstTime(dedupeKey, ARGV[ao + 1], dedupeExp) then return 0 end
  local user = ARGV[ao + 2]
  if isbot(peopleKey, user) then return 2 end
  if ARGV[ao + 5] == '1' then
    local posts, answers, exp = postsKey, answersKey, weekExp
    if other then posts, answers, exp = KEYS[ko + 2], KEYS[ko + 3], ARGV[ao + 8] end
    answer(posts, answers, ARGV[ao + 6], user, ARGV[ao + 4], ARGV[ao + 3], exp, false)
  end
  local marker = KEYS[ko + 1]
  local cur = redis.call('GET', marker)
  if cur then
    if string.sub(cur, 1, 2) ~= 'x:' then return 2 end
    if tonumber(string.sub(cur, 3)) >= tonumber(ARGV[ao + 3]) then return 2 end
  end
  local per = not optedOut(optoutKey, user)
  local mark, who = weekName, ARGV[ao + 7]
  if per then mark, who = mark .. '|p', user end
  redis.call('SET', marker, mark, 'EX', rxTTL)
  hincr(weekKey, 'reactions', 1, weekExp)
  if per then mincr(membersKey, user .. ':reactions', 1, weekExp) end
  sadd(activeKey, who, weekExp)
  return 1
end
`

// reactionRemovedBody takes a removed reaction off the week it was counted
// in. The caller reads the marker first (to learn the week, so that every
// key is declared) and passes what it read; if the marker changed in
// between, nothing happens and the caller retries. A removal that finds no
// counted reaction leaves a tombstone (see reactionAddedBody).
//
//	K[1] reaction marker   K[2] hash of the marker's week   K[3] members hash of that week
//	A[1] event_id  A[2] user  A[3] the marker as read ("" if none)  A[4] the removal's event_ts (µs)
//	Returns 1 counted, 0 duplicate, 2 nothing to remove, -1 marker moved (retry).
const reactionRemovedBody = `
local function reactionRemoved(ko, ao)
  local marker = KEYS[ko + 1]
  local cur = redis.call('GET', marker)
  if (cur or '') ~= ARGV[ao + 3] then return -1 end
  if not firstTime(dedupeKey, ARGV[ao + 1], dedupeExp) then return 0 end
  if not cur or string.sub(cur, 1, 2) == 'x:' then
    if not cur or tonumber(string.sub(cur, 3)) < tonumber(ARGV[ao + 4]) then
      redis.call('SET', marker, 'x:' .. ARGV[ao + 4], 'EX', rxTTL)
    end
    return 2
  end
  redis.call('DEL', marker)
  local wh, mh = KEYS[ko + 2], KEYS[ko + 3]
  if not exists(wh) then return 2 end
  hadd(wh, 'reactions', -1)
  -- the member's own counter only if the add bumped it ("|p"), and only if
  -- it is still there: Forget deletes it, and it must not come back at -1.
  -- An add counted by a release before the members hash bumped field
  -- "m:<user>:reactions" of the week hash instead: that one is taken off.
  if string.sub(cur, -2) == '|p' then
    local f = ARGV[ao + 2] .. ':reactions'
    if (incrs[mh] or {})[f] or redis.call('HEXISTS', mh, f) == 1 then
      hadd(mh, f, -1)
    else
      local old = 'm:' .. f
      if (incrs[wh] or {})[old] or redis.call('HEXISTS', wh, old) == 1 then hadd(wh, old, -1) end
    end
  end
  return 1
end
`

// tallyBody counts an event that only bumps weekly totals (joins,
// leaves). A bot joining or leaving is not a join or a leave.
//
//	A[1] event_id  A[2] field  A[3] user
//	Returns 1 counted, 0 duplicate, 2 a bot's.
const tallyBody = `
local function tally(ko, ao)
  if not firstTime(dedupeKey, ARGV[ao + 1], dedupeExp) then return 0 end
  if isbot(peopleKey, ARGV[ao + 3]) then return 2 end
  hincr(weekKey, ARGV[ao + 2], 1, weekExp)
  return 1
end
`

const introWindowMs = "604800000" // IntroWindow

// The kinds of countingScript's events, and how many keys and arguments
// each has after its kind (see the bodies).
const (
	callMessage         = 1 // a top-level post
	callReactionAdded   = 2
	callReactionRemoved = 3
	callTally           = 4
	callReplyOther      = 5 // a reply to a post of another week
	callReactionOther   = 6 // a reaction to a post of another week
	callReply           = 7 // a thread reply
)

// countingMain reads what the call's events will read (see luaHelpers),
// runs their bodies in order, and writes what they changed.
const countingMain = `
local layout = { -- kind: body, keys, arguments, other week, a reply
  {message, 1, 5, false, false}, {reactionAdded, 1, 7, false}, {reactionRemoved, 3, 4, false},
  {tally, 0, 3, false}, {message, 3, 8, true, true}, {reactionAdded, 3, 8, true},
  {message, 1, 7, false, true},
}
local n, nTop, nRep = tonumber(ARGV[1]), tonumber(ARGV[7]), tonumber(ARGV[8])
local out = {}
if nTop + nRep > 0 then
  out = leanMessages(nTop, nRep)
  if nmsg > 0 and not incrs[weekKey] then incrs[weekKey] = {} end -- exists() sees the week at once
end
local lean = #out
local kinds, kos, aos = {}, {}, {}
local users, introUsers, seenUser, seenIntro = {}, {}, {}, {}
local ki, ai = 10, 8 + 3 * lean + 3 * nRep
for e = 1, n do
  local kind = tonumber(ARGV[ai + 1])
  local l = layout[kind]
  local ko, ao = ki, ai + 1
  kinds[e], kos[e], aos[e] = kind, ko, ao
  want(dedupeKey, ARGV[ao + 1])
  if l[1] == message then
    local user = ARGV[ao + 2]
    if not seenUser[user] then seenUser[user] = true users[#users + 1] = user end
    if not seenIntro[user] then seenIntro[user] = true introUsers[#introUsers + 1] = user end
    if not l[5] then
      if ARGV[ao + 3] ~= '' then want(postsKey, ARGV[ao + 3]) end
    else
      local answers = answersKey
      if l[4] then answers = KEYS[ko + 3] end
      wantAnswers(answers, ARGV[ao + 3], ARGV[ao + 7])
    end
  elseif l[1] == reactionAdded then
    local user = ARGV[ao + 2]
    if not seenUser[user] then seenUser[user] = true users[#users + 1] = user end
    want(peopleKey, user)
    if ARGV[ao + 5] == '1' then
      local answers = answersKey
      if l[4] then answers = KEYS[ko + 3] end
      want(answers, ARGV[ao + 6])
    end
  elseif l[1] == tally then
    want(peopleKey, ARGV[ao + 3])
  end
  ki, ai = ko + l[2], ao + l[3]
end
prefetch()
if #users > 0 then readMembers(optoutKey, users, optouts, 'SMISMEMBER') end
if #introUsers > 0 then readMembers(introKey, introUsers, intros, 'ZMSCORE') end
for e = 1, n do
  local l = layout[kinds[e]]
  out[lean + e] = l[1](kos[e], aos[e], l[4], l[5])
end
countMessages()
flush()
return out
`

var countingRedisScript = redis.NewScript(countingScript)

// countingScriptSHA is countingScript's SHA, boxed once for the hand-built
// EVALSHA of the hot path (see batch.go).
var countingScriptSHA any = countingRedisScript.Hash()

// allScripts are the scripts LoadScripts loads besides the features' own.
var allScripts = []*redis.Script{
	countingRedisScript,
	createPrototypeScript, closePrototypeScript, extendPrototypeScript, voteScript,
	reserveIDScript, initDropScript, claimDropScript, releaseDropScript, closeDropScript, takeNoticesScript,
	initIdeaScript, voteIdeaScript, ideaStatusScript, mergeIdeasScript,
}
