package engagement

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Weekly prompts: staff queue conversation starters; at the community's
// PromptAt the app posts the next one in the channel, exactly once per
// slot (the week the time falls in), and tallies the replies in its thread
// and the reactions on it.
//
// Exactly once: the scheduler's lease lets one replica run the job at a
// time, and ClaimPromptSlot moves the queue's head into the slot's record
// in one script, so a prompt leaves the queue once and a slot holds one
// prompt, whatever restarts in between. A slot found "sending" was claimed
// by an attempt that stopped before recording the post: the caller looks
// in the channel (by the message's metadata) before posting again, like
// the digest. An empty queue marks the slot "empty": a prompt added later
// that week waits for the next slot instead of going out at a random time.
//
// Tallies: a prompt's message joins the ingest's card index (the same one
// as prototype cards, prototype_feature.go, with the same recording window
// and watermark), so replies and reactions on anything else pay nothing;
// the prompt feature's script counts them. Staff's own do not count.

// Prompt slot states.
const (
	PromptSending = "sending"
	PromptSent    = "sent"
	PromptEmpty   = "empty"
	PromptRefused = "refused"
)

// MaxPromptLen bounds a prompt's text: a Slack section's limit.
const MaxPromptLen = 3000

// ErrNoPrompt is returned for a queue position that holds no prompt.
var ErrNoPrompt = errors.New("no prompt at that position")

// PromptSlot is what the record of one slot says.
type PromptSlot struct {
	State     string
	Fresh     bool // this call made the claim
	Text      string
	ClaimedAt time.Time
	TS        string // the posted message, once sent
}

// PromptSummary is a posted prompt with its tallies, for the digest.
type PromptSummary struct {
	Week            string  `json:"week"`
	Text            string  `json:"text"`
	TS              string  `json:"ts"`
	Replies         int64   `json:"replies"`
	Reactions       int64   `json:"reactions"`
	Participants    int64   `json:"participants"`      // distinct members who replied or reacted
	FirstReplyAfter float64 `json:"first_reply_after"` // seconds from the post to the first reply; 0 without one
}

// AddPrompt appends text to c's queue and returns its position (1-based).
func (s *Store) AddPrompt(ctx context.Context, c *Community, text string) (int, error) {
	if text == "" || len(text) > MaxPromptLen {
		return 0, fmt.Errorf("prompt: %w: the text must be 1 to %d characters", ErrInvalid, MaxPromptLen)
	}
	n, err := s.rdb.RPush(ctx, s.keys(c).promptQueue(), text).Result()
	if err != nil {
		return 0, fmt.Errorf("engagement: add prompt %s: %w", c.ID, err)
	}
	return int(n), nil
}

