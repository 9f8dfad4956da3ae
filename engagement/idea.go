package engagement

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// The idea board: members suggest ideas, seated members vote once each
// (staff votes are kept apart), staff give each idea a status and merge
// duplicates. The text of an idea is the member's own, stored because they
// submit it for this; their forget deletes it (keys.go). Keys are in
// keys.go.

// ErrNoIdea is returned for an idea ID that is not known.
var ErrNoIdea = errors.New("no such idea")

// Idea statuses, in the order an idea usually goes through them.
const (
	IdeaNew         = "new"
	IdeaUnderReview = "under review"
	IdeaPlanned     = "planned"
	IdeaShipped     = "shipped"
	IdeaDeclined    = "declined"
	IdeaMerged      = "merged" // into another idea (MergedInto); only by MergeIdeas
)

// IdeaStatuses are the statuses staff can set.
var IdeaStatuses = []string{IdeaNew, IdeaUnderReview, IdeaPlanned, IdeaShipped, IdeaDeclined}

// Idea limits.
const (
	MaxIdeaTitle   = 80
	MaxIdeaDetails = 1_000
)

// The idea hash's fields.
const (
	ifID, ifAuthor, ifStatus, ifNote, ifMergedInto = "id", "author", "status", "note", "merged_into"
	ifSource, ifChannel, ifTS, ifLink              = "source", "channel", "ts", "link"
	ifCreated, ifUpdated, ifStatusAt               = "created", "updated", "status_at" // unix ms
	itTitle, itDetails                             = "title", "details"                // the text hash
)

// IdeaSpec is what a member submits.
type IdeaSpec struct {
	Title   string
	Details string
	Author  string
	Source  string // a link to the post the idea was made from, if any
}

// Validate reports the first field that is wrong, as a sentence for the
// member who filled it in.
func (s IdeaSpec) Validate() error {
	switch {
	case strings.TrimSpace(s.Title) == "" || utf8.RuneCountInString(s.Title) > MaxIdeaTitle:
		return fmt.Errorf("idea: %w: the title must have 1 to %d characters", ErrInvalid, MaxIdeaTitle)
	case utf8.RuneCountInString(s.Details) > MaxIdeaDetails:
		return fmt.Errorf("idea: %w: the details have at most %d characters", ErrInvalid, MaxIdeaDetails)
	case !ValidUserID(s.Author):
		return fmt.Errorf("idea: %w: author %q is not a user ID", ErrInvalid, s.Author)
	}
	return nil
}

// Idea is an idea and its votes. Author is "" once the author was
// forgotten (their text is gone too); AuthorOptedOut says to show them as
// "a member".
type Idea struct {
	IdeaSpec
	ID             string
	Status         string
	Note           string // the note staff gave with the status
	MergedInto     string
	Votes          int // seated members
	StaffVotes     int
	AuthorOptedOut bool
	Channel, TS    string // the card, "" until posted
	Link           string // the card's permalink
	Created        time.Time
	Updated        time.Time // the last status change or merge, else Created
	StatusAt       time.Time // the last status change, zero if none
}

// ShownAuthor is the author's ID when they may be named, else "".
func (i *Idea) ShownAuthor() string {
	if i.AuthorOptedOut {
		return ""
	}
	return i.Author
}

// Posted reports whether the idea's card is up (TS is "-…" while it is
// being posted: claimCard).
func (i *Idea) Posted() bool { return cardPosted(i.TS) }

// CardUnrecorded reports whether the idea's card was claimed for posting
// but never recorded (cardUnrecorded).
func (i *Idea) CardUnrecorded() bool { return cardUnrecorded(i.TS) }

// Open reports whether the idea is still waiting or in the works.
func (i *Idea) Open() bool {
	return i.Status != IdeaShipped && i.Status != IdeaDeclined && i.Status != IdeaMerged
}

