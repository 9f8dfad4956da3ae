package engagement

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// Seat requests: someone outside the community asks for a seat (from the
// App Home), or a member nominates them; staff approve or decline. An
// approved person takes a seat, or a waitlist place, by the same Lua
// function as a staff invite (members.go), in the same step that records
// the decision: the first decision wins, and nothing can approve a person
// twice or approve and decline at once.

// Request statuses.
const (
	RequestOpen     = "open"
	RequestApproved = "approved"
	RequestDeclined = "declined"
)

// What an approval gave the person (SeatRequest.Outcome).
const (
	RequestSeat     = "seat"     // a free seat, invited by the outbox
	RequestWaitlist = "waitlist" // a place on the waitlist (Position)
	RequestSeated   = "seated"   // they held a seat already
)

// Request limits.
const (
	// MaxRequestText is the most characters of a request's free text.
	MaxRequestText = 300
	// RequestRepeatAfter is how long after a decline the person may ask
	// again.
	RequestRepeatAfter = 30 * 24 * time.Hour
)

// The request hash's fields.
const (
	rfID, rfUser, rfBy, rfStatus, rfToken      = "id", "user", "nominated_by", "status", "token"
	rfCreated, rfDecided, rfDecidedBy          = "created", "decided", "decided_by" // unix ms
	rfOutcome, rfPosition, rfChannel, rfTS     = "outcome", "position", "channel", "ts"
	rfDoneCard, rfDoneUser, rfDoneBy           = "done_card", "done_user", "done_by" // notices done after the decision
	rtAbout                                    = "about"                             // the text hash
	requestHold                                = 2 * time.Minute                     // a card or notice being done is held this long by one replica
	requestMaxSeqRetries                       = 20
	requestMaxListed, requestMaxTaken          = 1000, 50
	requestCodeCreated, requestCodeOpen        = 1, 2
	requestCodeSeated, requestCodeWaiting      = 3, 4
	requestCodeDeclined, requestCodeSeqChanged = 5, -1
)

// SeatRequest is one request for a seat. NominatedBy is "" when the person
// asked themselves. User is "" once the person was forgotten (their text
// is gone too).
type SeatRequest struct {
	ID          string
	User        string
	NominatedBy string
	About       string // their line about themselves, or the nominator's why
	Status      string
	Created     time.Time
	DecidedBy   string
	Decided     time.Time // zero while open
	Outcome     string    // for an approval: RequestSeat, RequestWaitlist or RequestSeated
	Position    int       // the waitlist place an approval gave
	Channel, TS string    // the card in the brand channel ("" until posted; TS "-…" while being posted: claimCard)
	token       string
	done        map[string]bool
}

// Posted reports whether the request's card is up.
func (r *SeatRequest) Posted() bool { return cardPosted(r.TS) }

// Wait is how long the request waited for its decision (0 while open).
func (r *SeatRequest) Wait() time.Duration {
	if r.Decided.IsZero() {
		return 0
	}
	return r.Decided.Sub(r.Created)
}

// RequestRefusal says why a request was not opened.
type RequestRefusal int

const (
	RequestAccepted     RequestRefusal = iota // opened (or the same request again)
	RequestAlreadyOpen                        // the person has an open request (Existing)
	RequestIsSeated                           // they hold a seat
	RequestIsWaiting                          // they are on the waitlist (Position)
	RequestDeclinedLate                       // declined less than RequestRepeatAfter ago (Until)
)

// OpenResult is what OpenRequest did.
type OpenResult struct {
	Refusal  RequestRefusal
	Request  *SeatRequest // the request opened, or the one already open
	Created  bool         // this call opened it (false for the same token again)
	Position int          // RequestIsWaiting: their place
	Until    time.Time    // RequestDeclinedLate: when they may ask again
}

// RequestSpec is a request as asked.
type RequestSpec struct {
	User        string
	NominatedBy string // "" for the person's own request
	About       string
}

