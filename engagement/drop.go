package engagement

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// A drop is early access to a product: the brand offers N units, seated
// members claim them, exactly N claims succeed however many press at once
// (one Lua step decides each press), and everyone after joins the drop's
// own first-come waiting line. A claim released by staff, or not confirmed
// in time when the drop asks winners to confirm, goes to the next in line.
// Keys are in keys.go.

// Drop limits.
const (
	MaxDropQuantity = 10_000
	MaxDropWindow   = 30 * 24 * time.Hour
	MaxDropCooldown = 20 // Community.DropCooldown: the claim step reads this many earlier drops' winners
	MinDropConfirm  = 10 * time.Minute
	MaxDropConfirm  = 14 * 24 * time.Hour
	maxDropName     = 80
	maxDropText     = 1_000
)

// The drop hash's fields: the brand's own text and the drop's state.
const (
	dfID, dfName, dfDetails, dfImage, dfMessage, dfAuthor = "id", "name", "details", "image", "message", "author"
	dfQuantity, dfStatus, dfChannel, dfTS                 = "quantity", "status", "channel", "ts"
	dfOpens, dfCloses, dfClosed, dfSoldOut                = "opens", "closes", "closed", "sold_out" // unix ms
	dfPresses, dfAnnCard, dfAnnSummary, dfShown           = "presses", "ann_card", "ann_summary", "shown"
	dfPrior                                               = "prior"   // the drops before it whose winners wait (DropCooldown), comma-separated
	dfConfirm                                             = "confirm" // DropSpec.ConfirmWithin in ms; 0 or absent: no confirmation asked
)

// DropSpec is what staff fill in to post a drop.
type DropSpec struct {
	Name     string
	Details  string
	ImageURL string // optional, https
	Message  string // DMed to each winner: next steps, e.g. a form link
	Quantity int
	Window   time.Duration // claims are open this long
	// ConfirmWithin, if not zero, is how long a winner has from their DM
	// to press Confirm; a unit not confirmed by then goes to the next in
	// line (confirmation.go). Zero: winners keep their unit.
	ConfirmWithin time.Duration
	Author        string // the staff member posting it
}

// Validate reports the first field that is wrong, as a sentence for the
// person who filled it in.
func (d DropSpec) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("drop: %w: "+format, append([]any{ErrInvalid}, args...)...)
	}
	switch {
	case strings.TrimSpace(d.Name) == "" || utf8.RuneCountInString(d.Name) > maxDropName:
		return bad("the name must have 1 to %d characters", maxDropName)
	case utf8.RuneCountInString(d.Details) > maxDropText || utf8.RuneCountInString(d.Message) > maxDropText:
		return bad("details and the winners' message have at most %d characters each", maxDropText)
	case d.Quantity < 1 || d.Quantity > MaxDropQuantity:
		return bad("the quantity must be 1 to %d", MaxDropQuantity)
	case d.Window < time.Minute || d.Window > MaxDropWindow:
		return bad("claims stay open from a minute to %d days", int(MaxDropWindow/(24*time.Hour)))
	case d.ConfirmWithin != 0 && (d.ConfirmWithin < MinDropConfirm || d.ConfirmWithin > MaxDropConfirm):
		return bad("winners confirm within %d minutes to %d days, or leave it empty", int(MinDropConfirm/time.Minute), int(MaxDropConfirm/(24*time.Hour)))
	}
	if d.ImageURL != "" {
		if u, err := url.Parse(d.ImageURL); err != nil || u.Scheme != "https" || u.Host == "" {
			return bad("the image must be an https:// link")
		}
	}
	return nil
}

// Drop is a posted drop and its state.
type Drop struct {
	DropSpec
	ID        string
	Status    string // "open" or "closed"
	Claimed   int
	Waiting   int
	Confirmed int    // winners who confirmed (drops with ConfirmWithin)
	Channel   string // where its card is, "" until posted
	TS        string
	OpensAt   time.Time
	ClosesAt  time.Time
	ClosedAt  time.Time // zero while open
	SoldOutAt time.Time // when the last unit went, zero if never
	Shown     string    // the Version its card last showed
}

// Version sums up what the drop's card shows: when it is unchanged, so is
// the card.
func (d *Drop) Version() string {
	return fmt.Sprintf("%d/%d/%d/%s", d.Claimed, d.Waiting, d.Confirmed, d.Status)
}

// Posted reports whether the drop's card is up.
func (d *Drop) Posted() bool { return cardPosted(d.TS) }