// initIdeaScript writes a reserved idea, unless it exists.
//
//	KEYS[1] i:<id>  KEYS[2] i:all  KEYS[3] i:<id>:text:<author>
//	ARGV[1] ID  ARGV[2] now (unix ms)  ARGV[3] author  ARGV[4] source  ARGV[5] title  ARGV[6] details
var initIdeaScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'status', 'new', 'created', ARGV[2], 'updated', ARGV[2], 'author', ARGV[3], 'source', ARGV[4])
redis.call('HSET', KEYS[3], 'title', ARGV[5], 'details', ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
`)

// voteIdeaScript adds or takes back a vote. Votes are sets, so a vote
// delivered twice (a double click) counts once. Staff votes go to their
// own set; anyone else needs a seat (bots never have one that counts).
//
//	KEYS[1] i:<id>  KEYS[2] votes  KEYS[3] staff votes  KEYS[4] seats  KEYS[5] people
//	ARGV[1] user  ARGV[2] "1" vote, "0" take back  ARGV[3] "1" if the user is staff
//	Returns {code, votes, staff votes, merged into}: 1 changed, 2 unchanged,
//	5 merged (vote on the idea it went into), 6 not seated, 0 no such idea.
var voteIdeaScript = redis.NewScript(luaProtoHelpers + `
local i = redis.call('HMGET', KEYS[1], 'status', 'merged_into')
if not i[1] then return {0, 0, 0, ''} end
if i[1] == 'merged' then return {5, 0, 0, i[2]} end
local set = KEYS[2]
if ARGV[3] == '1' then
  set = KEYS[3]
elseif ARGV[2] == '1' and not seated(KEYS[4], KEYS[5], ARGV[1]) then
  return {6, 0, 0, ''}
end
local n
if ARGV[2] == '1' then n = redis.call('SADD', set, ARGV[1]) else n = redis.call('SREM', set, ARGV[1]) end
local code = 2
if n == 1 then code = 1 end
return {code, redis.call('SCARD', KEYS[2]), redis.call('SCARD', KEYS[3]), ''}
`)

// ideaStatusScript sets an idea's status and note. Setting what is already
// set changes nothing, so a repeated command tells the author once.
//
//	KEYS[1] i:<id>  ARGV[1] status  ARGV[2] note  ARGV[3] now (unix ms)
//	Returns 1 changed, 2 unchanged, 5 merged, 0 no such idea.
var ideaStatusScript = redis.NewScript(`
local i = redis.call('HMGET', KEYS[1], 'status', 'note')
if not i[1] then return 0 end
if i[1] == 'merged' then return 5 end
if i[1] == ARGV[1] and (i[2] or '') == ARGV[2] then return 2 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'note', ARGV[2], 'updated', ARGV[3], 'status_at', ARGV[3])
return 1
`)

// mergeIdeasScript merges a duplicate into the idea kept: the duplicate's
// voters vote for the kept idea (sets: each counted once), and the
// duplicate points to it.
//
//	KEYS[1] dup  KEYS[2] dup votes  KEYS[3] dup staff votes
//	KEYS[4] kept  KEYS[5] kept votes  KEYS[6] kept staff votes
//	ARGV[1] kept ID  ARGV[2] now (unix ms)
//	Returns 1 merged, 2 already merged into it, 5 one of them is merged
//	elsewhere, 0 either is unknown.
var mergeIdeasScript = redis.NewScript(`
local dup = redis.call('HMGET', KEYS[1], 'status', 'merged_into')
local kept = redis.call('HGET', KEYS[4], 'status')
if not dup[1] or not kept then return 0 end
if dup[1] == 'merged' and dup[2] == ARGV[1] then return 2 end
if dup[1] == 'merged' or kept == 'merged' then return 5 end
redis.call('SUNIONSTORE', KEYS[5], KEYS[5], KEYS[2])
redis.call('SUNIONSTORE', KEYS[6], KEYS[6], KEYS[3])
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], 'status', 'merged', 'merged_into', ARGV[1], 'updated', ARGV[2])
redis.call('HSET', KEYS[4], 'updated', ARGV[2])
return 1
`)

// CreateIdea records a new idea. token names the request (a modal's view
// ID): the same token again returns the idea it created.
func (s *Store) CreateIdea(ctx context.Context, c *Community, spec IdeaSpec, token string) (*Idea, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if token == "" {
		return nil, fmt.Errorf("engagement: create idea: %w: no request token", ErrInvalid)
	}
	k := s.keys(c)
	start := time.Now()
	id, err := reserveIDScript.Run(ctx, s.rdb, []string{k.ideaRequest(token), k.ideaSeq()}, int(requestTTL/time.Second), "I").Text()
	if err == nil {
		err = initIdeaScript.Run(ctx, s.rdb, []string{k.idea(id), k.ideaAll(), k.ideaText(id, spec.Author)},
			id, unixMS(s.now()), spec.Author, spec.Source, spec.Title, spec.Details).Err()
	}
	s.observe("idea_create", time.Since(start), err)
	if err != nil {
		return nil, fmt.Errorf("engagement: create idea: %w", err)
	}
	return s.Idea(ctx, c, id)
}

// SetIdeaCard records where an idea's card was posted and its permalink.
func (s *Store) SetIdeaCard(ctx context.Context, c *Community, id, channel, ts, link string) error {
	return wrapErr("idea card", s.rdb.HSet(ctx, s.keys(c).idea(id), ifChannel, channel, ifTS, ts, ifLink, link).Err())
}

// ClaimIdeaCard reserves posting idea id's card for the caller, so that a
// submission handled twice posts one card. It reports false when the card
// is posted or being posted.
func (s *Store) ClaimIdeaCard(ctx context.Context, c *Community, id string) (bool, error) {
	return s.claimCard(ctx, s.keys(c).idea(id))
}

// ReleaseIdeaCard gives up a claim of ClaimIdeaCard after Slack refused
// the card, so that it can be posted again.
func (s *Store) ReleaseIdeaCard(ctx context.Context, c *Community, id string) error {
	return s.releaseCard(ctx, s.keys(c).idea(id))
}

// claimCard marks the record in hash key as having its card posted, unless
// it has; releaseCard undoes that. Ideas, drops and seat requests use them.
// Until the card's ts is known, "ts" holds "-<unix ms>", when it was
// claimed: a claim older than cardClaimStale is taken to be of a replica
// that died between claiming and recording the card, and can be claimed
// again by whatever retries the card (the seat requests' and drops jobs). A bare "-"
// (an earlier release's claim) is held for good, as it was then.
func (s *Store) claimCard(ctx context.Context, key string) (bool, error) {
	ok, err := claimCardScript.Run(ctx, s.rdb, []string{key}, unixMS(s.now()), cardClaimStale.Milliseconds()).Int()
	return ok == 1, wrapErr("claim card", err)
}

// cardClaimStale is far longer than posting a card may take (feature.Post
// bounds it at 30 s), so that a slow poster is never taken for a dead one.
const cardClaimStale = 5 * time.Minute

// claimCardScript  KEYS[1] the record's hash  ARGV[1] now (unix ms)  ARGV[2] stale after (ms)
var claimCardScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'ts')
if v then
  local at = string.sub(v, 1, 1) == '-' and tonumber(string.sub(v, 2))
  if not at or at > tonumber(ARGV[1]) - tonumber(ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[1], 'ts', '-' .. ARGV[1])
return 1
`)

