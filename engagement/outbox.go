package engagement

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The outbox is the Slack work a membership change calls for (welcome,
// kick and DM, invite), written by the same script that changed the seats,
// so the change and the work to do are one atomic step. It is a Redis
// stream read by a consumer group: every replica consumes, each job goes to
// one of them, and a job whose consumer died is claimed by another after
// OutboxRetryAfter. A job is deleted only once done, so none is lost; the
// handlers make each job safe to run twice.

// OutboxRetryAfter is how long a job may stay unfinished before another
// consumer (or the same one, after an error) takes it again.
const OutboxRetryAfter = 30 * time.Second

const outboxGroup = "closeknit"

// Job is one piece of Slack work from the outbox.
type Job struct {
	ID       string // stream entry ID
	Type     string // welcome, full, over_cap, promote
	User     string
	Position int    // full: waitlist position at the time
	Join     string // full: event_ts (µs) of the join it answers ("" in jobs written before it was recorded)
	Attempt  int    // 1 on first delivery
}

// ClaimJobs returns up to count jobs for consumer: first jobs abandoned by
// others (or failed here) for OutboxRetryAfter, then new ones, waiting up to
// block for a new one.
func (s *Store) ClaimJobs(ctx context.Context, c *Community, consumer string, count int, block time.Duration) ([]Job, error) {
	key := s.keys(c).outbox()
	for attempt := 0; attempt < 2; attempt++ {
		jobs, err := s.claimJobs(ctx, key, consumer, count, block)
		if err != nil && strings.HasPrefix(err.Error(), "NOGROUP") {
			// First use, or Redis lost the stream: (re)create the group.
			if err := s.rdb.XGroupCreateMkStream(ctx, key, outboxGroup, "0").Err(); err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
				return nil, fmt.Errorf("engagement: outbox group: %w", err)
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("engagement: outbox: %w", err)
		}
		return jobs, nil
	}
	return nil, errors.New("engagement: outbox group missing")
}

func (s *Store) claimJobs(ctx context.Context, key, consumer string, count int, block time.Duration) ([]Job, error) {
	msgs, _, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: key, Group: outboxGroup, Consumer: consumer, MinIdle: OutboxRetryAfter, Start: "0", Count: int64(count),
	}).Result()
	if err != nil {
		return nil, err
	}
	jobs := toJobs(msgs, 2)
	if len(jobs) > 0 {
		return jobs, nil
	}
	if block <= 0 {
		block = -1 // go-redis: no BLOCK argument (BLOCK 0 would wait forever)
	}
	streams, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: outboxGroup, Consumer: consumer, Streams: []string{key, ">"}, Count: int64(count), Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, st := range streams {
		jobs = append(jobs, toJobs(st.Messages, 1)...)
	}
	return jobs, nil
}

