package engagement

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The weekly digest goes out exactly once per community and week. The
// scheduler's lease keeps two replicas from sending at the same time; this
// marker keeps the digest from going out twice over time (restarts, a job
// cut short): ns:{c}:digest:<YYYY-Www>, a hash (keys.go).
//
// A sender first claims the week ("sending"). Finding "sending" instead of
// a fresh claim means an earlier attempt stopped somewhere between claiming
// and marking the digest sent: it may or may not have posted, and the
// sender must look in the channel before posting again (slackapp does, by
// the message's metadata). "refused" means Slack refused the post for good
// (the app is not in the channel, ...): that week is over, no replica tries
// it again. No per-person data is stored here.

// Digest states.
const (
	DigestSending = "sending"
	DigestSent    = "sent"
	DigestRefused = "refused"
)

// DigestState is what the marker says about a week's digest.
type DigestState struct {
	State     string    // DigestSending or DigestSent
	Fresh     bool      // this call made the claim: no earlier attempt
	ClaimedAt time.Time // when the first attempt claimed the week
	TS        string    // the message, once sent
	Chart     string    // "", "tried", "ok", "failed"
	Error     string    // Slack's error code, when DigestRefused
}

// claimDigestScript claims a week's digest unless a claim exists, and
// returns the marker.
//
//	KEYS[1] marker  ARGV[1] now (unix s)  ARGV[2] expiry (unix s)
//	Returns {fresh (1|0), state, claimed_at, ts, chart, error}.
var claimDigestScript = redis.NewScript(`
local fresh = 0
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'state', 'sending', 'claimed_at', ARGV[1])
  redis.call('EXPIREAT', KEYS[1], ARGV[2])
  fresh = 1
end
local v = redis.call('HMGET', KEYS[1], 'state', 'claimed_at', 'ts', 'chart', 'error')
return {fresh, v[1] or '', v[2] or '', v[3] or '', v[4] or '', v[5] or ''}
`)

// ClaimDigest claims week w's digest of c, or reports the claim or sent
// digest that is already there.
func (s *Store) ClaimDigest(ctx context.Context, c *Community, w Week) (DigestState, error) {
	start := time.Now()
	exp := w.End(c.Location).Add(s.retention).Unix()
	v, err := claimDigestScript.Run(ctx, s.rdb, []string{s.keys(c).digest(w)}, s.now().Unix(), exp).Slice()
	s.observe("digest", time.Since(start), err)
	if err != nil || len(v) != 6 {
		return DigestState{}, fmt.Errorf("engagement: claim digest %s %s: %v", c.ID, w, err)
	}
	str := func(i int) string { x, _ := v[i].(string); return x }
	fresh, _ := v[0].(int64)
	claimed, _ := strconv.ParseInt(str(2), 10, 64)
	return DigestState{State: str(1), Fresh: fresh == 1, ClaimedAt: time.Unix(claimed, 0), TS: str(3), Chart: str(4), Error: str(5)}, nil
}

// MarkDigestSent records that week w's digest of c is the message ts.
func (s *Store) MarkDigestSent(ctx context.Context, c *Community, w Week, ts string) error {
	return s.setDigest(ctx, c, w, "state", DigestSent, "ts", ts)
}

// MarkDigestRefused records that Slack refused week w's digest of c for
// good, with its error code: the week is not tried again.
func (s *Store) MarkDigestRefused(ctx context.Context, c *Community, w Week, code string) error {
	return s.setDigest(ctx, c, w, "state", DigestRefused, "error", code)
}