// cardPosted reports whether a record's "ts" names its posted card: not
// empty, and not a claim ("-…").
func cardPosted(ts string) bool { return ts != "" && !strings.HasPrefix(ts, "-") }

// cardUnrecorded reports whether a card was claimed for posting and its ts
// never recorded: its post got no answer, or Slack's trouble, or its
// poster died. The job of its feature posts it once the claim is stale.
func cardUnrecorded(ts string) bool { return strings.HasPrefix(ts, "-") }

func (s *Store) releaseCard(ctx context.Context, key string) error {
	return wrapErr("release card", s.rdb.HDel(ctx, key, "ts").Err())
}

// Idea returns one idea (ID case-insensitive).
func (s *Store) Idea(ctx context.Context, c *Community, id string) (*Idea, error) {
	list, err := s.readIdeas(ctx, c, []string{strings.ToUpper(id)})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("engagement: idea %s: %w", id, ErrNoIdea)
	}
	return list[0], nil
}

// Ideas returns every idea of c, most votes first (then newest).
func (s *Store) Ideas(ctx context.Context, c *Community) ([]*Idea, error) {
	ids, err := s.rdb.ZRange(ctx, s.keys(c).ideaAll(), 0, -1).Result()
	if err != nil {
		return nil, wrapErr("ideas", err)
	}
	list, err := s.readIdeas(ctx, c, ids)
	slices.SortStableFunc(list, func(a, b *Idea) int {
		return cmp.Or(cmp.Compare(b.Votes, a.Votes), b.Created.Compare(a.Created), cmp.Compare(a.ID, b.ID))
	})
	return list, err
}