// Left is how many units can still be claimed.
func (d *Drop) Left() int { return max(d.Quantity-d.Claimed, 0) }

// DropStatus values.
const (
	DropOpen   = "open"
	DropClosed = "closed"
)

// reserveIDScript gives a request token (a modal's view ID) a new ID,
// once: the same token again (a modal submitted twice) gets the same ID,
// and the script that writes the record then finds it already written.
// Drops and ideas use it.
//
//	KEYS[1] <kind>:req:<token>  KEYS[2] <kind>:seq  ARGV[1] request TTL (s)  ARGV[2] the IDs' letter
//	Returns the ID.
var reserveIDScript = redis.NewScript(`
local id = redis.call('GET', KEYS[1])
if id then return id end
id = ARGV[2] .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], id, 'EX', ARGV[1])
return id
`)

// initDropScript writes a reserved drop and opens it, unless it exists.
//
//	KEYS[1] d:<id>  KEYS[2] d:all  KEYS[3] d:due
//	ARGV[1] drop ID  ARGV[2] now (unix ms)  ARGV[3] closes (unix ms)  ARGV[4...] field, value pairs
var initDropScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'status', 'open', 'opens', ARGV[2], 'closes', ARGV[3])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return 1
`)

// claimDropScript is the one step that decides a press of Claim. Winners
// are the claims zset, so "exactly N" is its size, checked and grown in
// the same step; a press after that joins the waiting line in the order
// Redis ran the presses. A second press of a winner or of someone waiting
// changes nothing, so redeliveries and double clicks count once.
//
// With the cooldown rule on (Community.DropCooldown), a winner of one of
// the drops before it (KEYS[8...], their claims) does not take a unit but
// joins the line behind everyone who did not win lately (scores from
// cooledScore up); units still left when claims close go to the line in
// order (closeDropScript).
//
//	KEYS[1] d:<id>  KEYS[2] claims  KEYS[3] wait  KEYS[4] released  KEYS[5] notify
//	KEYS[6] seats  KEYS[7] people  KEYS[8...] the earlier drops' claims
//	ARGV[1] user  ARGV[2] now (unix ms)  ARGV[3] "1" if the user is staff
//	Returns {code, n}: 1 won (n units left), 2 already won, 3 waiting (n = place),
//	4 already waiting (n = place), 5 closed, 6 no seat (or a bot), 7 staff,
//	8 released before, 9 waiting behind those who did not win lately (n = place),
//	0 no such drop.
var claimDropScript = redis.NewScript(luaProtoHelpers + `
local d = redis.call('HMGET', KEYS[1], 'status', 'closes', 'quantity')
if not d[1] then return {0, 0} end
local user, now = ARGV[1], ARGV[2]
if redis.call('ZSCORE', KEYS[2], user) then return {2, 0} end
local place = redis.call('ZRANK', KEYS[3], user)
if place then return {4, place + 1} end
if d[1] ~= 'open' or tonumber(now) >= tonumber(d[2]) then return {5, 0} end
if ARGV[3] == '1' then return {7, 0} end
if not seated(KEYS[6], KEYS[7], user) then return {6, 0} end
if redis.call('SISMEMBER', KEYS[4], user) == 1 then return {8, 0} end
for i = 8, #KEYS do
  if redis.call('ZSCORE', KEYS[i], user) then
    redis.call('ZADD', KEYS[3], ` + cooledScore + ` + redis.call('HINCRBY', KEYS[1], 'presses', 1), user)
    return {9, redis.call('ZRANK', KEYS[3], user) + 1}
  end
end
local qty = tonumber(d[3])
local claimed = redis.call('ZCARD', KEYS[2])
if claimed < qty then
  redis.call('ZADD', KEYS[2], now, user)
  redis.call('ZADD', KEYS[5], now, user)
  if claimed + 1 == qty then redis.call('HSET', KEYS[1], 'sold_out', now) end
  return {1, qty - claimed - 1}