// Validate reports the first thing wrong, as a sentence.
func (s RequestSpec) Validate() error {
	switch {
	case !ValidUserID(s.User):
		return invalidf("request: %w: %q is not a user ID", ErrInvalid, s.User)
	case s.NominatedBy != "" && !ValidUserID(s.NominatedBy):
		return invalidf("request: %w: %q is not a user ID", ErrInvalid, s.NominatedBy)
	case s.NominatedBy == s.User:
		return invalidf("request: %w: you cannot nominate yourself; ask for a seat from the app's Home tab instead", ErrInvalid)
	case utf8.RuneCountInString(s.About) > MaxRequestText:
		return invalidf("request: %w: keep the text to %d characters", ErrInvalid, MaxRequestText)
	}
	return nil
}

// openRequestScript opens a request unless the person holds a seat, waits
// for one, has a request open, or was declined less than the repeat delay
// ago. The ID is proposed by the caller (the sequence's next number), so
// that every key is declared: if the sequence moved meanwhile, nothing is
// written and the caller proposes again.
//
//	KEYS: 1 rq:seq 2 rq:all 3 rq:open 4 rq:declined 5 seats 6 waitlist 7 rq:cards 8 rq:<id> 9 rq:<id>:text:<user>
//	ARGV: 1 number proposed 2 ID 3 user 4 nominated by 5 about 6 now (ms) 7 repeat delay (ms) 8 token
//	Returns {code, x}: 1 created, 2 open (x: its ID), 3 seated,
//	4 waiting (x: position), 5 declined (x: declined at, ms), -1 the sequence moved.
var openRequestScript = redis.NewScript(`
local user = ARGV[3]
local open = redis.call('HGET', KEYS[3], user)
if open then return {2, open} end
if redis.call('ZSCORE', KEYS[5], user) then return {3, ''} end
local rank = redis.call('ZRANK', KEYS[6], user)
if rank then return {4, tostring(rank + 1)} end
local declined = redis.call('HGET', KEYS[4], user)
if declined and tonumber(declined) + tonumber(ARGV[7]) > tonumber(ARGV[6]) then return {5, declined} end
if tonumber(redis.call('GET', KEYS[1]) or '0') + 1 ~= tonumber(ARGV[1]) then return {-1, ''} end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[8], 'id', ARGV[2], 'user', user, 'status', 'open', 'created', ARGV[6], 'token', ARGV[8])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[8], 'nominated_by', ARGV[4]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[9], 'about', ARGV[5]) end
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[2])
redis.call('HSET', KEYS[3], user, ARGV[2])
redis.call('ZADD', KEYS[7], ARGV[6], ARGV[2])
return {1, ARGV[2]}
`)

// OpenRequest opens a seat request for spec.User (nominated by
// spec.NominatedBy, if set). token names the asking (a modal's view ID, a
// command's trigger): the same token again finds the request it opened,
// Created false. Refusals are in the result, not errors.
func (s *Store) OpenRequest(ctx context.Context, c *Community, spec RequestSpec, token string) (OpenResult, error) {
	spec.About = strings.TrimSpace(spec.About)
	if err := spec.Validate(); err != nil {
		return OpenResult{}, err
	}
	k := s.keys(c)
	now := s.now()
	for range requestMaxSeqRetries {
		last, err := s.rdb.Get(ctx, k.requestSeq()).Int()
		if err != nil && !errors.Is(err, redis.Nil) {
			return OpenResult{}, wrapErr("open request", err)
		}
		n := last + 1
		id := "R" + strconv.Itoa(n)
		start := time.Now()
		v, err := openRequestScript.Run(ctx, s.rdb, []string{k.requestSeq(), k.requestAll(), k.requestOpen(), k.requestDeclined(),
			k.seats(), k.waitlist(), k.requestCards(), k.request(id), k.requestText(id, spec.User)},
			n, id, spec.User, spec.NominatedBy, spec.About, unixMS(now), RequestRepeatAfter.Milliseconds(), token).Slice()
		s.observe("request_open", time.Since(start), err)
		if err != nil {
			return OpenResult{}, wrapErr("open request", err)
		}
		code, _ := v[0].(int64)
		x, _ := v[1].(string)
		switch code {
		case requestCodeSeqChanged:
			continue
		case requestCodeCreated:
			r, err := s.Request(ctx, c, id)
			return OpenResult{Request: r, Created: true}, err
		case requestCodeOpen:
			r, err := s.Request(ctx, c, x)
			if err == nil && token != "" && r.token == token {
				return OpenResult{Request: r}, nil // the same asking again (a retry): it is open
			}
			return OpenResult{Refusal: RequestAlreadyOpen, Request: r}, err
		case requestCodeSeated:
			return OpenResult{Refusal: RequestIsSeated}, nil
		case requestCodeWaiting:
			pos, _ := strconv.Atoi(x)
			return OpenResult{Refusal: RequestIsWaiting, Position: pos}, nil
		case requestCodeDeclined:
			ms, _ := strconv.ParseInt(x, 10, 64)
			return OpenResult{Refusal: RequestDeclinedLate, Until: time.UnixMilli(ms).Add(RequestRepeatAfter).UTC()}, nil
		}
		return OpenResult{}, fmt.Errorf("engagement: open request: unexpected answer %v", v)
	}
	return OpenResult{}, fmt.Errorf("engagement: open request: the sequence kept moving")
}

