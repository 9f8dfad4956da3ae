package engagement

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The prototype hash's fields. A prototype's definition is the brand's own
// text, shown on its card; no member's words are stored.
const (
	pfID, pfName, pfDesc, pfImage, pfLink, pfQuestion = "id", "name", "desc", "image", "link", "question"
	pfKind, pfEmojis, pfOptions, pfHide               = "kind", "emojis", "options", "hide"
	pfChannel, pfTS, pfStatus, pfAuthor, pfSalt       = "channel", "ts", "status", "author", "salt"
	pfOpened, pfCloses, pfClosed                      = "opened", "closes", "closed" // unix seconds
	pfComments                                        = "comments"
	pfLateReactions, pfLateComments, pfLateVotes      = "late_reactions", "late_comments", "late_votes"
	pfAnnouncedCard, pfSummaryTS                      = "ann_card", "ann_summary"
)

// createPrototypeScript records a posted card, once: recording the same
// card again returns its ID. It refuses a card posted more than the record
// window ago (see feedback.go: the ingest index relies on it).
//
//	KEYS[1] p:seq  KEYS[2] p:ids  KEYS[3] p:cards  KEYS[4] p:due  KEYS[5] p:<ts>
//	ARGV[1] now (unix s)  ARGV[2] card ts  ARGV[3] record window (s)  ARGV[4] closes (unix s)
//	ARGV[5...] field, value pairs
var createPrototypeScript = redis.NewScript(`
local id = redis.call('HGET', KEYS[5], 'id')
if id then return id end
if tonumber(ARGV[1]) > tonumber(ARGV[2]) + tonumber(ARGV[3]) then
  return redis.error_reply('LATE card posted too long ago to record')
end
id = 'P' .. redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[5], 'id', id, 'status', 'open', 'ts', ARGV[2], 'closes', ARGV[4])
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[2], id, ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[2])
return id
`)

// closePrototypeScript is the one transition from open to closed: of any
// number of callers (replicas, a staff command), exactly one gets 1. The
// closing is then queued for announcement in p:announce.
//
//	KEYS[1] p:<ts>  KEYS[2] p:due  KEYS[3] p:announce
//	ARGV[1] now (unix s)  ARGV[2] "1" to close before the deadline  ARGV[3] card ts
var closePrototypeScript = redis.NewScript(`
local p = redis.call('HMGET', KEYS[1], 'status', 'closes')
if p[1] ~= 'open' then return 0 end
if ARGV[2] ~= '1' and tonumber(p[2]) > tonumber(ARGV[1]) then return 0 end
if tonumber(p[2]) > tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'closes', ARGV[1]) end
redis.call('HSET', KEYS[1], 'status', 'closed', 'closed', ARGV[1])
redis.call('HDEL', KEYS[1], 'salt')
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[3])
return 1
`)

// extendPrototypeScript moves an open prototype's deadline.
//
//	KEYS[1] p:<ts>  KEYS[2] p:due  ARGV[1] seconds to add  ARGV[2] card ts  ARGV[3] latest allowed (unix s)
//	Returns the new deadline, 0 if closed, -1 if beyond the latest allowed.
var extendPrototypeScript = redis.NewScript(`
local p = redis.call('HMGET', KEYS[1], 'status', 'closes')
if p[1] ~= 'open' then return 0 end
local c = tonumber(p[2]) + tonumber(ARGV[1])
if c > tonumber(ARGV[3]) then return -1 end
redis.call('HSET', KEYS[1], 'closes', c)
redis.call('ZADD', KEYS[2], c, ARGV[2])
return c
`)