// readIdeas reads the given ideas in two round trips: the ideas, then the
// texts (whose keys are named after the authors read first). Unknown IDs
// are left out.
func (s *Store) readIdeas(ctx context.Context, c *Community, ids []string) ([]*Idea, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	k := s.keys(c)
	start := time.Now()
	defer func() { s.observe("idea_read", time.Since(start), nil) }()
	pipe := s.rdb.Pipeline()
	type reads struct {
		all          *redis.MapStringStringCmd
		votes, staff *redis.IntCmd
	}
	rs := make([]reads, len(ids))
	for i, id := range ids {
		rs[i] = reads{pipe.HGetAll(ctx, k.idea(id)), pipe.SCard(ctx, k.ideaVotes(id)), pipe.SCard(ctx, k.ideaStaffVotes(id))}
	}
	optout := pipe.SMembers(ctx, k.optout())
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, wrapErr("ideas", err)
	}
	var out []*Idea
	texts := s.rdb.Pipeline()
	var textReads []*redis.MapStringStringCmd
	for _, r := range rs {
		h := r.all.Val()
		if len(h) == 0 {
			continue
		}
		i := &Idea{
			IdeaSpec: IdeaSpec{Author: h[ifAuthor], Source: h[ifSource]},
			ID:       h[ifID], Status: h[ifStatus], Note: h[ifNote], MergedInto: h[ifMergedInto],
			Votes: int(r.votes.Val()), StaffVotes: int(r.staff.Val()),
			AuthorOptedOut: slices.Contains(optout.Val(), h[ifAuthor]),
			Channel:        h[ifChannel], TS: h[ifTS], Link: h[ifLink],
		}
		times := map[string]*time.Time{ifCreated: &i.Created, ifUpdated: &i.Updated, ifStatusAt: &i.StatusAt}
		if err := readTimes(h, times, time.UnixMilli); err != nil {
			return nil, fmt.Errorf("engagement: idea %s: %w", i.ID, err)
		}
		out = append(out, i)
		textReads = append(textReads, texts.HGetAll(ctx, k.ideaText(i.ID, i.Author)))
	}
	if len(out) > 0 {
		if _, err := texts.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, wrapErr("ideas", err)
		}
	}
	for n, i := range out {
		i.Title, i.Details = textReads[n].Val()[itTitle], textReads[n].Val()[itDetails]
	}
	return out, nil
}

// IdeaVoteResult is what a vote did to an idea.
type IdeaVoteResult struct {
	Changed    bool   // false: the vote was already there (or not there)
	NotSeated  bool   // refused: the voter holds no seat
	Idea       string // the idea voted on: the one asked for, or the one it was merged into
	Votes      int
	StaffVotes int
}