// PromptQueue lists c's queued prompts, next first.
func (s *Store) PromptQueue(ctx context.Context, c *Community) ([]string, error) {
	q, err := s.rdb.LRange(ctx, s.keys(c).promptQueue(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("engagement: prompt queue %s: %w", c.ID, err)
	}
	return q, nil
}

// reorderPromptScript takes the prompt at position ARGV[1] (1-based) out
// of the queue and, if ARGV[2] is not 0, puts it back at position ARGV[2]
// (clamped to the end). One script, so that two staff editing at once
// never lose a prompt. Returns the prompt's text, or false if there is no
// such position.
//
//	KEYS[1] queue  ARGV[1] from  ARGV[2] to (0: drop)
var reorderPromptScript = redis.NewScript(`
local q = redis.call('LRANGE', KEYS[1], 0, -1)
local from, to = tonumber(ARGV[1]), tonumber(ARGV[2])
if from < 1 or from > #q then return false end
local text = table.remove(q, from)
if to > 0 then table.insert(q, math.min(to, #q + 1), text) end
redis.call('DEL', KEYS[1])
if #q > 0 then redis.call('RPUSH', KEYS[1], unpack(q)) end
return text
`)

// DropPrompt removes the prompt at position n and returns its text.
func (s *Store) DropPrompt(ctx context.Context, c *Community, n int) (string, error) {
	return s.reorderPrompt(ctx, c, n, 0)
}

// MovePrompt moves the prompt at position n to position m.
func (s *Store) MovePrompt(ctx context.Context, c *Community, n, m int) (string, error) {
	if m < 1 {
		return "", fmt.Errorf("prompt: %w: positions start at 1", ErrInvalid)
	}
	return s.reorderPrompt(ctx, c, n, m)
}

func (s *Store) reorderPrompt(ctx context.Context, c *Community, from, to int) (string, error) {
	text, err := reorderPromptScript.Run(ctx, s.rdb, []string{s.keys(c).promptQueue()}, from, to).Text()
	if err == redis.Nil {
		return "", ErrNoPrompt
	}
	if err != nil {
		return "", fmt.Errorf("engagement: prompt queue %s: %w", c.ID, err)
	}
	return text, nil
}

// claimPromptScript claims a slot: if it has no record, the queue's head
// moves into a new one ("sending"), or the slot is marked "empty".
// Returns {fresh, state, text, claimed_at, ts}.
//
//	KEYS[1] slot record  KEYS[2] queue  ARGV[1] now (unix s)  ARGV[2] expiry (unix s)
var claimPromptScript = redis.NewScript(`
local fresh = 0
if redis.call('EXISTS', KEYS[1]) == 0 then
  local text = redis.call('LPOP', KEYS[2])
  if text then
    redis.call('HSET', KEYS[1], 'state', 'sending', 'text', text, 'claimed_at', ARGV[1])
  else
    redis.call('HSET', KEYS[1], 'state', 'empty', 'claimed_at', ARGV[1])
  end
  redis.call('EXPIREAT', KEYS[1], ARGV[2])
  fresh = 1
end
local v = redis.call('HMGET', KEYS[1], 'state', 'text', 'claimed_at', 'ts')
return {fresh, v[1] or '', v[2] or '', v[3] or '', v[4] or ''}
`)

// ClaimPromptSlot claims week w's prompt slot of c, or reports the record
// already there.
func (s *Store) ClaimPromptSlot(ctx context.Context, c *Community, w Week) (PromptSlot, error) {
	k := s.keys(c)
	exp := w.End(c.Location).Add(s.retention).Unix()
	v, err := claimPromptScript.Run(ctx, s.rdb, []string{k.promptSlot(w), k.promptQueue()}, s.now().Unix(), exp).Slice()
	if err != nil || len(v) != 5 {
		return PromptSlot{}, fmt.Errorf("engagement: claim prompt %s %s: %v", c.ID, w, err)
	}
	str := func(i int) string { x, _ := v[i].(string); return x }
	fresh, _ := v[0].(int64)
	claimed, _ := strconv.ParseInt(str(3), 10, 64)
	return PromptSlot{State: str(1), Fresh: fresh == 1, Text: str(2), ClaimedAt: time.Unix(claimed, 0), TS: str(4)}, nil
}

// PromptSlotStatus reads week w's slot; State is "" if it was not claimed.
func (s *Store) PromptSlotStatus(ctx context.Context, c *Community, w Week) (PromptSlot, error) {
	v, err := s.rdb.HGetAll(ctx, s.keys(c).promptSlot(w)).Result()
	if err != nil {
		return PromptSlot{}, fmt.Errorf("engagement: prompt %s %s: %w", c.ID, w, err)
	}
	claimed, _ := strconv.ParseInt(v["claimed_at"], 10, 64)
	return PromptSlot{State: v["state"], Text: v["text"], ClaimedAt: time.Unix(claimed, 0), TS: v["ts"]}, nil
}

// markPromptPostedScript records the posted message of a claimed slot and
// opens its tallies (the ts index is the ingest's, see loadProtoIndex).
//
//	KEYS[1] slot record  KEYS[2] tallies  KEYS[3] posted index
//	ARGV[1] ts  ARGV[2] week  ARGV[3] expiry (unix s)  ARGV[4] ts as a number
var markPromptPostedScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'sent', 'ts', ARGV[1])
redis.call('HSETNX', KEYS[2], 'week', ARGV[2])
redis.call('EXPIREAT', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
return 1
`)

// MarkPromptPosted records that week w's prompt of c is the message ts.
// Record it at once after posting: events on it that other replicas see
// before their index knows it are counted only if it is recorded within
// the card index's window (prototype_feature.go); a prompt found posted by
// an earlier attempt may miss a few.
func (s *Store) MarkPromptPosted(ctx context.Context, c *Community, w Week, ts string) error {
	k := s.keys(c)
	exp := w.End(c.Location).Add(s.retention).Unix()
	err := markPromptPostedScript.Run(ctx, s.rdb, []string{k.promptSlot(w), k.prompt(ts), k.promptsPosted()}, ts, w.String(), exp, ts).Err()
	if err != nil {
		return fmt.Errorf("engagement: mark prompt %s %s: %w", c.ID, w, err)
	}
	s.addToProtoIndex(c, ts)
	return nil
}

// MarkPromptRefused records that Slack refused week w's prompt for good.
func (s *Store) MarkPromptRefused(ctx context.Context, c *Community, w Week) error {
	return s.rdb.HSet(ctx, s.keys(c).promptSlot(w), "state", PromptRefused).Err()
}

// WarnEmptyPromptQueue reports whether staff should be told now that the
// queue is empty before week w's slot: true once per slot, and only while
// the queue is empty.
func (s *Store) WarnEmptyPromptQueue(ctx context.Context, c *Community, w Week) (bool, error) {
	k := s.keys(c)
	n, err := s.rdb.LLen(ctx, k.promptQueue()).Result()
	if err != nil || n > 0 {
		return false, err
	}
	ok, err := s.rdb.SetNX(ctx, k.promptWarned(w), "1", 8*24*time.Hour).Result()
	if err != nil {
		return false, fmt.Errorf("engagement: prompt warning %s %s: %w", c.ID, w, err)
	}
	return ok, nil
}

// PromptOfWeek returns week w's posted prompt with its tallies, or nil.
func (s *Store) PromptOfWeek(ctx context.Context, c *Community, w Week) (*PromptSummary, error) {
	slot, err := s.PromptSlotStatus(ctx, c, w)
	if err != nil || slot.State != PromptSent {
		return nil, err
	}
	k := s.keys(c)
	pipe := s.rdb.Pipeline()
	t := pipe.HMGet(ctx, k.prompt(slot.TS), "replies", "reactions", "first_reply")
	who := pipe.SCard(ctx, k.promptWho(slot.TS))
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("engagement: prompt tallies %s %s: %w", c.ID, w, err)
	}
	v := t.Val()
	p := &PromptSummary{Week: w.String(), Text: slot.Text, TS: slot.TS, Replies: intField(v[0]), Reactions: max(0, intField(v[1])), Participants: who.Val()}
	if first := intField(v[2]); first > 0 {
		if posted, err := ParseTS(slot.TS); err == nil {
			p.FirstReplyAfter = max(0, time.UnixMicro(first).Sub(posted).Seconds())
		}
	}
	return p, nil
}

// promptTallyScript counts a member's reply in a prompt's thread or
// reaction on it. A reaction removed takes one off.
//
//	KEYS[1] feature dedupe  KEYS[2] tallies  KEYS[3] participants  KEYS[4] people
//	ARGV[1] dedupe TTL (s)  ARGV[2] user  ARGV[3] "r" reply, "+" reaction, "-" removal
//	ARGV[4] event µs  ARGV[5] the user's pseudonym
//	Returns 1 counted, 0 duplicate, 2 a bot's, 3 not a prompt.
var promptTallyScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 0 then return 3 end
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
if ARGV[2] == 'USLACKBOT' or redis.call('HGET', KEYS[4], ARGV[2]) == 'bot' then return 2 end
if ARGV[3] == '-' then
  redis.call('HINCRBY', KEYS[2], 'reactions', -1)
  return 1
end
redis.call('SADD', KEYS[3], ARGV[5])
redis.call('EXPIRE', KEYS[3], redis.call('TTL', KEYS[2]))
if ARGV[3] == '+' then
  redis.call('HINCRBY', KEYS[2], 'reactions', 1)
  return 1
end
redis.call('HINCRBY', KEYS[2], 'replies', 1)
local first = redis.call('HGET', KEYS[2], 'first_reply')
if not first or tonumber(first) > tonumber(ARGV[4]) then redis.call('HSET', KEYS[2], 'first_reply', ARGV[4]) end
return 1
`)

// promptFeature tallies members' replies and reactions on prompts.
var promptFeature = feature{
	name:    "prompt",
	scripts: []*redis.Script{promptTallyScript},
	queue: func(ctx context.Context, s *Store, pipe redis.Pipeliner, e *Event) *redis.Cmd {
		ts := protoTarget(e) // replies and reactions on the app's posts
		if ts == "" || !s.mayBePrototype(e.Community, ts) || e.Community.IsStaff(e.User) {
			return nil
		}
		kind := "r"
		switch e.Kind {
		case KindReactionAdded:
			kind = "+"
		case KindReactionRemoved:
			kind = "-"
		}
		k := s.keys(e.Community)
		return promptTallyScript.EvalSha(ctx, pipe, []string{k.featureDedupe(e.ID, "prompt"), k.prompt(ts), k.promptWho(ts), k.people()},
			s.dedupeTTL, e.User, kind, unixMicros(e.At), s.cachedPseudonym(e.Community, e.User))
	},
}