// voteScript records a seated member's vote on a poll: one per member,
// changeable. The vote is filed under the member's pseudonym, so optout
// and optin in between do not give them a second one (see
// luaProtoHelpers).
//
//	KEYS[1] p:<ts>  KEYS[2] votes  KEYS[3] part  KEYS[4] optout  KEYS[5] who  KEYS[6] seats  KEYS[7] people
//	ARGV[1] user  ARGV[2] option (1-based)  ARGV[3] now (unix s)  ARGV[4] the user's pseudonym
//	Returns {code, previous option or ""}: code 1 recorded, 2 unchanged,
//	3 not a poll, 4 closed (counted as late), 6 not seated (ignored).
var voteScript = redis.NewScript(luaProtoHelpers + `
local p = redis.call('HMGET', KEYS[1], 'status', 'closes', 'kind')
if p[3] ~= 'poll' then return {3, ''} end
if p[1] ~= 'open' or tonumber(ARGV[3]) >= tonumber(p[2]) then
  redis.call('HINCRBY', KEYS[1], 'late_votes', 1)
  return {4, ''}
end
if not seated(KEYS[6], KEYS[7], ARGV[1]) then return {6, ''} end
local me = ARGV[4]
local prev = redis.call('HGET', KEYS[2], me)
if prev == ARGV[2] then return {2, prev} end
redis.call('HSET', KEYS[2], me, ARGV[2])
name(KEYS[5], KEYS[4], ARGV[1], me)
if not prev then redis.call('HINCRBY', KEYS[3], me, 1) end
return {1, prev or ''}
`)

func unixString(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// CreatePrototype records the prototype whose card was posted in channel
// at ts, and returns it with its new ID. Recording the same card twice
// returns the first record. It fails with ErrInvalid for a bad spec, and
// for a card posted too long ago (more than a minute): record a card as
// soon as it is posted.
//
// opened is when feedback opened, as the card says (zero: now); feedback
// closes spec.OpenFor later.
func (s *Store) CreatePrototype(ctx context.Context, c *Community, spec PrototypeSpec, opened time.Time, channel, ts string) (*Prototype, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if _, err := ParseTS(ts); err != nil {
		return nil, fmt.Errorf("engagement: prototype card: %w: %v", ErrInvalid, err)
	}
	now := s.now()
	if opened.IsZero() {
		opened = now
	}
	closes := opened.Add(spec.OpenFor)
	k := s.keys(c)
	args := []any{unixString(now), ts, int(protoRecordWindow / time.Second), unixString(closes),
		pfName, spec.Name, pfDesc, spec.Description, pfImage, spec.ImageURL, pfLink, spec.Link,
		pfQuestion, spec.Question, pfKind, spec.Kind(), pfChannel, channel, pfAuthor, spec.Author,
		pfOpened, unixString(opened)}
	if spec.Kind() == KindPoll {
		hide := "0"
		if spec.HideResults {
			hide = "1"
		}
		args = append(args, pfOptions, strings.Join(spec.Options, "\n"), pfHide, hide)
	} else {
		args = append(args, pfEmojis, FormatReactions(spec.Reactions))
	}
	start := time.Now()
	err := createPrototypeScript.Run(ctx, s.rdb,
		[]string{k.protoSeq(), k.protoIDs(), k.protoCards(), k.protoDue(), k.proto(ts)}, args...).Err()
	s.observe("proto_create", time.Since(start), err)
	if err != nil {
		if strings.HasPrefix(err.Error(), "LATE") {
			return nil, fmt.Errorf("engagement: prototype card %s: %w: posted more than %s ago", ts, ErrInvalid, protoRecordWindow)
		}
		return nil, fmt.Errorf("engagement: record prototype: %w", err)
	}
	s.addToProtoIndex(c, ts)
	// Read back: when the card was recorded before, this is the first record.
	return s.PrototypeByTS(ctx, c, ts)
}

// ClaimSubmission claims a staff member's submission of a new prototype
// for posting its card, so that a submission delivered twice posts one
// card. id is whatever identifies the submission to the app (an opaque
// string, the same on every delivery). It reports false if another claim
// holds it. The claim is short-lived until SubmissionPosted makes it last
// a day: if the poster dies between posting and recording, the staff
// member can submit again a minute later (at worst a card is posted twice;
// never is one lost). ReleaseSubmission gives it up after a failed post.
func (s *Store) ClaimSubmission(ctx context.Context, c *Community, id string) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.keys(c).protoSubmission(id), "posting", time.Minute).Result()
	if err != nil {
		return false, fmt.Errorf("engagement: claim submission: %w", err)
	}
	return ok, nil
}

// SubmissionPosted marks a claimed submission as posted and recorded as
// card ts.
func (s *Store) SubmissionPosted(ctx context.Context, c *Community, id, ts string) error {
	if err := s.rdb.Set(ctx, s.keys(c).protoSubmission(id), ts, 24*time.Hour).Err(); err != nil {
		return fmt.Errorf("engagement: submission posted: %w", err)
	}
	return nil
}