end
redis.call('ZADD', KEYS[3], redis.call('HINCRBY', KEYS[1], 'presses', 1), user)
return {3, redis.call('ZRANK', KEYS[3], user) + 1}
`)

// cooledScore is added to the press number of a member waiting under the
// cooldown rule, which puts them behind every other press (press numbers
// stay far below it).
const cooledScore = "1e12"

// releaseDropScript gives a winner's unit to the first in line who still
// holds a seat (those who lost theirs leave the line), or takes someone
// off the line. The released member cannot claim this drop again.
//
//	KEYS as luaPassOn  ARGV[1] user  ARGV[2] now (unix ms)
//	Returns {code, next}: 1 released (next: who got the unit, "" if nobody),
//	2 taken off the line, 0 neither winner nor waiting, -1 no such drop.
var releaseDropScript = redis.NewScript(luaPassOn + `
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, ''} end
local user, now = ARGV[1], ARGV[2]
if not redis.call('ZSCORE', KEYS[2], user) then
  if redis.call('ZREM', KEYS[3], user) == 1 then return {2, ''} end
  return {0, ''}
end
return {1, pass_on(user, now)}
`)

// luaPassOn defines pass_on(user, now), shared by the scripts that take a
// unit back (a staff release, a confirmation missed): user loses their
// unit for good, and it goes to the first in line who still holds a seat
// (those who lost theirs leave the line). Returns who got it, or an empty
// string.
// The scripts share its KEYS:
//
//	KEYS[1] d:<id>  KEYS[2] claims  KEYS[3] wait  KEYS[4] released  KEYS[5] notify
//	KEYS[6] seats  KEYS[7] people  KEYS[8] pending  KEYS[9] confirmed  KEYS[10] d:confirming
const luaPassOn = luaProtoHelpers + `
local function pass_on(user, now)
  redis.call('ZREM', KEYS[2], user)
  redis.call('ZREM', KEYS[5], user)
  redis.call('ZREM', KEYS[8], user)
  redis.call('SREM', KEYS[9], user)
  redis.call('SADD', KEYS[4], user)
  while true do
    local head = redis.call('ZPOPMIN', KEYS[3])
    if #head == 0 then return '' end
    if seated(KEYS[6], KEYS[7], head[1]) then
      redis.call('ZADD', KEYS[2], now, head[1])
      redis.call('ZADD', KEYS[5], now, head[1])
      return head[1]
    end
  end
end
`

// closeDropScript is the one transition from open to closed: of any number
// of callers (replicas, staff), exactly one gets 1, and the closing is
// queued for announcement.
//
// Units still left (the cooldown rule kept recent winners waiting) go to
// the line in order, to those still seated, who are DMed like any winner.
//
//	KEYS[1] d:<id>  KEYS[2] d:due  KEYS[3] d:announce
//	KEYS[4] claims  KEYS[5] wait  KEYS[6] notify  KEYS[7] seats  KEYS[8] people
//	ARGV[1] now (unix ms)  ARGV[2] "1" to close before the deadline  ARGV[3] drop ID
var closeDropScript = redis.NewScript(luaProtoHelpers + `
local d = redis.call('HMGET', KEYS[1], 'status', 'closes', 'quantity')
if d[1] ~= 'open' then return 0 end
if ARGV[2] ~= '1' and tonumber(d[2]) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'status', 'closed', 'closed', ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[3])
local qty = tonumber(d[3])
while redis.call('ZCARD', KEYS[4]) < qty do
  local head = redis.call('ZPOPMIN', KEYS[5])
  if #head == 0 then break end
  if seated(KEYS[7], KEYS[8], head[1]) then
    redis.call('ZADD', KEYS[4], ARGV[1], head[1])
    redis.call('ZADD', KEYS[6], ARGV[1], head[1])
  end
end
return 1
`)

// takeNoticesScript hands out the winners still to be DMed whose turn has
// come, and pushes each one's next turn ttl ahead: whoever takes a winner
// DMs them, and nobody else does until the ttl passes (then the DM is
// retried, as after a failed send).
//
//	KEYS[1] notify  ARGV[1] now (unix ms)  ARGV[2] ttl (ms)  ARGV[3] at most this many
var takeNoticesScript = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, u in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', tonumber(ARGV[1]) + tonumber(ARGV[2]), u) end
return due
`)

