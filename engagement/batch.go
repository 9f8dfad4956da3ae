package engagement

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// countingCall is one countingScript call: the counting work of the events
// of one community, week and hour in a pass (scripts.go). Its arguments are
// built in place, keys apart from the rest, so the hot path allocates per
// batch rather than per event.
type countingCall struct {
	community *Community
	week      Week
	hour      int64 // unix hours: the dedupe hash
	cell      any   // the hour-of-week field of the hour in the community's zone
	events    int
	keys      []any
	argv      []any // argv[0] is the event count, set when queued
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

// queueCounting queues one countingScript call per community, week, hour
// and hour of the week present in events[pending] (a batch usually holds
// one; the hour of the week differs within one UTC hour only in a zone
// with a half-hour offset).
func (s *Store) queueCounting(ctx context.Context, pipe redis.Pipeliner, events []Event, pending []int, markers map[int]string) *countingCodes {
	c := &countingCodes{call: make([]int, len(pending)), pos: make([]int, len(pending))}
	// Redis's clock, not the store's (tests set that one in the past).
	dedupeExpiry := strconv.FormatInt(time.Now().Add(s.dedupeFor).Unix(), 10)
	for j, i := range pending {
		e := &events[i]
		wk := s.weekKeys(e.Community, e.At)
		hour := e.At.Unix() / 3600
		local := e.At.In(e.Community.Location)
		cell := hourFieldArgs[(int(local.Weekday())+6)%7][local.Hour()]
		n := 0
		for n < len(c.calls) && (c.calls[n].community != e.Community || c.calls[n].week != wk.week ||
			c.calls[n].hour != hour || c.calls[n].cell != cell) {
			n++
		}
		if n == len(c.calls) {
			call := &countingCall{
				community: e.Community, week: wk.week, hour: hour, cell: cell,
				keys: make([]any, 0, 10+2*len(pending)),
				argv: make([]any, 0, 6+8*len(pending)),
			}
			call.keys = append(call.keys, wk.keys.dedupeHour(e.At), wk.hashArg, wk.postersArg, wk.activeArg,
				wk.introPendingArg, wk.optoutArg, wk.postsArg, wk.answersArg, wk.peopleArg, wk.membersArg)
			call.argv = append(call.argv, nil, dedupeExpiry, wk.expireAtArg, wk.weekArg, s.rxTTL, cell)
			c.calls = append(c.calls, call)
		}
		call := c.calls[n]
		c.call[j], c.pos[j] = n, call.events
		call.events++
		s.appendCounting(call, wk, e, markers[i])
	}
	for _, call := range c.calls {
		call.argv[0] = strconv.Itoa(call.events)
		args := make([]any, 0, 3+len(call.keys)+len(call.argv))
		args = append(args, "evalsha", countingScriptSHA, len(call.keys))
		args = append(append(args, call.keys...), call.argv...)
		call.cmd = redis.NewCmd(ctx, args...)
		call.cmd.SetFirstKeyPos(3) // so a Cluster client routes it without parsing the key count
		_ = pipe.Process(ctx, call.cmd)
	}
	return c
}

// kindArgs are the boxed kinds of countingScript's events.
var kindArgs = func() (a [8]any) {
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

// appendCounting adds e's part to call: its kind, keys and arguments, those
// its body documents (scripts.go). wk holds the keys of e's week, the
// call's.
func (s *Store) appendCounting(call *countingCall, wk *weekKeys, e *Event, marker string) {
	k := wk.keys
	switch e.Kind {
	case KindMessage:
		if !e.Reply {
			call.keys = append(call.keys, k.member(e.User))
			call.argv = append(call.argv, kindArgs[callMessage], e.ID, e.User, threadArg(e.TS), unixMicros(e.At),
				s.cachedPseudonym(e.Community, e.User))
			return
		}
		pk, answer := s.answerKeys(e, wk, e.ThreadTS, e.ParentUser)
		if answer == oneArg && e.Community.IsStaff(e.User) {
			answer = staffArg // a staff reply: the staff response times too
		}
		kind := kindArgs[callReply]
		call.keys = append(call.keys, k.member(e.User))
		if pk != wk {
			kind = kindArgs[callReplyOther]
			call.keys = append(call.keys, pk.postsArg, pk.answersArg)
		}
		call.argv = append(call.argv, kind, e.ID, e.User, threadArg(e.ThreadTS), unixMicros(e.At),
			s.cachedPseudonym(e.Community, e.User), threadArg(e.ParentUser), answer)
		if pk != wk {
			call.argv = append(call.argv, pk.expireAtArg)
		}
	case KindReactionAdded:
		pk, may := s.answerKeys(e, wk, e.ItemTS, e.ItemUser)
		me := s.cachedPseudonym(e.Community, e.User)
		kind := kindArgs[callReactionAdded]
		call.keys = append(call.keys, k.reaction(me, e.ItemTS, e.Reaction))
		if pk != wk {
			kind = kindArgs[callReactionOther]
			call.keys = append(call.keys, pk.postsArg, pk.answersArg)
		}
		call.argv = append(call.argv, kind, e.ID, e.User, unixMicros(e.At), threadArg(e.ItemUser), may, e.ItemTS, me)
		if pk != wk {
			call.argv = append(call.argv, pk.expireAtArg)
		}
	case KindReactionRemoved:
		// The week's keys must be declared even when there is no marker; any
		// key of the community will do, the body does not touch them then.
		weekHash, membersHash := k.noWeek(), k.noWeek()
		if marker != "" && !strings.HasPrefix(marker, "x:") { // not a tombstone
			week, _, _ := strings.Cut(marker, "|") // "|p": counted per person too
			weekHash, membersHash = k.weekNamed(week), k.membersNamed(week)
		}
		call.keys = append(call.keys, k.reaction(s.cachedPseudonym(e.Community, e.User), e.ItemTS, e.Reaction),
			weekHash, membersHash)
		call.argv = append(call.argv, kindArgs[callReactionRemoved], e.ID, e.User, marker, unixMicros(e.At))
	default: // KindMemberJoined, KindMemberLeft
		field := fieldJoins
		if e.Kind == KindMemberLeft {
			field = fieldLeaves
		}
		call.argv = append(call.argv, kindArgs[callTally], e.ID, field, e.User)
	}
}