// ReleaseSubmission frees a submission claimed with ClaimSubmission.
func (s *Store) ReleaseSubmission(ctx context.Context, c *Community, id string) error {
	if err := s.rdb.Del(ctx, s.keys(c).protoSubmission(id)).Err(); err != nil {
		return fmt.Errorf("engagement: release submission: %w", err)
	}
	return nil
}

// cardTS finds the card ts of a prototype ID (case-insensitive).
func (s *Store) cardTS(ctx context.Context, c *Community, id string) (string, error) {
	ts, err := s.rdb.HGet(ctx, s.keys(c).protoIDs(), strings.ToUpper(id)).Result()
	if errors.Is(err, redis.Nil) {
		return "", &prototypeError{op: "prototype", id: id, err: ErrNoPrototype}
	}
	if err != nil {
		return "", fmt.Errorf("engagement: prototype %s: %w", id, err)
	}
	return ts, nil
}

// PrototypeByID returns the prototype with the given ID.
func (s *Store) PrototypeByID(ctx context.Context, c *Community, id string) (*Prototype, error) {
	ts, err := s.cardTS(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return s.PrototypeByTS(ctx, c, ts)
}

// PrototypeByTS returns the prototype whose card has the given ts.
func (s *Store) PrototypeByTS(ctx context.Context, c *Community, ts string) (*Prototype, error) {
	h, err := s.rdb.HGetAll(ctx, s.keys(c).proto(ts)).Result()
	if err != nil {
		return nil, fmt.Errorf("engagement: prototype %s: %w", ts, err)
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("engagement: prototype card %s: %w", ts, ErrNoPrototype)
	}
	return prototypeFromHash(h)
}

func prototypeFromHash(h map[string]string) (*Prototype, error) {
	p := &Prototype{
		PrototypeSpec: PrototypeSpec{
			Name: h[pfName], Description: h[pfDesc], ImageURL: h[pfImage], Link: h[pfLink],
			Question: h[pfQuestion], HideResults: h[pfHide] == "1", Author: h[pfAuthor],
		},
		ID: h[pfID], Channel: h[pfChannel], TS: h[pfTS], Status: h[pfStatus],
	}
	if h[pfKind] == KindPoll {
		p.Options = strings.Split(h[pfOptions], "\n")
	} else {
		rs, err := ParseReactions(h[pfEmojis])
		if err != nil {
			return nil, fmt.Errorf("engagement: prototype %s: %w", p.ID, err)
		}
		p.Reactions = rs
	}
	unix := func(n int64) time.Time { return time.Unix(n, 0) }
	if err := readTimes(h, map[string]*time.Time{pfOpened: &p.OpenedAt, pfCloses: &p.ClosesAt, pfClosed: &p.ClosedAt}, unix); err != nil {
		return nil, fmt.Errorf("engagement: prototype %s: %w", p.ID, err)
	}
	p.OpenFor = p.ClosesAt.Sub(p.OpenedAt)
	return p, nil
}

// ClosePrototype closes an open prototype now, before its deadline (a
// staff command). It reports whether this call closed it: false if it was
// already closed. Its closing is then announced by AnnounceClosed's caller.
func (s *Store) ClosePrototype(ctx context.Context, c *Community, id string) (*Prototype, bool, error) {
	ts, err := s.cardTS(ctx, c, id)
	if err != nil {
		return nil, false, err
	}
	closed, err := s.closePrototype(ctx, c, ts, true)
	if err != nil {
		return nil, false, err
	}
	p, err := s.PrototypeByTS(ctx, c, ts)
	return p, closed, err
}

func (s *Store) closePrototype(ctx context.Context, c *Community, ts string, force bool) (bool, error) {
	k := s.keys(c)
	f := "0"
	if force {
		f = "1"
	}
	start := time.Now()
	n, err := closePrototypeScript.Run(ctx, s.rdb, []string{k.proto(ts), k.protoDue(), k.protoAnnounce()}, unixString(s.now()), f, ts).Int()
	s.observe("proto_close", time.Since(start), err)
	if err != nil {
		return false, fmt.Errorf("engagement: close prototype %s: %w", ts, err)
	}
	return n == 1, nil
}

// CloseDue closes every open prototype of c whose deadline has passed and
// returns the card ts of those this call closed (exactly one caller closes
// each, however many run at once).
func (s *Store) CloseDue(ctx context.Context, c *Community) ([]string, error) {
	return s.closeDue(ctx, s.keys(c).protoDue(), unixString(s.now()), "prototypes", func(ts string) (bool, error) {
		return s.closePrototype(ctx, c, ts, false)
	})
}

// ExtendPrototype moves an open prototype's deadline by d. A prototype
// stays open at most 30 days from when it was posted.
func (s *Store) ExtendPrototype(ctx context.Context, c *Community, id string, d time.Duration) (*Prototype, error) {
	if d <= 0 {
		return nil, invalidf("engagement: extend by %s: %w", d, ErrInvalid)
	}
	p, err := s.PrototypeByID(ctx, c, id)
	if err != nil {
		return nil, err
	}
	k := s.keys(c)
	latest := p.OpenedAt.Add(maxOpenDays * 24 * time.Hour)
	n, err := extendPrototypeScript.Run(ctx, s.rdb, []string{k.proto(p.TS), k.protoDue()},
		int64(d/time.Second), p.TS, unixString(latest)).Int64()
	switch {
	case err != nil:
		return nil, fmt.Errorf("engagement: extend prototype %s: %w", id, err)
	case n == 0:
		return nil, &prototypeError{op: "extend prototype", id: p.ID, err: ErrPrototypeClosed}
	case n < 0:
		return nil, invalidf("engagement: extend prototype %s: %w: feedback can stay open at most %d days (until %s)",
			p.ID, ErrInvalid, maxOpenDays, latest.Format(time.RFC3339))
	}
	return s.PrototypeByTS(ctx, c, p.TS)
}

// Announcement is what remains to announce of a closed prototype.
type Announcement struct {
	TS          string
	CardUpdated bool   // the card says feedback is closed
	SummaryTS   string // the results summary's ts in the brand channel, "" until posted ("-": no brand channel, "refused:<code>": Slack refused it)
}

// ClaimAnnouncements returns the closed prototypes of c whose closing is
// not fully announced, each claimed for holder for ttl so that no other
// caller announces it meanwhile.
func (s *Store) ClaimAnnouncements(ctx context.Context, c *Community, holder string, ttl time.Duration) ([]Announcement, error) {
	k := s.keys(c)
	tss, err := s.rdb.ZRange(ctx, k.protoAnnounce(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("engagement: announcements: %w", err)
	}
	var out []Announcement
	for _, ts := range tss {
		ok, err := s.rdb.SetNX(ctx, k.protoAnnounceClaim(ts), holder, ttl).Result()
		if err != nil {
			return out, fmt.Errorf("engagement: claim announcement: %w", err)
		}
		if !ok {
			continue
		}
		v, err := s.rdb.HMGet(ctx, k.proto(ts), pfAnnouncedCard, pfSummaryTS).Result()
		if err != nil {
			return out, fmt.Errorf("engagement: announcement %s: %w", ts, err)
		}
		a := Announcement{TS: ts}
		a.CardUpdated = v[0] == "1"
		a.SummaryTS, _ = v[1].(string)
		out = append(out, a)
	}
	return out, nil
}

// MarkCardUpdated records that the card of a closed prototype was updated.
func (s *Store) MarkCardUpdated(ctx context.Context, c *Community, ts string) error {
	return s.rdb.HSet(ctx, s.keys(c).proto(ts), pfAnnouncedCard, "1").Err()
}

// MarkSummaryPosted records the ts of a closed prototype's results summary.
func (s *Store) MarkSummaryPosted(ctx context.Context, c *Community, ts, summaryTS string) error {
	return s.rdb.HSet(ctx, s.keys(c).proto(ts), pfSummaryTS, summaryTS).Err()
}

// FinishAnnouncement takes a fully announced prototype off the queue,
// frees its claim, and sets its keys to expire the store's retention after
// closing, like a week's counters (Options.Retention).
func (s *Store) FinishAnnouncement(ctx context.Context, c *Community, ts string) error {
	k := s.keys(c)
	h, err := s.rdb.HGetAll(ctx, k.proto(ts)).Result()
	if err != nil {
		return fmt.Errorf("engagement: finish announcement: %w", err)
	}
	closed, _ := strconv.ParseInt(h[pfClosed], 10, 64)
	expireAt := time.Unix(closed, 0).Add(s.retention)
	pipe := s.rdb.TxPipeline()
	pipe.ZRem(ctx, k.protoAnnounce(), ts)
	pipe.Del(ctx, k.protoAnnounceClaim(ts))
	if closed > 0 {
		// Every key of the prototype: the emoji sets are named by its n: fields.
		for _, key := range []string{k.proto(ts), k.protoState(ts), k.protoPart(ts), k.protoCommenters(ts), k.protoVotes(ts), k.protoWho(ts)} {
			pipe.ExpireAt(ctx, key, expireAt)
		}
		for f := range h {
			if emoji, ok := strings.CutPrefix(f, "n:"); ok {
				pipe.ExpireAt(ctx, k.protoRx(ts, emoji), expireAt)
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("engagement: finish announcement: %w", err)
	}
	return nil
}

// ReleaseAnnouncement frees a claim without finishing (a failed attempt:
// the next run tries again).
func (s *Store) ReleaseAnnouncement(ctx context.Context, c *Community, ts string) error {
	return s.rdb.Del(ctx, s.keys(c).protoAnnounceClaim(ts)).Err()
}

// VoteResult is what a vote did.
type VoteResult struct {
	Recorded  bool // false: the member already had this vote
	Previous  int  // the option voted for before, 0 if none
	Late      bool // the poll is closed
	NotSeated bool // the voter holds no seat: not counted
}

// Vote records user's vote for option (1-based) on the poll with the given
// card ts.
func (s *Store) Vote(ctx context.Context, c *Community, ts, user string, option int) (VoteResult, error) {
	p, err := s.PrototypeByTS(ctx, c, ts)
	if err != nil {
		return VoteResult{}, err
	}
	if p.Kind() != KindPoll || option < 1 || option > len(p.Options) {
		return VoteResult{}, fmt.Errorf("engagement: vote %d on %s: %w", option, p.ID, ErrInvalid)
	}
	me, err := s.Pseudonym(ctx, c, user)
	if err != nil {
		return VoteResult{}, err
	}
	k := s.keys(c)
	start := time.Now()
	res, err := voteScript.Run(ctx, s.rdb, []string{k.proto(ts), k.protoVotes(ts), k.protoPart(ts), k.optout(), k.protoWho(ts), k.seats(), k.people()},
		user, option, unixString(s.now()), me).Slice()
	s.observe("proto_vote", time.Since(start), err)
	if err != nil {
		return VoteResult{}, fmt.Errorf("engagement: vote on %s: %w", p.ID, err)
	}
	code, _ := res[0].(int64)
	prev, _ := strconv.Atoi(fmt.Sprint(res[1]))
	switch code {
	case 1:
		s.noteFeedback(c.ID, FeedbackVote)
		return VoteResult{Recorded: true, Previous: prev}, nil
	case 2:
		return VoteResult{Previous: prev}, nil
	case 4:
		s.noteFeedback(c.ID, FeedbackLate)
		return VoteResult{Late: true}, nil
	case 6:
		s.noteFeedback(c.ID, FeedbackNotSeated)
		return VoteResult{NotSeated: true}, nil
	}
	return VoteResult{}, fmt.Errorf("engagement: vote on %s: %w: not a poll", p.ID, ErrInvalid)
}

// protoReads are the pipelined reads of one prototype's figures.
type protoReads struct {
	all   *redis.MapStringStringCmd
	part  *redis.IntCmd
	cm    *redis.IntCmd
	votes *redis.StringSliceCmd
}

func (s *Store) queueProtoReads(ctx context.Context, pipe redis.Pipeliner, c *Community, ts string) protoReads {
	k := s.keys(c)
	return protoReads{
		all:   pipe.HGetAll(ctx, k.proto(ts)),
		part:  pipe.HLen(ctx, k.protoPart(ts)),
		cm:    pipe.HLen(ctx, k.protoCommenters(ts)),
		votes: pipe.HVals(ctx, k.protoVotes(ts)),
	}
}

// results builds a prototype's results from its reads.
func (r protoReads) results(seated int) (*PrototypeResults, error) {
	h := r.all.Val()
	if len(h) == 0 {
		return nil, ErrNoPrototype
	}
	p, err := prototypeFromHash(h)
	if err != nil {
		return nil, err
	}
	sum := PrototypeSummary{
		ID: p.ID, Name: p.Name, Channel: p.Channel, TS: p.TS, Status: p.Status, ClosesAt: p.ClosesAt,
		Reactions: map[string]int64{}, Participants: r.part.Val(), Commenters: r.cm.Val(),
	}
	num := func(f string) int64 { n, _ := strconv.ParseInt(h[f], 10, 64); return n }
	sum.Comments = num(pfComments)
	for f := range h {
		if emoji, ok := strings.CutPrefix(f, "n:"); ok {
			if n := num(f); n > 0 {
				sum.Reactions[emoji] = n
			}
		}
	}
	if p.Kind() == KindPoll {
		sum.Votes = map[string]int64{}
		for _, o := range p.Options {
			sum.Votes[o] = 0
		}
		for _, v := range r.votes.Val() {
			if i, err := strconv.Atoi(v); err == nil && i >= 1 && i <= len(p.Options) {
				sum.Votes[p.Options[i-1]]++
			}
		}
	} else {
		var weighted float64
		var n int64
		for _, rw := range p.Reactions {
			weighted += rw.Weight * float64(sum.Reactions[rw.Emoji])
			n += sum.Reactions[rw.Emoji]
		}
		if n > 0 {
			sum.Sentiment = round3(weighted / float64(n))
		}
	}
	if seated > 0 {
		sum.Yield = round3(float64(sum.Participants) / float64(seated))
	}
	return &PrototypeResults{Prototype: p, Summary: sum, Seated: seated,
		LateReactions: num(pfLateReactions), LateComments: num(pfLateComments), LateVotes: num(pfLateVotes)}, nil
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// PrototypeResultsByTS reads one prototype's results; seated is the number
// of seated members the yield is computed against (0: unknown, yield 0).
func (s *Store) PrototypeResultsByTS(ctx context.Context, c *Community, ts string, seated int) (*PrototypeResults, error) {
	start := time.Now()
	pipe := s.rdb.Pipeline()
	r := s.queueProtoReads(ctx, pipe, c, ts)
	_, err := pipe.Exec(ctx)
	s.observe("proto_read", time.Since(start), err)
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("engagement: prototype %s: %w", ts, err)
	}
	res, err := r.results(seated)
	if err != nil {
		return nil, fmt.Errorf("engagement: prototype card %s: %w", ts, err)
	}
	return res, nil
}

// PrototypeResultsByID is PrototypeResultsByTS for a prototype ID.
func (s *Store) PrototypeResultsByID(ctx context.Context, c *Community, id string, seated int) (*PrototypeResults, error) {
	ts, err := s.cardTS(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return s.PrototypeResultsByTS(ctx, c, ts, seated)
}

// AllPrototypeResults reads every prototype of c, newest first, in two
// round trips; seated as in PrototypeResultsByTS.
func (s *Store) AllPrototypeResults(ctx context.Context, c *Community, seated int) ([]*PrototypeResults, error) {
	start := time.Now()
	tss, err := s.rdb.ZRevRange(ctx, s.keys(c).protoCards(), 0, -1).Result()
	if err != nil {
		s.observe("proto_read", time.Since(start), err)
		return nil, fmt.Errorf("engagement: prototypes of %s: %w", c.ID, err)
	}
	pipe := s.rdb.Pipeline()
	reads := make([]protoReads, len(tss))
	for i, ts := range tss {
		reads[i] = s.queueProtoReads(ctx, pipe, c, ts)
	}
	if len(tss) > 0 {
		_, err = pipe.Exec(ctx)
	}
	s.observe("proto_read", time.Since(start), err)
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("engagement: prototypes of %s: %w", c.ID, err)
	}
	out := make([]*PrototypeResults, 0, len(tss))
	for _, r := range reads {
		res, err := r.results(seated)
		if errors.Is(err, ErrNoPrototype) {
			continue // forgotten or never fully written
		}
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	return out, nil
}

// OpenPrototypes counts the open prototypes of c.
func (s *Store) OpenPrototypes(ctx context.Context, c *Community) (int64, error) {
	n, err := s.rdb.ZCard(ctx, s.keys(c).protoDue()).Result()
	if err != nil {
		return 0, fmt.Errorf("engagement: open prototypes: %w", err)
	}
	return n, nil
}

// Prototypes returns the figures of every prototype of c, newest first,
// with the yield computed against the community's seated members.
func (s *Store) Prototypes(ctx context.Context, c *Community) ([]PrototypeSummary, error) {
	seated, err := s.SeatedCount(ctx, c)
	if err != nil {
		return nil, err
	}
	all, err := s.AllPrototypeResults(ctx, c, seated)
	if err != nil {
		return nil, err
	}
	out := make([]PrototypeSummary, len(all))
	for i, r := range all {
		out[i] = r.Summary
	}
	return out, nil
}

// ExportRow is one line of a prototype's export: who gave what feedback.
// Opted-out members appear only in rows whose User is OptedOutUser, as
// totals.
type ExportRow struct {
	User  string // a member ID, or OptedOutUser
	Kind  string // "reaction", "comments" or "vote"
	Value string // the emoji, or the option voted for; "" for comments
	Count int64  // 1 for a member's reaction or vote; the number of replies for comments; the total for OptedOutUser
}

// OptedOutUser stands for every opted-out member in an export.
const OptedOutUser = "(opted-out members)"

// ExportPrototype lists who reacted with what, who replied how often and
// who voted for what, members sorted by ID, then the opted-out totals.
func (s *Store) ExportPrototype(ctx context.Context, c *Community, id string) (*Prototype, []ExportRow, error) {
	ts, err := s.cardTS(ctx, c, id)
	if err != nil {
		return nil, nil, err
	}
	k := s.keys(c)
	h, err := s.rdb.HGetAll(ctx, k.proto(ts)).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("engagement: export %s: %w", id, err)
	}
	p, err := prototypeFromHash(h)
	if err != nil {
		return nil, nil, err
	}
	var emojis []string
	for f := range h {
		if e, ok := strings.CutPrefix(f, "n:"); ok {
			emojis = append(emojis, e)
		}
	}
	slices.Sort(emojis)
	pipe := s.rdb.Pipeline()
	members := make([]*redis.StringSliceCmd, len(emojis))
	for i, e := range emojis {
		members[i] = pipe.SMembers(ctx, k.protoRx(ts, e))
	}
	cm := pipe.HGetAll(ctx, k.protoCommenters(ts))
	votes := pipe.HGetAll(ctx, k.protoVotes(ts))
	who := pipe.HGetAll(ctx, k.protoWho(ts))
	optout := pipe.SMembers(ctx, k.optout())
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, fmt.Errorf("engagement: export %s: %w", id, err)
	}
	optedOut := map[string]bool{}
	for _, u := range optout.Val() {
		optedOut[u] = true
	}
	// named is the member behind a pseudonym, "" for one who opted out
	// (then, or since) or was forgotten.
	named := func(me string) string {
		if u := who.Val()[me]; u != "" && !optedOut[u] {
			return u
		}
		return ""
	}
	var rows, anon []ExportRow
	for i, e := range emojis {
		var n int64
		for _, me := range members[i].Val() {
			if u := named(me); u != "" {
				rows = append(rows, ExportRow{User: u, Kind: "reaction", Value: e, Count: 1})
			} else {
				n++
			}
		}
		if n > 0 {
			anon = append(anon, ExportRow{User: OptedOutUser, Kind: "reaction", Value: e, Count: n})
		}
	}
	var namedReplies int64
	for u, v := range cm.Val() {
		if optedOut[u] {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		namedReplies += n
		rows = append(rows, ExportRow{User: u, Kind: "comments", Count: n})
	}
	if total, _ := strconv.ParseInt(h[pfComments], 10, 64); total > namedReplies {
		anon = append(anon, ExportRow{User: OptedOutUser, Kind: "comments", Count: total - namedReplies})
	}
	anonVotes := map[string]int64{}
	for me, v := range votes.Val() {
		i, err := strconv.Atoi(v)
		if err != nil || i < 1 || i > len(p.Options) {
			continue
		}
		if u := named(me); u != "" {
			rows = append(rows, ExportRow{User: u, Kind: "vote", Value: p.Options[i-1], Count: 1})
		} else {
			anonVotes[p.Options[i-1]]++
		}
	}
	for _, o := range p.Options {
		if n := anonVotes[o]; n > 0 {
			anon = append(anon, ExportRow{User: OptedOutUser, Kind: "vote", Value: o, Count: n})
		}
	}
	slices.SortFunc(rows, func(a, b ExportRow) int {
		return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Value, b.Value))
	})
	return p, append(rows, anon...), nil
}