func unixMS(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// requestTTL is how long a request token (a modal's view ID) keeps naming
// the drop or idea it created: longer than any redelivery of a submission.
const requestTTL = 24 * time.Hour

// CreateDrop records a new open drop and returns it. token names the
// request (a modal's view ID, or a fresh value from the command line):
// the same token again returns the drop it created instead of a second one.
func (s *Store) CreateDrop(ctx context.Context, c *Community, spec DropSpec, token string) (*Drop, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if token == "" {
		return nil, fmt.Errorf("engagement: create drop: %w: no request token", ErrInvalid)
	}
	now := s.now()
	k := s.keys(c)
	start := time.Now()
	id, err := reserveIDScript.Run(ctx, s.rdb, []string{k.dropRequest(token), k.dropSeq()}, int(requestTTL/time.Second), "D").Text()
	var prior []string // the drops before it whose winners wait behind the rest
	if err == nil && c.DropCooldown > 0 {
		prior, err = s.rdb.ZRevRange(ctx, k.dropAll(), 0, int64(c.DropCooldown)).Result()
		prior = slices.DeleteFunc(prior, func(p string) bool { return p == id }) // a resubmission: it is in d:all
		prior = prior[:min(len(prior), c.DropCooldown)]
	}
	if err == nil {
		err = initDropScript.Run(ctx, s.rdb, []string{k.drop(id), k.dropAll(), k.dropDue()},
			id, unixMS(now), unixMS(now.Add(spec.Window)),
			dfName, spec.Name, dfDetails, spec.Details, dfImage, spec.ImageURL, dfMessage, spec.Message,
			dfQuantity, spec.Quantity, dfAuthor, spec.Author, dfPrior, strings.Join(prior, ","),
			dfConfirm, spec.ConfirmWithin.Milliseconds()).Err()
	}
	s.observe("drop_create", time.Since(start), err)
	if err != nil {
		return nil, fmt.Errorf("engagement: create drop: %w", err)
	}
	return s.Drop(ctx, c, id)
}

// SetDropCard records where a drop's card was posted.
func (s *Store) SetDropCard(ctx context.Context, c *Community, id, channel, ts string) error {
	if err := s.rdb.HSet(ctx, s.keys(c).drop(id), dfChannel, channel, dfTS, ts).Err(); err != nil {
		return fmt.Errorf("engagement: drop %s card: %w", id, err)
	}
	return nil
}

// ClaimDropCard reserves posting drop id's card for the caller, so that a
// submission handled twice posts one card; false when it is posted or
// being posted.
func (s *Store) ClaimDropCard(ctx context.Context, c *Community, id string) (bool, error) {
	return s.claimCard(ctx, s.keys(c).drop(id))
}

// ReleaseDropCard gives up ClaimDropCard after Slack refused the card.
func (s *Store) ReleaseDropCard(ctx context.Context, c *Community, id string) error {
	return s.releaseCard(ctx, s.keys(c).drop(id))
}

// SetDropShown records the state a drop's card shows (Drop.Version), so
// that a card update that would show the same is skipped.
func (s *Store) SetDropShown(ctx context.Context, c *Community, id, version string) error {
	return wrapErr("drop card", s.rdb.HSet(ctx, s.keys(c).drop(id), dfShown, version).Err())
}

// dropReads are the pipelined reads of one drop.
type dropReads struct {
	all                      *redis.MapStringStringCmd
	claims, waits, confirmed *redis.IntCmd
}

func (s *Store) queueDropReads(ctx context.Context, pipe redis.Pipeliner, c *Community, id string) dropReads {
	k := s.keys(c)
	return dropReads{all: pipe.HGetAll(ctx, k.drop(id)), claims: pipe.ZCard(ctx, k.dropClaims(id)), waits: pipe.ZCard(ctx, k.dropWait(id)),
		confirmed: pipe.SCard(ctx, k.dropConfirmed(id))}
}

func (r dropReads) drop() (*Drop, error) {
	h := r.all.Val()
	if len(h) == 0 {
		return nil, ErrNoDrop
	}
	qty, _ := strconv.Atoi(h[dfQuantity])
	confirm, _ := strconv.ParseInt(h[dfConfirm], 10, 64)
	d := &Drop{
		DropSpec: DropSpec{Name: h[dfName], Details: h[dfDetails], ImageURL: h[dfImage], Message: h[dfMessage],
			Quantity: qty, Author: h[dfAuthor], ConfirmWithin: time.Duration(confirm) * time.Millisecond},
		ID: h[dfID], Status: h[dfStatus], Channel: h[dfChannel], TS: h[dfTS], Shown: h[dfShown],
		Claimed: int(r.claims.Val()), Waiting: int(r.waits.Val()), Confirmed: int(r.confirmed.Val()),
	}
	times := map[string]*time.Time{dfOpens: &d.OpensAt, dfCloses: &d.ClosesAt, dfClosed: &d.ClosedAt, dfSoldOut: &d.SoldOutAt}
	if err := readTimes(h, times, time.UnixMilli); err != nil {
		return nil, fmt.Errorf("drop %s: %w", d.ID, err)
	}
	d.Window = d.ClosesAt.Sub(d.OpensAt)
	return d, nil
}

// readTimes parses the hash fields named in times, integers in the unit
// of fromInt, into the times they point to; a missing field leaves its
// time zero.
func readTimes(h map[string]string, times map[string]*time.Time, fromInt func(int64) time.Time) error {
	for f, t := range times {
		if v := h[f]; v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("field %s: %w", f, err)
			}
			*t = fromInt(n).UTC()
		}
	}
	return nil
}