// decideRequestScript records staff's decision on an open request, once:
// a request already decided is left as it is and its decision returned.
// An approval gives the person a seat or a waitlist place (invite, in
// luaPromote), in the same step.
//
//	KEYS: 1 rq:<id> 2 rq:open 3 rq:declined 4 rq:cards 5 rq:notify
//	      6 seats 7 waitlist 8 waitlist:since 9 cap 10 outbox 11 invites
//	ARGV: 1 "approve" or "decline" 2 staff user 3 now (ms) 4 default cap 5 ID
//	Returns {code, status, decided_by, decided}: 1 decided now, 2 decided before, 0 no such request.
var decideRequestScript = redis.NewScript(luaPromote + `
local r = redis.call('HMGET', KEYS[1], 'status', 'user', 'decided_by', 'decided')
if not r[1] then return {0, '', '', ''} end
if r[1] ~= 'open' then return {2, r[1], r[3] or '', r[4] or ''} end
local user, now = r[2], ARGV[3]
local status = 'declined'
if ARGV[1] == 'approve' then
  status = 'approved'
  if user then
    local v = invite(KEYS[6], KEYS[7], KEYS[8], KEYS[9], ARGV[4], KEYS[10], KEYS[11], user, now, false)
    local outcome = 'seat'
    if v[1] == 2 then outcome = 'seated' elseif v[1] == 3 then outcome = 'waitlist' end
    redis.call('HSET', KEYS[1], 'outcome', outcome, 'position', v[2])
  end
end
redis.call('HSET', KEYS[1], 'status', status, 'decided_by', ARGV[2], 'decided', now)
if user then
  if redis.call('HGET', KEYS[2], user) == ARGV[5] then redis.call('HDEL', KEYS[2], user) end
  if status == 'declined' then redis.call('HSET', KEYS[3], user, now) else redis.call('HDEL', KEYS[3], user) end
end
redis.call('ZREM', KEYS[4], ARGV[5])
redis.call('ZADD', KEYS[5], now, ARGV[5])
return {1, status, ARGV[2], now}
`)

// Decision is what DecideRequest found or did.
type Decision struct {
	Request *SeatRequest
	Decided bool // this call decided it; false: it was decided before (Request says by whom)
}

// ErrNoRequest is matched by the error for a request ID that is not known.
var ErrNoRequest = errors.New("no such request")

// DecideRequest approves (approve true) or declines request id for staff
// member by. Only the first decision counts: a second, whatever it says,
// changes nothing and reports the first.
func (s *Store) DecideRequest(ctx context.Context, c *Community, id, by string, approve bool) (Decision, error) {
	id = strings.ToUpper(id)
	k := s.keys(c)
	what := "decline"
	if approve {
		what = "approve"
	}
	start := time.Now()
	v, err := decideRequestScript.Run(ctx, s.rdb, []string{k.request(id), k.requestOpen(), k.requestDeclined(), k.requestCards(), k.requestNotify(),
		k.seats(), k.waitlist(), k.waitSince(), k.capKey(), k.outbox(), k.invites()},
		what, by, unixMS(s.now()), c.Cap, id).Slice()
	s.observe("request_decide", time.Since(start), err)
	if err != nil {
		return Decision{}, wrapErr("decide request "+id, err)
	}
	if code, _ := v[0].(int64); code == 0 {
		return Decision{}, fmt.Errorf("engagement: request %s: %w", id, ErrNoRequest)
	} else {
		r, err := s.Request(ctx, c, id)
		return Decision{Request: r, Decided: code == 1}, err
	}
}

