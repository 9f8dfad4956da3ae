package engagement

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// countingCall is one countingScript call: the counting work of the events
// of one community in a pass (scripts.go). Its arguments are built in place,
// keys apart from the rest, so the hot path allocates per batch rather than
// per event.
type countingCall struct {
	community *Community
	events    int
	keys      []any
	argv      []any // argv[0] is the event count, set when queued; argv[1] the dedupe markers' expiry
	cmd       *redis.Cmd
}

// countingCodes maps the events of a pass to their calls' results.
type countingCodes struct {
	calls []*countingCall
	call  []int // call[j]: index in calls of pending[j]'s call
	pos   []int // pos[j]: pending[j]'s place in that call
}

// code returns the counting code of pending[j] (see scripts.go), or the
// error of the call it was in.
func (c *countingCodes) code(j int) (int64, error) {
	vals, err := c.calls[c.call[j]].cmd.Slice()
	if err != nil {
		return 0, err
	}
	code, _ := vals[c.pos[j]].(int64)
	return code, nil
}

// queueCounting queues one countingScript call per community present in
// events[pending] (a batch usually holds one).
func (s *Store) queueCounting(ctx context.Context, pipe redis.Pipeliner, events []Event, pending []int, markers map[int]string) *countingCodes {
	c := &countingCodes{call: make([]int, len(pending)), pos: make([]int, len(pending))}
	for j, i := range pending {
		e := &events[i]
		n := 0
		for n < len(c.calls) && c.calls[n].community != e.Community {
			n++
		}
		if n == len(c.calls) {
			c.calls = append(c.calls, &countingCall{
				community: e.Community,
				keys:      make([]any, 0, 10*len(pending)),
				argv:      make([]any, 2, 2+16*len(pending)),
			})
		}
		call := c.calls[n]
		c.call[j], c.pos[j] = n, call.events
		call.events++
		s.appendCounting(call, e, markers[i])
	}
	// Redis's clock, not the store's (tests set that one in the past).
	dedupeExpiry := strconv.FormatInt(time.Now().Add(s.dedupeFor).Unix(), 10)
	for _, call := range c.calls {
		call.argv[0], call.argv[1] = strconv.Itoa(call.events), dedupeExpiry
		args := make([]any, 0, 3+len(call.keys)+len(call.argv))
		args = append(args, "evalsha", countingScriptSHA, len(call.keys))
		args = append(append(args, call.keys...), call.argv...)
		call.cmd = redis.NewCmd(ctx, args...)
		call.cmd.SetFirstKeyPos(3) // so a Cluster client routes it without parsing the key count
		_ = pipe.Process(ctx, call.cmd)
	}
	return c
}

// smallArgs are the boxed strings "0".."31": the kinds and the key and
// argument counts of countingScript's per-event headers.
var smallArgs = func() (a [32]any) {
	for i := range a {
		a[i] = strconv.Itoa(i)
	}
	return a
}()

var (
	emptyArg any = ""
	zeroArg  any = "0"
	oneArg   any = "1"
	staffArg any = "s"
)

// appendCounting adds e's counting body to call: its keys, and its header
// (kind, key count, argument count) and arguments. Keys and arguments are
// those the body documents (scripts.go).
func (s *Store) appendCounting(call *countingCall, e *Event, marker string) {
	wk := s.weekKeys(e.Community, e.At)
	k := wk.keys
	switch e.Kind {
	case KindMessage:
		local := e.At.In(e.Community.Location)
		cell := hourFieldArgs[(int(local.Weekday())+6)%7][local.Hour()]
		reply := zeroArg
		pk, answer := wk, zeroArg
		if e.Reply {
			reply = oneArg
			pk, answer = s.answerKeys(e, wk, e.ThreadTS, e.ParentUser)
			if answer == oneArg && e.Community.IsStaff(e.User) {
				answer = staffArg // a staff reply: the staff response times too
			}
		}
		call.keys = append(call.keys,
			k.dedupeHour(e.At), wk.hashArg, wk.postersArg, wk.activeArg, wk.introPendingArg, k.member(e.User), wk.optoutArg, wk.postsArg,
			pk.postsArg, pk.answersArg)
		call.argv = append(call.argv, smallArgs[callMessage], smallArgs[10], smallArgs[13],
			e.ID, wk.expireAtArg, e.User, reply, cell, strconv.FormatInt(e.At.UnixMilli(), 10), threadArg(e.ThreadTS), threadArg(e.TS),
			threadArg(e.ParentUser), unixMicros(e.At), pk.expireAtArg, answer, s.cachedPseudonym(e.Community, e.User))
	case KindReactionAdded:
		pk, may := s.answerKeys(e, wk, e.ItemTS, e.ItemUser)
		me := s.cachedPseudonym(e.Community, e.User)
		call.keys = append(call.keys,
			k.dedupeHour(e.At), wk.hashArg, wk.activeArg, k.reaction(me, e.ItemTS, e.Reaction), wk.optoutArg, pk.postsArg, pk.answersArg, wk.peopleArg)
		call.argv = append(call.argv, smallArgs[callReactionAdded], smallArgs[8], smallArgs[11],
			e.ID, wk.expireAtArg, e.User, wk.weekArg, s.rxTTL, unixMicros(e.At), threadArg(e.ItemUser), pk.expireAtArg, may, e.ItemTS, me)
	case KindReactionRemoved:
		// The week key must be declared even when there is no marker; any
		// key of the community will do, the body does not touch it then.
		weekHash := k.noWeek()
		if marker != "" && !strings.HasPrefix(marker, "x:") { // not a tombstone
			week, _, _ := strings.Cut(marker, "|") // "|p": counted per person too
			weekHash = k.weekNamed(week)
		}
		call.keys = append(call.keys, k.dedupeHour(e.At), k.reaction(s.cachedPseudonym(e.Community, e.User), e.ItemTS, e.Reaction), weekHash)
		call.argv = append(call.argv, smallArgs[callReactionRemoved], smallArgs[3], smallArgs[5],
			e.ID, e.User, marker, unixMicros(e.At), s.rxTTL)
	default: // KindMemberJoined, KindMemberLeft
		field := fieldJoins
		if e.Kind == KindMemberLeft {
			field = fieldLeaves
		}
		call.keys = append(call.keys, k.dedupeHour(e.At), wk.hashArg, wk.peopleArg)
		call.argv = append(call.argv, smallArgs[callTally], smallArgs[3], smallArgs[4], e.ID, wk.expireAtArg, field, e.User)
	}
}