// Drop returns the drop with the given ID (case-insensitive).
func (s *Store) Drop(ctx context.Context, c *Community, id string) (*Drop, error) {
	id = strings.ToUpper(id)
	pipe := s.rdb.Pipeline()
	r := s.queueDropReads(ctx, pipe, c, id)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("engagement: drop %s: %w", id, err)
	}
	d, err := r.drop()
	if err != nil {
		return nil, fmt.Errorf("engagement: drop %s: %w", id, err)
	}
	return d, nil
}

// Drops returns every drop of c, newest first, in two round trips.
func (s *Store) Drops(ctx context.Context, c *Community) ([]*Drop, error) {
	ids, err := s.rdb.ZRevRange(ctx, s.keys(c).dropAll(), 0, -1).Result()
	if err != nil || len(ids) == 0 {
		return nil, wrapErr("drops", err)
	}
	pipe := s.rdb.Pipeline()
	reads := make([]dropReads, len(ids))
	for i, id := range ids {
		reads[i] = s.queueDropReads(ctx, pipe, c, id)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, wrapErr("drops", err)
	}
	out := make([]*Drop, 0, len(ids))
	for _, r := range reads {
		if d, err := r.drop(); err == nil {
			out = append(out, d)
		}
	}
	return out, nil
}

// OpenDrops counts the open drops of c.
func (s *Store) OpenDrops(ctx context.Context, c *Community) (int64, error) {
	n, err := s.rdb.ZCard(ctx, s.keys(c).dropDue()).Result()
	return n, wrapErr("open drops", err)
}

// wrapErr names what failed, or returns nil.
func wrapErr(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("engagement: %s: %w", what, err)
}

// DropClaim is one winner of a drop. Of a drop asking winners to confirm,
// Confirmed says whether they did, and ConfirmBy is their deadline (zero
// until their DM is sent, and once confirmed).
type DropClaim struct {
	User      string
	At        time.Time
	Confirmed bool
	ConfirmBy time.Time
}

// DropWaiter is one member in a drop's waiting line.
type DropWaiter struct {
	User     string
	Position int // 1 is next
}

// DropPeople lists a drop's winners in the order they won and its waiting
// line in order.
func (s *Store) DropPeople(ctx context.Context, c *Community, id string) ([]DropClaim, []DropWaiter, error) {
	k := s.keys(c)
	id = strings.ToUpper(id)
	pipe := s.rdb.Pipeline()
	claims := pipe.ZRangeWithScores(ctx, k.dropClaims(id), 0, -1)
	waits := pipe.ZRange(ctx, k.dropWait(id), 0, -1)
	confirmed := pipe.SMembersMap(ctx, k.dropConfirmed(id))
	pending := pipe.ZRangeWithScores(ctx, k.dropPending(id), 0, -1)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, nil, wrapErr("drop "+id, err)
	}
	by := make(map[string]time.Time, len(pending.Val()))
	for _, z := range pending.Val() {
		by[z.Member.(string)] = time.UnixMilli(int64(z.Score)).UTC()
	}
	cs := make([]DropClaim, len(claims.Val()))
	for i, z := range claims.Val() {
		u := z.Member.(string)
		_, ok := confirmed.Val()[u]
		cs[i] = DropClaim{User: u, At: time.UnixMilli(int64(z.Score)).UTC(), Confirmed: ok, ConfirmBy: by[u]}
	}
	ws := make([]DropWaiter, len(waits.Val()))
	for i, u := range waits.Val() {
		ws[i] = DropWaiter{User: u, Position: i + 1}
	}
	return cs, ws, nil
}

// ClaimOutcome is what a press of Claim did.
type ClaimOutcome int

// Claim outcomes; the values are the claim script's codes.
const (
	ClaimNoDrop ClaimOutcome = iota
	ClaimWon
	ClaimAlreadyWon
	ClaimWaiting
	ClaimAlreadyWaiting
	ClaimClosed
	ClaimNotSeated
	ClaimStaff
	ClaimReleased
	ClaimCooling // waiting behind those who did not win one of the last drops (Community.DropCooldown)
)

