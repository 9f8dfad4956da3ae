package engagement

import "github.com/redis/go-redis/v9"

// Each script does the event_id dedupe and every counter update of one event
// atomically: either all of it happens once, or none of it does. Expiries
// are set when a key is created (first write), never refreshed, so a week's
// keys die a fixed retention after the week ends.
//
// Return codes shared by the scripts:
//
//	1  counted
//	0  duplicate event_id: nothing changed
//	2  new event, but no counter changes (see each script)
//	-1 the reaction marker moved since it was read: read it again and retry
const luaHelpers = `
local function hincr(k, f, n, expire_at)
  if redis.call('HINCRBY', k, 'events', 1) == 1 then redis.call('EXPIREAT', k, expire_at) end
  return redis.call('HINCRBY', k, f, n)
end
-- answer keeps the earliest answer to a top-level post by someone other
-- than its author (response times, kpi.go). When the event does not name
-- the author, the stored post does. An answer may arrive before its post,
-- so it is stored even when the post is unknown.
local function answer(posts, answers, post, user, author, micros, expire_at)
  if author == '' then author = redis.call('HGET', posts, post) or '' end
  if author == user then return end
  local cur = redis.call('HGET', answers, post)
  if cur and tonumber(cur) <= tonumber(micros) then return end
  redis.call('HSET', answers, post, micros)
  if not cur then redis.call('EXPIREAT', answers, expire_at) end
end
-- isbot: bots, apps and workflows are known by the people hash (users.info,
-- cached by slackapp when they join or at the roster check); Slackbot by
-- its fixed ID. Reaction events carry no bot_id, so this is the only test.
local function isbot(people, user)
  return user == 'USLACKBOT' or redis.call('HGET', people, user) == 'bot'
end
local function sadd(k, m, expire_at)
  if redis.call('SADD', k, m) == 1 and redis.call('SCARD', k) == 1 then redis.call('EXPIREAT', k, expire_at) end
end
`

// messageScript records a human message (top-level or thread reply). A
// member who opted out counts in the totals and the distinct-member sets
// (channel totals need them) but gets no per-person counters. A newly
// seated member's first top-level post, or reply in their welcome thread,
// within IntroWindow is their introduction.
//
//	KEYS[1] dedupe marker   KEYS[2] week hash   KEYS[3] posters set   KEYS[4] active set
//	KEYS[5] intro:pending   KEYS[6] member:<user>   KEYS[7] optout set
//	KEYS[8] the week's posts hash (response.go: top-level post ts -> author, "-" if opted out)
//	KEYS[9], KEYS[10] the posts and answers hashes of the thread parent's week (response.go)
//	ARGV[1] dedupe TTL (s)  ARGV[2] week expiry (unix s)  ARGV[3] user
//	ARGV[4] "1" if a thread reply  ARGV[5] hour-of-week field
//	ARGV[6] the message's time (unix ms)  ARGV[7] thread_ts ("" if top-level)
//	ARGV[8] the message's ts  ARGV[9] the parent's author ("" if unknown)
//	ARGV[10] the message's time (unix µs)  ARGV[11] expiry of the parent's week (unix s)
//	ARGV[12] "1" if this reply may answer its parent (someone else's post)
//	ARGV[13] the user's pseudonym: what the distinct-member sets hold for a
//	member who opted out (privacy.go), so that nothing new names them
//	Returns 1 counted, 3 counted and it was the member's intro, 0 duplicate.
var messageScript = redis.NewScript(luaHelpers + `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local exp, user = ARGV[2], ARGV[3]
local per = redis.call('SISMEMBER', KEYS[7], user) == 0
hincr(KEYS[2], 'messages', 1, exp)
redis.call('HINCRBY', KEYS[2], ARGV[5], 1)
if per then redis.call('HINCRBY', KEYS[2], 'm:' .. user .. ':messages', 1) end
if ARGV[4] == '1' then
  redis.call('HINCRBY', KEYS[2], 'thread_replies', 1)
  if per then redis.call('HINCRBY', KEYS[2], 'm:' .. user .. ':thread_replies', 1) end
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
  if redis.call('HSETNX', KEYS[8], ARGV[8], author) == 1 and redis.call('HLEN', KEYS[8]) == 1 then
    redis.call('EXPIREAT', KEYS[8], exp)
  end
end
if ARGV[12] == '1' then answer(KEYS[9], KEYS[10], ARGV[7], user, ARGV[9], ARGV[10], ARGV[11]) end
local seated = redis.call('ZSCORE', KEYS[5], user)
if seated then
  local at, since = tonumber(ARGV[6]), tonumber(seated)
  if at >= since and at - since <= ` + introWindowMs + ` and
     (ARGV[4] ~= '1' or redis.call('HGET', KEYS[6], 'welcome_ts') == ARGV[7]) then
    redis.call('HSET', KEYS[6], 'intro_at', ARGV[6])
    redis.call('ZREM', KEYS[5], user)
    return 3
  end
end
return 1
`)

