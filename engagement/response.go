package engagement

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// The response feature remembers, per top-level post, who wrote it (the
// message script records that: one script call per message) and when
// someone else first answered it (a thread reply or a reaction), so
// the weekly KPIs can tell response times and unanswered posts. Only
// timestamps and user IDs are stored, never text: the post's ts is a hash
// field, its author the value (so a generic forget finds and deletes it),
// and the answer is a unix-microsecond value under the same field. Both
// hashes belong to the post's week and expire with it.
//
// The answer script is idempotent without a dedupe marker of their own: a
// redelivered answer can only keep the earliest time (a minimum), and a
// redelivered post sets the same field to the same author (HSETNX). Skipping
// the marker saves a key write and ~100 bytes of Redis memory per event on
// the hot path; TestResponseFeatureIdempotent checks redeliveries.
func init() {
	features = append(features, feature{
		name:    "response",
		scripts: []*redis.Script{answerScript},
		queue:   queueResponse,
	})
}

// answerScript keeps the earliest answer to a post by someone other than
// its author. When the event does not name the author, the stored post
// does. An answer may arrive before its post (workers run in parallel,
// Slack redelivers late), so it is stored even when the post is unknown;
// answers to thread replies are stored too and simply never read.
//
//	KEYS[1] posts hash of the post's week   KEYS[2] answers hash of that week
//	ARGV[1] expiry (unix s)  ARGV[2] post ts  ARGV[3] who answered
//	ARGV[4] the post's author as the event tells ("" if unknown)  ARGV[5] answer time (unix µs)
//	Returns 1 recorded, 2 no change (own post, or not the first answer).
var answerScript = redis.NewScript(`
local author = ARGV[4]
if author == '' then author = redis.call('HGET', KEYS[1], ARGV[2]) or '' end
if author == ARGV[3] then return 2 end
local cur = redis.call('HGET', KEYS[2], ARGV[2])
if cur and tonumber(cur) <= tonumber(ARGV[5]) then return 2 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[5])
if not cur then redis.call('EXPIREAT', KEYS[2], ARGV[1]) end
return 1
`)

var answerScriptSHA any = answerScript.Hash()

// queueResponse is the feature's hook for added reactions (messageScript
// records posts and thread replies itself, saving a script call per
// message). It does no I/O.
func queueResponse(ctx context.Context, s *Store, pipe redis.Pipeliner, e *Event) *redis.Cmd {
	var post, author string
	switch {
	case e.Kind == KindMessage:
		return nil // posts and replies: recorded by messageScript itself
	case e.Kind == KindReactionAdded:
		post, author = e.ItemTS, e.ItemUser
	default:
		return nil
	}
	if author == e.User || post == "" {
		return nil // answering oneself is not an answer
	}
	t, err := ParseTS(post)
	if err != nil {
		return nil // not a message we could have recorded
	}
	wk := s.weekKeys(e.Community, t)
	return queueEvalSha(ctx, pipe, redis.NewCmd(ctx, "evalsha", answerScriptSHA, 2, wk.postsArg, wk.answersArg, wk.expireAtArg, post, e.User, author, unixMicros(e.At)))
}

// queueEvalSha queues a hand-built EVALSHA; its error is read after Exec.
// The first key is argument 3, as go-redis's own Eval says, so a Cluster
// client routes it without parsing the key count.
func queueEvalSha(ctx context.Context, pipe redis.Pipeliner, cmd *redis.Cmd) *redis.Cmd {
	cmd.SetFirstKeyPos(3)
	_ = pipe.Process(ctx, cmd)
	return cmd
}