func toJobs(msgs []redis.XMessage, attempt int) []Job {
	jobs := make([]Job, 0, len(msgs))
	for _, m := range msgs {
		j := Job{ID: m.ID, Attempt: attempt}
		j.Type, _ = m.Values["type"].(string)
		j.User, _ = m.Values["user"].(string)
		j.Join, _ = m.Values["join"].(string)
		if p, ok := m.Values["position"].(string); ok {
			j.Position, _ = strconv.Atoi(p)
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// JobDone removes a finished job from the outbox.
func (s *Store) JobDone(ctx context.Context, c *Community, id string) error {
	key := s.keys(c).outbox()
	pipe := s.rdb.TxPipeline()
	pipe.XAck(ctx, key, outboxGroup, id)
	pipe.XDel(ctx, key, id)
	pipe.Del(ctx, s.keys(c).outboxJob(id))
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("engagement: outbox done %s: %w", id, err)
	}
	return nil
}

// Welcomed records where a member's welcome was posted, so a reply in its
// thread counts as their intro. It reports false if the member no longer
// holds a seat record (they left meanwhile).
func (s *Store) Welcomed(ctx context.Context, c *Community, user, ts string) (bool, error) {
	k := s.keys(c)
	n, err := s.run(ctx, "welcome", welcomedScript, []string{k.member(user), k.welcomes()}, user, ts).Int()
	if err != nil {
		return false, fmt.Errorf("engagement: welcomed %s: %w", user, err)
	}
	return n == 1, nil
}

// WelcomeTS returns the ts of user's welcome post, "" if none was posted.
func (s *Store) WelcomeTS(ctx context.Context, c *Community, user string) (string, error) {
	ts, err := s.rdb.HGet(ctx, s.keys(c).member(user), "welcome_ts").Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return ts, err
}

var welcomedScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'seated_at') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'welcome_ts', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 1
`)

// SetKind remembers whether a user is a bot ("bot") or a person ("human"),
// as users.info said.
func (s *Store) SetKind(ctx context.Context, c *Community, user, kind string) error {
	return s.rdb.HSet(ctx, s.keys(c).people(), user, kind).Err()
}

// Kinds returns what SetKind stored for users ("" where unknown).
func (s *Store) Kinds(ctx context.Context, c *Community, users []string) ([]string, error) {
	if len(users) == 0 {
		return nil, nil
	}
	v, err := s.rdb.HMGet(ctx, s.keys(c).people(), users...).Result()
	if err != nil {
		return nil, fmt.Errorf("engagement: people: %w", err)
	}
	out := make([]string, len(v))
	for i, x := range v {
		out[i], _ = x.(string)
	}
	return out, nil
}

// DueNudges returns seated members who have not introduced themselves
// nudgeAfter after taking their seat and were not nudged yet. Members whose
// IntroWindow has passed are no longer waited for.
func (s *Store) DueNudges(ctx context.Context, c *Community, now time.Time, nudgeAfter time.Duration) ([]string, error) {
	k := s.keys(c)
	if err := s.rdb.ZRemRangeByScore(ctx, k.introPending(), "-inf", strconv.FormatInt(now.Add(-IntroWindow).UnixMilli(), 10)).Err(); err != nil {
		return nil, fmt.Errorf("engagement: intro window: %w", err)
	}
	users, err := s.rdb.ZRangeByScore(ctx, k.introPending(), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.Add(-nudgeAfter).UnixMilli(), 10),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("engagement: due nudges: %w", err)
	}
	return users, nil
}

// ClaimNudge marks user as nudged and reports whether this call did it:
// only the caller that gets true sends the nudge, so it goes out at most
// once, whatever the replicas and restarts.
func (s *Store) ClaimNudge(ctx context.Context, c *Community, user string, now time.Time) (bool, error) {
	k := s.keys(c)
	n, err := s.run(ctx, "nudge", claimNudgeScript, []string{k.member(user), k.introPending()}, user, now.UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("engagement: nudge %s: %w", user, err)
	}
	return n == 1, nil
}

// UnclaimNudge gives back a claim whose nudge Slack did not take, so a
// later run sends it.
func (s *Store) UnclaimNudge(ctx context.Context, c *Community, user string) error {
	if err := s.rdb.HDel(ctx, s.keys(c).member(user), "nudged_at").Err(); err != nil {
		return fmt.Errorf("engagement: nudge %s: %w", user, err)
	}
	return nil
}

// claimNudgeScript: the member must still wait for an intro and hold a
// seat record; HSETNX makes the claim once.
var claimNudgeScript = redis.NewScript(`
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
if redis.call('HEXISTS', KEYS[1], 'seated_at') == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'nudged_at', ARGV[2])
`)

// Each step of a job (the invite, the DM, the note to staff) is marked
// done as it succeeds, so a job run again after a failure does not repeat
// what already happened: nobody is invited or messaged twice. The marks
// are a hash per job (ns:{c}:outbox:job:<id>, keys.go).

// StepDone reports whether step of job id was done.
func (s *Store) StepDone(ctx context.Context, c *Community, id, step string) (bool, error) {
	ok, err := s.rdb.HExists(ctx, s.keys(c).outboxJob(id), step).Result()
	if err != nil {
		return false, fmt.Errorf("engagement: outbox step %s/%s: %w", id, step, err)
	}
	return ok, nil
}

// MarkStep records that step of job id is done (or given up for good).
func (s *Store) MarkStep(ctx context.Context, c *Community, id, step string) error {
	key := s.keys(c).outboxJob(id)
	pipe := s.rdb.TxPipeline()
	pipe.HSet(ctx, key, step, "1")
	pipe.Expire(ctx, key, 30*24*time.Hour) // a job is deleted once done; this only bounds a stray
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("engagement: outbox step %s/%s: %w", id, step, err)
	}
	return nil
}

// Setup problems (the app cannot post in the brand channel, lacks a scope,
// ...) are told to staff once each, and shown on their App Home until
// they are cleared (ns:{c}:warnings).

// AddWarning records a setup problem; it reports whether it is new (then,
// and only then, staff are told).
func (s *Store) AddWarning(ctx context.Context, c *Community, key, text string) (bool, error) {
	ok, err := s.rdb.HSetNX(ctx, s.keys(c).warnings(), key, text).Result()
	if err != nil {
		return false, fmt.Errorf("engagement: warning: %w", err)
	}
	return ok, nil
}

// ClearWarning forgets setup problems that are fixed.
func (s *Store) ClearWarning(ctx context.Context, c *Community, keys ...string) error {
	return s.rdb.HDel(ctx, s.keys(c).warnings(), keys...).Err()
}

// Warnings returns the open setup problems' texts, sorted.
func (s *Store) Warnings(ctx context.Context, c *Community) ([]string, error) {
	m, err := s.rdb.HGetAll(ctx, s.keys(c).warnings()).Result()
	if err != nil {
		return nil, fmt.Errorf("engagement: warnings: %w", err)
	}
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}

// RequeueScript gives a reserved seat back and puts its holder first on the
// waitlist, without promoting anyone: the app could not invite them for a
// reason of its own (not in the channel, a scope missing), which would
// stop the next person just the same.
//
//	KEYS: 1 seats 2 waitlist 3 waitlist:since 4 invites   ARGV: 1 user 2 now (ms)
var requeueScript = redis.NewScript(`
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[4], ARGV[1])
local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local score = 0
if #head > 0 then score = tonumber(head[2]) - 1 end
redis.call('ZADD', KEYS[2], score, ARGV[1])
redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[2])
return 1
`)

// Requeue gives user's reserved seat back and puts them first on the
// waitlist, promoting nobody. It reports whether they held a seat.
func (s *Store) Requeue(ctx context.Context, c *Community, user string, now time.Time) (bool, error) {
	k := s.keys(c)
	n, err := s.run(ctx, "requeue", requeueScript, []string{k.seats(), k.waitlist(), k.waitSince(), k.invites()}, user, now.UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("engagement: requeue %s: %w", user, err)
	}
	return n == 1, nil
}

// FillSeats promotes from the waitlist into free seats (after a setup
// problem that stopped invites is fixed). It returns how many.
func (s *Store) FillSeats(ctx context.Context, c *Community, now time.Time) (int, error) {
	k := s.keys(c)
	n, err := s.run(ctx, "promote", fillScript, []string{k.seats(), k.waitlist(), k.waitSince(), k.capKey(), k.outbox(), k.invites()}, c.Cap, now.UnixMilli()).Int()
	if err != nil {
		return 0, fmt.Errorf("engagement: fill seats: %w", err)
	}
	return n, nil
}

var fillScript = redis.NewScript(luaPromote + `
return promote(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], KEYS[5], KEYS[6], ARGV[2])
`)