// reopenDigestScript deletes a week's marker if, and only if, it says
// refused: a digest sent or being sent is never reopened.
//
//	KEYS[1] marker
//	Returns 1 reopened, 0 not refused.
var reopenDigestScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'state') ~= 'refused' then return 0 end
redis.call('DEL', KEYS[1])
return 1
`)

// ReopenRefusedDigest lets week w's digest of c be tried again after Slack
// refused it for good and someone fixed the cause (invited the app to the
// brand channel, granted a scope). It reports whether the week was
// refused; any other state is left as it is, so a digest that went out
// cannot go out twice this way.
func (s *Store) ReopenRefusedDigest(ctx context.Context, c *Community, w Week) (bool, error) {
	start := time.Now()
	n, err := reopenDigestScript.Run(ctx, s.rdb, []string{s.keys(c).digest(w)}).Int()
	s.observe("digest", time.Since(start), err)
	if err != nil {
		return false, fmt.Errorf("engagement: reopen digest %s %s: %w", c.ID, w, err)
	}
	return n == 1, nil
}

// MarkDigestChart records what became of the digest's chart ("tried"
// before uploading, then "ok" or "failed"): it is uploaded at most once.
func (s *Store) MarkDigestChart(ctx context.Context, c *Community, w Week, outcome string) error {
	return s.setDigest(ctx, c, w, "chart", outcome)
}

// DigestStatus reads the marker of week w's digest; State is "" if none.
func (s *Store) DigestStatus(ctx context.Context, c *Community, w Week) (DigestState, error) {
	start := time.Now()
	v, err := s.rdb.HGetAll(ctx, s.keys(c).digest(w)).Result()
	s.observe("digest", time.Since(start), err)
	if err != nil {
		return DigestState{}, fmt.Errorf("engagement: digest status %s %s: %w", c.ID, w, err)
	}
	claimed, _ := strconv.ParseInt(v["claimed_at"], 10, 64)
	return DigestState{State: v["state"], ClaimedAt: time.Unix(claimed, 0), TS: v["ts"], Chart: v["chart"], Error: v["error"]}, nil
}

func (s *Store) setDigest(ctx context.Context, c *Community, w Week, fv ...string) error {
	start := time.Now()
	args := make([]any, len(fv))
	for i, x := range fv {
		args[i] = x
	}
	// HSET on an existing marker only: a marker that expired (past
	// retention) is not recreated without an expiry.
	err := markDigestScript.Run(ctx, s.rdb, []string{s.keys(c).digest(w)}, args...).Err()
	s.observe("digest", time.Since(start), err)
	if err != nil && err != redis.Nil {
		return fmt.Errorf("engagement: mark digest %s %s: %w", c.ID, w, err)
	}
	return nil
}

var markDigestScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return 1
`)

// The members' voice in the weekly digest: the ideas posted in the week
// with their votes, the ideas whose status changed, and the drops open in
// the week with how fast they sold out. The field names are the contract
// of `closeknit digest --format json`.

// NewIdea is an idea posted during the week. Title is "" once its author
// was forgotten.
type NewIdea struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Votes int    `json:"votes"`
}

// IdeaStatusChange is an idea whose status staff changed during the week
// (its status as of now).
type IdeaStatusChange struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"`
}

// DropSummary is a drop open at some time during the week.
type DropSummary struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
	Claimed  int    `json:"claimed"`
	// SoldOutSeconds is how long after opening the last unit went; null
	// while units are left.
	SoldOutSeconds *float64 `json:"sold_out_seconds"`
}

// addVoice fills the week's ideas and drops, and marks the drop weeks of
// the chart's history.
func (s *Store) addVoice(ctx context.Context, c *Community, out *KPIs) error {
	ideas, err := s.Ideas(ctx, c) // most votes first
	if err != nil {
		return err
	}
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(out.Start) && t.Before(out.End) }
	for _, i := range ideas {
		if in(i.Created) && i.Status != IdeaMerged {
			out.IdeasNew = append(out.IdeasNew, NewIdea{ID: i.ID, Title: i.Title, Votes: i.Votes})
		}
		if in(i.StatusAt) && i.Status != IdeaMerged {
			out.IdeasStatusChanged = append(out.IdeasStatusChanged, IdeaStatusChange{ID: i.ID, Title: i.Title, Status: i.Status})
		}
	}
	drops, err := s.Drops(ctx, c) // newest first
	if err != nil {
		return err
	}
	for _, d := range drops {
		if d.openDuring(out.Start, out.End) {
			sum := DropSummary{ID: d.ID, Name: d.Name, Quantity: d.Quantity, Claimed: d.Claimed}
			if !d.SoldOutAt.IsZero() {
				secs := d.SoldOutAt.Sub(d.OpensAt).Seconds()
				sum.SoldOutSeconds = &secs
			}
			out.Drops = append(out.Drops, sum)
		}
		for i, h := range out.History {
			wk, err := ParseWeek(h.Week)
			if err == nil && d.openDuring(wk.Start(c.Location), wk.End(c.Location)) {
				out.History[i].Drops++
			}
		}
	}
	return nil
}

// openDuring reports whether the drop's claim window overlaps [start, end).
func (d *Drop) openDuring(start, end time.Time) bool {
	closed := d.ClosesAt
	if !d.ClosedAt.IsZero() && d.ClosedAt.Before(closed) {
		closed = d.ClosedAt // closed early by staff
	}
	return d.OpensAt.Before(end) && !closed.Before(start)
}