// VoteIdea adds user's vote to idea id (vote false: takes it back). A vote
// on a merged idea goes to the idea it was merged into.
func (s *Store) VoteIdea(ctx context.Context, c *Community, id, user string, vote bool) (IdeaVoteResult, error) {
	k := s.keys(c)
	v, staff := "0", "0"
	if vote {
		v = "1"
	}
	if c.IsStaff(user) {
		staff = "1"
	}
	id = strings.ToUpper(id)
	for hops := 0; hops < 5; hops++ {
		start := time.Now()
		res, err := voteIdeaScript.Run(ctx, s.rdb, []string{k.idea(id), k.ideaVotes(id), k.ideaStaffVotes(id), k.seats(), k.people()},
			user, v, staff).Slice()
		s.observe("idea_vote", time.Since(start), err)
		if err != nil {
			return IdeaVoteResult{}, fmt.Errorf("engagement: vote on idea %s: %w", id, err)
		}
		code, _ := res[0].(int64)
		votes, _ := res[1].(int64)
		staffVotes, _ := res[2].(int64)
		switch code {
		case 0:
			return IdeaVoteResult{}, fmt.Errorf("engagement: idea %s: %w", id, ErrNoIdea)
		case 5:
			id, _ = res[3].(string)
			continue
		case 6:
			return IdeaVoteResult{NotSeated: true, Idea: id}, nil
		}
		return IdeaVoteResult{Changed: code == 1, Idea: id, Votes: int(votes), StaffVotes: int(staffVotes)}, nil
	}
	return IdeaVoteResult{}, fmt.Errorf("engagement: idea %s: merged too many times over", id)
}

// SetIdeaStatus sets an idea's status and note (staff). It reports whether
// anything changed: setting the same status and note again does not.
func (s *Store) SetIdeaStatus(ctx context.Context, c *Community, id, status, note string) (*Idea, bool, error) {
	if !slices.Contains(IdeaStatuses, status) {
		return nil, false, fmt.Errorf("engagement: idea status %q: %w: want one of %s", status, ErrInvalid, strings.Join(IdeaStatuses, ", "))
	}
	if utf8.RuneCountInString(note) > MaxIdeaDetails {
		return nil, false, fmt.Errorf("engagement: idea note: %w: at most %d characters", ErrInvalid, MaxIdeaDetails)
	}
	id = strings.ToUpper(id)
	n, err := ideaStatusScript.Run(ctx, s.rdb, []string{s.keys(c).idea(id)}, status, note, unixMS(s.now())).Int()
	switch {
	case err != nil:
		return nil, false, fmt.Errorf("engagement: idea %s status: %w", id, err)
	case n == 0:
		return nil, false, fmt.Errorf("engagement: idea %s: %w", id, ErrNoIdea)
	case n == 5:
		return nil, false, fmt.Errorf("engagement: idea %s: %w: it was merged into another idea; set the status there", id, ErrInvalid)
	}
	i, err := s.Idea(ctx, c, id)
	return i, n == 1, err
}

// MergeIdeas merges idea dup into idea kept (staff): dup's voters now vote
// for kept, each counted once. It reports whether this call merged them.
func (s *Store) MergeIdeas(ctx context.Context, c *Community, dup, kept string) (bool, error) {
	dup, kept = strings.ToUpper(dup), strings.ToUpper(kept)
	if dup == kept {
		return false, fmt.Errorf("engagement: merge %s: %w: an idea cannot be merged into itself", dup, ErrInvalid)
	}
	k := s.keys(c)
	n, err := mergeIdeasScript.Run(ctx, s.rdb, []string{k.idea(dup), k.ideaVotes(dup), k.ideaStaffVotes(dup),
		k.idea(kept), k.ideaVotes(kept), k.ideaStaffVotes(kept)}, kept, unixMS(s.now())).Int()
	switch {
	case err != nil:
		return false, fmt.Errorf("engagement: merge %s into %s: %w", dup, kept, err)
	case n == 0:
		return false, fmt.Errorf("engagement: merge %s into %s: %w", dup, kept, ErrNoIdea)
	case n == 5:
		return false, fmt.Errorf("engagement: merge %s into %s: %w: one of them is already merged into another idea", dup, kept, ErrInvalid)
	}
	return n == 1, nil
}

// The idea board's parent post (a community with Ideas: IdeasThread): one
// pinned "Ideas" post in the community channel whose thread holds the
// cards. It is posted on the first idea, once whatever the replicas and
// redeliveries: the caller that claims it posts it, the others wait for
// its ts. Keys are in keys.go.

// IdeaParentClaimTTL is how long a claim to post the parent lasts: longer
// than a post may take, so that two callers never post at once, and short
// enough that a replica dying mid-post does not hold up the ideas for long.
const IdeaParentClaimTTL = 45 * time.Second