// SetRequestCard records where request id's card was posted.
func (s *Store) SetRequestCard(ctx context.Context, c *Community, id, channel, ts string) error {
	k := s.keys(c)
	pipe := s.rdb.TxPipeline()
	pipe.HSet(ctx, k.request(id), rfChannel, channel, rfTS, ts)
	pipe.ZRem(ctx, k.requestCards(), id)
	_, err := pipe.Exec(ctx)
	return wrapErr("request card", err)
}

// ClaimRequestCard reserves posting request id's card for the caller;
// false when it is posted or being posted.
func (s *Store) ClaimRequestCard(ctx context.Context, c *Community, id string) (bool, error) {
	return s.claimCard(ctx, s.keys(c).request(id))
}

// ReleaseRequestCard gives up a claim of ClaimRequestCard after Slack
// refused the card: the job tries again after a while.
func (s *Store) ReleaseRequestCard(ctx context.Context, c *Community, id string) error {
	return s.releaseCard(ctx, s.keys(c).request(id))
}

// takeScript takes up to ARGV[3] members of a zset due by now, holding
// each until ARGV[2] (so that one replica does each at a time).
//
//	KEYS[1] zset  ARGV[1] now (ms)  ARGV[2] held until (ms)  ARGV[3] count
var takeScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], m) end
return due
`)

// TakeRequestCards returns the open requests whose card is still to be
// posted (new ones, and those Slack refused or did not answer before),
// each held from other replicas for a while.
func (s *Store) TakeRequestCards(ctx context.Context, c *Community) ([]string, error) {
	return s.takeRequests(ctx, s.keys(c).requestCards())
}

// TakeRequestNotices returns the decided requests whose card update or
// DMs are still to do, each held from other replicas for a while.
func (s *Store) TakeRequestNotices(ctx context.Context, c *Community) ([]string, error) {
	return s.takeRequests(ctx, s.keys(c).requestNotify())
}

// HoldRequestNotices takes request id's notices for the caller (as
// TakeRequestNotices does for the job), so that the handler that decided
// does them at once and the job does not do them too; false if they are
// done, or held by someone else.
func (s *Store) HoldRequestNotices(ctx context.Context, c *Community, id string) (bool, error) {
	now := s.now()
	n, err := holdScript.Run(ctx, s.rdb, []string{s.keys(c).requestNotify()}, unixMS(now), unixMS(now.Add(requestHold)), id).Int()
	return n == 1, wrapErr("hold request notices", err)
}

// holdScript  KEYS[1] zset  ARGV[1] now (ms)  ARGV[2] held until (ms)  ARGV[3] member
var holdScript = redis.NewScript(`
local due = redis.call('ZSCORE', KEYS[1], ARGV[3])
if not due or tonumber(due) > tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
return 1
`)

func (s *Store) takeRequests(ctx context.Context, key string) ([]string, error) {
	now := s.now()
	ids, err := takeScript.Run(ctx, s.rdb, []string{key}, unixMS(now), unixMS(now.Add(requestHold)), requestMaxTaken).StringSlice()
	return ids, wrapErr("requests due", err)
}

// RetryRequestCard puts request id's card back to be tried again after
// a while: RequestRetrySoon after Slack did not answer or was busy,
// RequestRetryLater after it refused (staff were told; the cause takes a
// person to fix).
func (s *Store) RetryRequestCard(ctx context.Context, c *Community, id string, after time.Duration) error {
	return s.retryRequest(ctx, s.keys(c).requestCards(), id, after)
}

// RetryRequestNotices puts request id's notices back to be tried again
// after a while (those marked done are not done again).
func (s *Store) RetryRequestNotices(ctx context.Context, c *Community, id string, after time.Duration) error {
	return s.retryRequest(ctx, s.keys(c).requestNotify(), id, after)
}

// How long a request's card or notices wait before they are tried again.
const (
	RequestRetrySoon  = 30 * time.Second
	RequestRetryLater = 10 * time.Minute
)

func (s *Store) retryRequest(ctx context.Context, key, id string, after time.Duration) error {
	return wrapErr("retry request", s.rdb.ZAdd(ctx, key, redis.Z{Score: float64(s.now().Add(after).UnixMilli()), Member: id}).Err())
}

// Notices after a decision, each done once (RequestNoticeDone).
const (
	NoticeCard       = rfDoneCard // the card shows the decision
	NoticeUser       = rfDoneUser // the person is DMed
	NoticeNominator  = rfDoneBy   // the nominator is DMed
	requestNoticeAll = 3
)

// NoticeDone reports whether notice n of request r is done.
func (r *SeatRequest) NoticeDone(n string) bool { return r.done[n] }

// RequestNoticeDone marks notice n of request id done; once all are, the
// request leaves the notices to do.
func (s *Store) RequestNoticeDone(ctx context.Context, c *Community, id, n string) error {
	k := s.keys(c)
	err := requestNoticeScript.Run(ctx, s.rdb, []string{k.request(id), k.requestNotify()}, n, id, rfDoneCard, rfDoneUser, rfDoneBy).Err()
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	return wrapErr("request notice", err)
}

// requestNoticeScript  KEYS: 1 rq:<id> 2 rq:notify  ARGV: 1 field done 2 ID 3.. every notice field
var requestNoticeScript = redis.NewScript(`
redis.call('HSET', KEYS[1], ARGV[1], '1')
for i = 3, #ARGV do
  if redis.call('HGET', KEYS[1], ARGV[i]) ~= '1' then return 0 end