// Refused reports whether the press was turned down (no unit, no place).
func (o ClaimOutcome) Refused() bool {
	return o != ClaimWon && o != ClaimAlreadyWon && o != ClaimWaiting && o != ClaimAlreadyWaiting && o != ClaimCooling
}

// ClaimResult is what a press did: Left units remain after a win; Place is
// the member's place in line while waiting.
type ClaimResult struct {
	Outcome ClaimOutcome
	Left    int
	Place   int
}

// ClaimDrop decides user's press of Claim on drop id, in one step.
func (s *Store) ClaimDrop(ctx context.Context, c *Community, id, user string) (ClaimResult, error) {
	k := s.keys(c)
	id = strings.ToUpper(id)
	staff := "0"
	if c.IsStaff(user) {
		staff = "1"
	}
	start := time.Now()
	keys := s.dropPeopleKeys(k, id)
	prior, err := s.dropPrior(ctx, c, id)
	if err != nil {
		return ClaimResult{}, err
	}
	for _, p := range prior {
		keys = append(keys, k.dropClaims(p))
	}
	res, err := claimDropScript.Run(ctx, s.rdb, keys, user, unixMS(s.now()), staff).Int64Slice()
	s.observe("drop_claim", time.Since(start), err)
	if err != nil {
		return ClaimResult{}, fmt.Errorf("engagement: claim drop %s: %w", id, err)
	}
	r := ClaimResult{Outcome: ClaimOutcome(res[0])}
	switch r.Outcome {
	case ClaimWon:
		r.Left = int(res[1])
	case ClaimWaiting, ClaimAlreadyWaiting, ClaimCooling:
		r.Place = int(res[1])
	case ClaimNoDrop:
		return r, fmt.Errorf("engagement: drop %s: %w", id, ErrNoDrop)
	}
	return r, nil
}

// dropPrior returns the drops before drop id whose winners wait behind
// the rest (none without the cooldown rule). They are fixed when the drop
// is created, so each replica reads them once per drop.
func (s *Store) dropPrior(ctx context.Context, c *Community, id string) ([]string, error) {
	key := s.keys(c).drop(id)
	if v, ok := s.priorDrops.Load(key); ok {
		return v.([]string), nil
	}
	v, err := s.rdb.HMGet(ctx, key, dfID, dfPrior).Result()
	if err != nil {
		return nil, wrapErr("drop "+id, err)
	}
	if v[0] == nil {
		return nil, nil // no such drop (yet): the claim step says so; nothing cached
	}
	str, _ := v[1].(string)
	var prior []string
	if str != "" {
		prior = strings.Split(str, ",")
	}
	s.priorDrops.Store(key, prior)
	return prior, nil
}

// dropPeopleKeys are the keys of the claim script, and the first of
// luaPassOn's.
func (s *Store) dropPeopleKeys(k keys, id string) []string {
	return []string{k.drop(id), k.dropClaims(id), k.dropWait(id), k.dropReleased(id), k.dropNotify(id), k.seats(), k.people()}
}

// passOnKeys are the keys of the scripts using luaPassOn.
func (s *Store) passOnKeys(k keys, id string) []string {
	return append(s.dropPeopleKeys(k, id), k.dropPending(id), k.dropConfirmed(id), k.dropConfirming())
}

// ReleaseResult is what a release did.
type ReleaseResult struct {
	Released bool   // user held a unit and gave it up
	Next     string // who got the unit ("" if nobody was waiting)
	Unqueued bool   // user was waiting and is no longer
}

// ReleaseDrop takes user's unit back and gives it to the next in line, or
// takes user off the line. It fails with ErrNotClaimant if user has neither.
func (s *Store) ReleaseDrop(ctx context.Context, c *Community, id, user string) (ReleaseResult, error) {
	k := s.keys(c)
	id = strings.ToUpper(id)
	start := time.Now()
	res, err := releaseDropScript.Run(ctx, s.rdb, s.passOnKeys(k, id), user, unixMS(s.now())).Slice()
	s.observe("drop_release", time.Since(start), err)
	if err != nil {
		return ReleaseResult{}, fmt.Errorf("engagement: release drop %s: %w", id, err)
	}
	code, _ := res[0].(int64)
	next, _ := res[1].(string)
	switch code {
	case 1:
		return ReleaseResult{Released: true, Next: next}, nil
	case 2:
		return ReleaseResult{Unqueued: true}, nil
	case -1:
		return ReleaseResult{}, fmt.Errorf("engagement: drop %s: %w", id, ErrNoDrop)
	}
	return ReleaseResult{}, fmt.Errorf("engagement: drop %s, user %s: %w", id, user, ErrNotClaimant)
}