// reactionAddedScript records a reaction given by a human. One person counts
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
// toggled in between.
//
//	KEYS[1] dedupe marker   KEYS[2] week hash   KEYS[3] active set   KEYS[4] reaction marker
//	ARGV[1] dedupe TTL (s)  ARGV[2] week expiry (unix s)  ARGV[3] user  ARGV[4] week
//	ARGV[5] reaction marker TTL (s)  ARGV[6] the add's event_ts
//	KEYS[5] optout set   KEYS[6], KEYS[7] the posts and answers hashes of the reacted message's week
//	ARGV[7] the reacted message's author ("" if unknown)  ARGV[8] expiry of its week (unix s)
//	ARGV[9] "1" if the reaction may answer it (someone else's post)  ARGV[10] its ts
//	ARGV[11] the user's pseudonym (the active set holds it for opted-out members)
//	KEYS[8] people (a bot's reaction is never counted, nor an answer)
//	Returns 1 counted, 0 duplicate, 2 not counted (already counted, undone by a later removal, or a bot's).
//	A new reaction answers the post (response times) whether or not it counts.
var reactionAddedScript = redis.NewScript(luaHelpers + `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
if isbot(KEYS[8], ARGV[3]) then return 2 end
if ARGV[9] == '1' then answer(KEYS[6], KEYS[7], ARGV[10], ARGV[3], ARGV[7], ARGV[6], ARGV[8]) end
local cur = redis.call('GET', KEYS[4])
if cur then
  if string.sub(cur, 1, 2) ~= 'x:' then return 2 end
  if tonumber(string.sub(cur, 3)) >= tonumber(ARGV[6]) then return 2 end
end
local exp, user = ARGV[2], ARGV[3]
local per = redis.call('SISMEMBER', KEYS[5], user) == 0
local mark, who = ARGV[4], ARGV[11]
if per then mark, who = mark .. '|p', user end
redis.call('SET', KEYS[4], mark, 'EX', ARGV[5])
hincr(KEYS[2], 'reactions', 1, exp)
if per then redis.call('HINCRBY', KEYS[2], 'm:' .. user .. ':reactions', 1) end
sadd(KEYS[3], who, exp)
return 1
`)

// reactionRemovedScript takes a removed reaction off the week it was counted
// in. The caller reads the marker first (to learn the week, so that every
// key is declared) and passes what it read; if the marker changed in
// between, nothing happens and the caller retries. A removal that finds no
// counted reaction leaves a tombstone (see reactionAddedScript).
//
//	KEYS[1] dedupe marker   KEYS[2] reaction marker   KEYS[3] hash of the marker's week
//	ARGV[1] dedupe TTL (s)  ARGV[2] user  ARGV[3] the marker as read ("" if none)
//	ARGV[4] the removal's event_ts  ARGV[5] reaction marker TTL (s)
//	Returns 1 counted, 0 duplicate, 2 nothing to remove, -1 marker moved (retry).
var reactionRemovedScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[2])
if (cur or '') ~= ARGV[3] then return -1 end
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
if not cur or string.sub(cur, 1, 2) == 'x:' then
  if not cur or tonumber(string.sub(cur, 3)) < tonumber(ARGV[4]) then
    redis.call('SET', KEYS[2], 'x:' .. ARGV[4], 'EX', ARGV[5])
  end
  return 2
end
redis.call('DEL', KEYS[2])
if redis.call('EXISTS', KEYS[3]) == 0 then return 2 end
redis.call('HINCRBY', KEYS[3], 'reactions', -1)
-- the member's own counter only if the add bumped it, and only if it is
-- still there (Forget deletes it; it must not come back at -1)
local f = 'm:' .. ARGV[2] .. ':reactions'
if string.sub(cur, -2) == '|p' and redis.call('HEXISTS', KEYS[3], f) == 1 then redis.call('HINCRBY', KEYS[3], f, -1) end
return 1
`)

// tallyScript counts an event that only bumps weekly totals (joins,
// leaves). A bot joining or leaving is not a join or a leave.
//
//	KEYS[1] dedupe marker   KEYS[2] week hash   KEYS[3] people
//	ARGV[1] dedupe TTL (s)  ARGV[2] week expiry (unix s)  ARGV[3] field  ARGV[4] user
//	Returns 1 counted, 0 duplicate, 2 a bot's.
var tallyScript = redis.NewScript(luaHelpers + `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
if isbot(KEYS[3], ARGV[4]) then return 2 end
hincr(KEYS[2], ARGV[3], 1, ARGV[2])
return 1
`)

const introWindowMs = "604800000" // IntroWindow

// messageScriptSHA is messageScript's SHA, boxed once for the hand-built
// EVALSHA of the hot path (see queueMessage).
var messageScriptSHA any = messageScript.Hash()

var allScripts = []*redis.Script{messageScript, reactionAddedScript, reactionRemovedScript, tallyScript}