end
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
`)

// Request returns request id (case-insensitive).
func (s *Store) Request(ctx context.Context, c *Community, id string) (*SeatRequest, error) {
	list, err := s.readRequests(ctx, c, []string{strings.ToUpper(id)})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("engagement: request %s: %w", id, ErrNoRequest)
	}
	return list[0], nil
}

// OpenRequestOf returns user's open request, or nil.
func (s *Store) OpenRequestOf(ctx context.Context, c *Community, user string) (*SeatRequest, error) {
	id, err := s.rdb.HGet(ctx, s.keys(c).requestOpen(), user).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapErr("open request", err)
	}
	r, err := s.Request(ctx, c, id)
	if errors.Is(err, ErrNoRequest) {
		return nil, nil
	}
	return r, err
}

// DeclinedAt returns when user's last request was declined (zero if never,
// or approved since).
func (s *Store) DeclinedAt(ctx context.Context, c *Community, user string) (time.Time, error) {
	ms, err := s.rdb.HGet(ctx, s.keys(c).requestDeclined(), user).Int64()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, wrapErr("declined", err)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// Requests returns c's requests, newest first (the latest 1000).
func (s *Store) Requests(ctx context.Context, c *Community) ([]*SeatRequest, error) {
	ids, err := s.rdb.ZRevRange(ctx, s.keys(c).requestAll(), 0, requestMaxListed-1).Result()
	if err != nil {
		return nil, wrapErr("requests", err)
	}
	return s.readRequests(ctx, c, ids)
}

// RequestsBetween returns the requests opened, or decided, in [from, to).
func (s *Store) RequestsBetween(ctx context.Context, c *Community, from, to time.Time) ([]*SeatRequest, error) {
	all, err := s.Requests(ctx, c)
	if err != nil {
		return nil, err
	}
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(to) }
	return slices.DeleteFunc(all, func(r *SeatRequest) bool { return !in(r.Created) && !in(r.Decided) }), nil
}

// readRequests reads the given requests in two round trips (the texts'
// keys are named after the users read first). Unknown IDs are left out;
// the order is kept.
func (s *Store) readRequests(ctx context.Context, c *Community, ids []string) ([]*SeatRequest, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	k := s.keys(c)
	start := time.Now()
	defer func() { s.observe("request_read", time.Since(start), nil) }()
	pipe := s.rdb.Pipeline()
	reads := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		reads[i] = pipe.HGetAll(ctx, k.request(id))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, wrapErr("requests", err)
	}
	var out []*SeatRequest
	texts := s.rdb.Pipeline()
	var textReads []*redis.StringCmd
	for _, rd := range reads {
		h := rd.Val()
		if h[rfID] == "" {
			continue
		}
		r := &SeatRequest{ID: h[rfID], User: h[rfUser], NominatedBy: h[rfBy], Status: h[rfStatus], DecidedBy: h[rfDecidedBy],
			Outcome: h[rfOutcome], Channel: h[rfChannel], TS: h[rfTS], token: h[rfToken],
			done: map[string]bool{rfDoneCard: h[rfDoneCard] == "1", rfDoneUser: h[rfDoneUser] == "1", rfDoneBy: h[rfDoneBy] == "1"}}
		r.Position, _ = strconv.Atoi(h[rfPosition])
		if err := readTimes(h, map[string]*time.Time{rfCreated: &r.Created, rfDecided: &r.Decided}, time.UnixMilli); err != nil {
			return nil, fmt.Errorf("engagement: request %s: %w", r.ID, err)
		}
		out = append(out, r)
		if r.User != "" {
			textReads = append(textReads, texts.HGet(ctx, k.requestText(r.ID, r.User), rtAbout))
		} else {
			textReads = append(textReads, nil)
		}
	}
	if texts.Len() > 0 {
		if _, err := texts.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, wrapErr("requests", err)
		}
	}
	for i, r := range out {
		if textReads[i] != nil {
			r.About = textReads[i].Val()
		}
	}
	return out, nil
}

// RequestStats are a period's requests for the digest.
type RequestStats struct {
	Opened       int           // requests and nominations opened in the period
	Approved     int           // approvals decided in the period
	Declined     int           // declines decided in the period
	Open         int           // of those opened in the period, still open at its end
	MedianWait   time.Duration // median time from opening to the decision, of the period's decisions
	DecidedCount int
}

// SeatRequestWeek is the week's seat requests in the digest (KPIs): how
// many were opened, approved and declined, how many of the week's are
// still open, and the median time to a decision.
type SeatRequestWeek struct {
	Opened                int     `json:"opened"`
	Approved              int     `json:"approved"`
	Declined              int     `json:"declined"`
	Open                  int     `json:"open"`
	DecisionMedianSeconds float64 `json:"decision_median_seconds"` // of the week's decisions; 0 without one
}

// seatRequestWeek is the digest's view of [from, to): nil for a week
// without any request opened or decided.
func (s *Store) seatRequestWeek(ctx context.Context, c *Community, from, to time.Time) (*SeatRequestWeek, error) {
	st, err := s.RequestStatsBetween(ctx, c, from, to)
	if err != nil || st.Opened+st.DecidedCount == 0 {
		return nil, err
	}
	return &SeatRequestWeek{Opened: st.Opened, Approved: st.Approved, Declined: st.Declined, Open: st.Open,
		DecisionMedianSeconds: st.MedianWait.Seconds()}, nil
}

// RequestStatsBetween counts c's requests in [from, to).
func (s *Store) RequestStatsBetween(ctx context.Context, c *Community, from, to time.Time) (RequestStats, error) {
	list, err := s.RequestsBetween(ctx, c, from, to)
	if err != nil {
		return RequestStats{}, err
	}
	return requestStats(list, from, to), nil
}

func requestStats(list []*SeatRequest, from, to time.Time) RequestStats {
	var st RequestStats
	var waits []time.Duration
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(to) }
	for _, r := range list {
		if in(r.Created) {
			st.Opened++
			if r.Decided.IsZero() || !r.Decided.Before(to) {
				st.Open++
			}
		}
		if !in(r.Decided) {
			continue
		}
		switch r.Status {
		case RequestApproved:
			st.Approved++
		case RequestDeclined:
			st.Declined++
		}
		waits = append(waits, r.Wait())
	}
	st.DecidedCount = len(waits)
	if len(waits) > 0 {
		slices.Sort(waits)
		n := len(waits)
		st.MedianWait = waits[n/2]
		if n%2 == 0 {
			st.MedianWait = (waits[n/2-1] + waits[n/2]) / 2
		}
	}
	return st
}