// CloseDrop closes an open drop now (staff). It reports whether this call
// closed it.
func (s *Store) CloseDrop(ctx context.Context, c *Community, id string) (bool, error) {
	return s.closeDrop(ctx, c, strings.ToUpper(id), "1")
}

// closeDrop runs closeDropScript; early is "1" to close before the deadline.
func (s *Store) closeDrop(ctx context.Context, c *Community, id, early string) (bool, error) {
	k := s.keys(c)
	n, err := closeDropScript.Run(ctx, s.rdb, []string{k.drop(id), k.dropDue(), k.dropAnnounce(),
		k.dropClaims(id), k.dropWait(id), k.dropNotify(id), k.seats(), k.people()}, unixMS(s.now()), early, id).Int()
	if err != nil {
		return false, fmt.Errorf("engagement: close drop %s: %w", id, err)
	}
	return n == 1, nil
}

// CloseDueDrops closes every open drop of c whose window has passed and
// returns the IDs this call closed (exactly one caller closes each).
func (s *Store) CloseDueDrops(ctx context.Context, c *Community) ([]string, error) {
	return s.closeDue(ctx, s.keys(c).dropDue(), unixMS(s.now()), "drops", func(id string) (bool, error) {
		return s.closeDrop(ctx, c, id, "0")
	})
}

// closeDue calls closeOne for each member of the due zset scored up to now
// (prototypes and drops alike) and returns those it closed.
func (s *Store) closeDue(ctx context.Context, dueKey, now, what string, closeOne func(string) (bool, error)) ([]string, error) {
	due, err := s.rdb.ZRangeByScore(ctx, dueKey, &redis.ZRangeBy{Min: "-inf", Max: now}).Result()
	if err != nil {
		return nil, fmt.Errorf("engagement: due %s: %w", what, err)
	}
	var closed []string
	for _, m := range due {
		ok, err := closeOne(m)
		if err != nil {
			return closed, err
		}
		if ok {
			closed = append(closed, m)
		}
	}
	return closed, nil
}

// TakeDropNotices returns up to limit winners of drop id still to be DMed,
// each taken for ttl: the caller DMs them and calls DropNoticeSent; one it
// fails to DM is handed out again once ttl has passed.
func (s *Store) TakeDropNotices(ctx context.Context, c *Community, id string, ttl time.Duration, limit int) ([]string, error) {
	users, err := takeNoticesScript.Run(ctx, s.rdb, []string{s.keys(c).dropNotify(id)},
		unixMS(s.now()), ttl.Milliseconds(), limit).StringSlice()
	return users, wrapErr("drop notices", err)
}

// DropsWithNotices returns the drops that still have winners to DM.
func (s *Store) DropsWithNotices(ctx context.Context, c *Community) ([]string, error) {
	ids, err := s.rdb.ZRange(ctx, s.keys(c).dropAll(), 0, -1).Result()
	if err != nil {
		return nil, wrapErr("drops", err)
	}
	pipe := s.rdb.Pipeline()
	n := make([]*redis.IntCmd, len(ids))
	for i, id := range ids {
		n[i] = pipe.ZCard(ctx, s.keys(c).dropNotify(id))
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, wrapErr("drops", err)
		}
	}
	var out []string
	for i, id := range ids {
		if n[i].Val() > 0 {
			out = append(out, id)
		}
	}
	return out, nil
}

// TakeCardTurn reports whether the caller may update drop id's card now:
// at most one caller a second gets true, across replicas (Slack allows
// about one chat.update a second per message). The second is measured by
// Redis. Otherwise it returns how long until the next turn.
func (s *Store) TakeCardTurn(ctx context.Context, c *Community, id string) (bool, time.Duration, error) {
	return s.takeCardTurn(ctx, s.keys(c).dropCard(id), "drop card")
}

// TakeIdeaCardTurn is TakeCardTurn for idea id's card.
func (s *Store) TakeIdeaCardTurn(ctx context.Context, c *Community, id string) (bool, time.Duration, error) {
	return s.takeCardTurn(ctx, s.keys(c).ideaCard(strings.ToUpper(id)), "idea card")
}