// claimIdeaParentScript returns the parent's ts, or claims posting it.
// A parent recorded for another channel (the community's channel was
// changed) counts as none.
//
//	KEYS[1] i:parent  KEYS[2] i:parent:claim
//	ARGV[1] channel  ARGV[2] token  ARGV[3] claim TTL (ms)
//	Returns {ts, 0} when there is a parent, {"", 1} claimed, {"", 0} another caller holds the claim.
var claimIdeaParentScript = redis.NewScript(`
local p = redis.call('HMGET', KEYS[1], 'channel', 'ts')
if p[2] and p[1] == ARGV[1] then return {p[2], 0} end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return {'', 1} end
return {'', 0}
`)

// setIdeaParentScript records the posted parent and frees the claim if the
// caller still holds it (it may have expired and been taken since).
//
//	KEYS[1] i:parent  KEYS[2] i:parent:claim  ARGV[1] channel  ARGV[2] ts  ARGV[3] token
var setIdeaParentScript = redis.NewScript(`
redis.call('HSET', KEYS[1], 'channel', ARGV[1], 'ts', ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 1
`)

// releaseIdeaParentScript frees the claim if the caller holds it.
//
//	KEYS[1] i:parent:claim  ARGV[1] token
var releaseIdeaParentScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
`)

// dropIdeaParentScript forgets the parent at ts, unless another parent
// replaced it since (a late deletion event must not drop the new one).
//
//	KEYS[1] i:parent  ARGV[1] ts
var dropIdeaParentScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'ts') == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
`)

// ClaimIdeaParent returns the ts of c's parent post in c.Channel when there
// is one. Otherwise it claims posting it for token and reports claimed; the
// caller posts it and calls SetIdeaParent, or ReleaseIdeaParent if Slack
// refused it. With neither a parent nor the claim (another caller is
// posting it), ts is "" and claimed false: ask again shortly.
func (s *Store) ClaimIdeaParent(ctx context.Context, c *Community, token string) (ts string, claimed bool, err error) {
	if token == "" {
		return "", false, fmt.Errorf("engagement: idea parent: %w: no claim token", ErrInvalid)
	}
	k := s.keys(c)
	start := time.Now()
	res, err := claimIdeaParentScript.Run(ctx, s.rdb, []string{k.ideaParent(), k.ideaParentClaim()},
		c.Channel, token, IdeaParentClaimTTL.Milliseconds()).Slice()
	s.observe("idea_parent", time.Since(start), err)
	if err != nil {
		return "", false, fmt.Errorf("engagement: idea parent: %w", err)
	}
	ts, _ = res[0].(string)
	n, _ := res[1].(int64)
	return ts, n == 1, nil
}

// SetIdeaParent records ts as c's parent post in c.Channel and frees
// token's claim.
func (s *Store) SetIdeaParent(ctx context.Context, c *Community, ts, token string) error {
	k := s.keys(c)
	err := setIdeaParentScript.Run(ctx, s.rdb, []string{k.ideaParent(), k.ideaParentClaim()}, c.Channel, ts, token).Err()
	return wrapErr("set idea parent", err)
}

// ReleaseIdeaParent frees token's claim without a parent (Slack refused
// the post), so that the next idea tries again.
func (s *Store) ReleaseIdeaParent(ctx context.Context, c *Community, token string) error {
	return wrapErr("release idea parent", releaseIdeaParentScript.Run(ctx, s.rdb, []string{s.keys(c).ideaParentClaim()}, token).Err())
}

// DropIdeaParent forgets c's parent post if it is the one at ts (it was
// deleted, or Slack no longer finds its thread), so that the next idea
// posts a new one. It reports whether it did.
func (s *Store) DropIdeaParent(ctx context.Context, c *Community, ts string) (bool, error) {
	n, err := dropIdeaParentScript.Run(ctx, s.rdb, []string{s.keys(c).ideaParent()}, ts).Int()
	return n == 1, wrapErr("drop idea parent", err)
}