func (s *Store) takeCardTurn(ctx context.Context, key, what string) (bool, time.Duration, error) {
	wait, err := cardTurnScript.Run(ctx, s.rdb, []string{key}, time.Second.Milliseconds()).Int64()
	if err != nil {
		return false, 0, wrapErr(what, err)
	}
	return wait == 0, max(time.Duration(wait)*time.Millisecond, 0), nil
}

// cardTurnScript hands out a card's next turn: the key holds when the
// next turn begins by Redis's clock (TIME), so that every replica measures
// the same second. The key expires too, but the decision does not wait
// for that (an embedded Redis of the sandbox expires keys late).
//
//	KEYS[1] the card's turn  ARGV[1] the gap between turns (ms)
//	Returns 0 (the turn is the caller's) or the ms until the next turn.
var cardTurnScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = tonumber(redis.call('GET', KEYS[1]) or '0')
if now < due then return due - now end
redis.call('SET', KEYS[1], now + tonumber(ARGV[1]), 'PX', 2 * tonumber(ARGV[1]))
return 0
`)

// ClaimDropAnnouncements returns the IDs of closed drops of c whose closing
// is not yet announced, each claimed for holder for ttl.
func (s *Store) ClaimDropAnnouncements(ctx context.Context, c *Community, holder string, ttl time.Duration) ([]DropAnnouncement, error) {
	k := s.keys(c)
	ids, err := s.rdb.ZRange(ctx, k.dropAnnounce(), 0, -1).Result()
	if err != nil {
		return nil, wrapErr("drop announcements", err)
	}
	var out []DropAnnouncement
	for _, id := range ids {
		ok, err := s.rdb.SetNX(ctx, k.dropAnnounceClaim(id), holder, ttl).Result()
		if err != nil {
			return out, wrapErr("drop announcements", err)
		}
		if !ok {
			continue
		}
		v, err := s.rdb.HMGet(ctx, k.drop(id), dfAnnCard, dfAnnSummary).Result()
		if err != nil {
			return out, wrapErr("drop announcements", err)
		}
		a := DropAnnouncement{ID: id, CardUpdated: v[0] == "1"}
		a.SummaryTS, _ = v[1].(string)
		out = append(out, a)
	}
	return out, nil
}

// DropAnnouncement is what remains to announce of a closed drop.
type DropAnnouncement struct {
	ID          string
	CardUpdated bool   // the card shows the final count
	SummaryTS   string // the claimants' list in the brand channel, "" until posted ("-": no brand channel)
}

// MarkDropAnnounced records a step of a drop's announcement: the card
// updated (summaryTS "") or the claimants' list posted as summaryTS.
func (s *Store) MarkDropAnnounced(ctx context.Context, c *Community, id, summaryTS string) error {
	f, v := dfAnnCard, "1"
	if summaryTS != "" {
		f, v = dfAnnSummary, summaryTS
	}
	return wrapErr("drop announcement", s.rdb.HSet(ctx, s.keys(c).drop(id), f, v).Err())
}

// FinishDropAnnouncement takes an announced drop off the queue. With done
// false it only frees the claim, for another try.
func (s *Store) FinishDropAnnouncement(ctx context.Context, c *Community, id string, done bool) error {
	k := s.keys(c)
	pipe := s.rdb.TxPipeline()
	if done {
		pipe.ZRem(ctx, k.dropAnnounce(), id)
	}
	pipe.Del(ctx, k.dropAnnounceClaim(id))
	_, err := pipe.Exec(ctx)
	return wrapErr("drop announcement", err)
}

// UnpostedDrops returns the open drops of c whose card was claimed for
// posting but never recorded (the replica posting it died): the drops job
// posts them once the claim has gone stale (claimCard). A drop whose card
// Slack refused is not among them: its poster was told, and the job would
// only be refused again.
func (s *Store) UnpostedDrops(ctx context.Context, c *Community) ([]string, error) {
	k := s.keys(c)
	ids, err := s.rdb.ZRange(ctx, k.dropDue(), 0, -1).Result()
	if err != nil || len(ids) == 0 {
		return nil, wrapErr("open drops", err)
	}
	pipe := s.rdb.Pipeline()
	ts := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		ts[i] = pipe.HGet(ctx, k.drop(id), dfTS)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, wrapErr("open drops", err)
	}
	var out []string
	for i, id := range ids {
		if cardUnrecorded(ts[i].Val()) {
			out = append(out, id)
		}
	}
	return out, nil
}
