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
	events    int   // the other events, after the lean messages
	keys      []any
	argv      []any // the call's arguments, then the other events'; argv[0], [6], [7] set when queued
	top, rep  leanColumns
	cmd       *redis.Cmd
}

// leanColumns are the columns of countingScript's lean messages (leanBody):
// the IDs, users and ts of every lean message, and for the replies their
// times, parents' authors and answer flags.
type leanColumns struct {
	ids, users, ts, micros, parents, flags []any
}

// newLeanColumns makes columns for up to n messages in one allocation: a
// batch is usually one call, and growing nine slices by appends cost more
// allocations than its events.
func newLeanColumns(n int) leanColumns {
	all := make([]any, 0, 6*n)
	col := func(i int) []any { return all[i*n : i*n : (i+1)*n] }
	return leanColumns{ids: col(0), users: col(1), ts: col(2), micros: col(3), parents: col(4), flags: col(5)}
}

// maxLean caps a call's lean messages, which the script unpacks onto Lua's
// stack (8,000 slots); a batch beyond it sends the rest as other events.
const maxLean = 2000

// Sections of a call's result: the lean posts', the lean replies', then
// the other events' codes.
const (
	secTop = iota
	secRep
	secOther
)

// countingCodes maps the events of a pass to their calls' results.
type countingCodes struct {
	calls []*countingCall
	call  []int // call[j]: index in calls of pending[j]'s call
	pos   []int // pos[j]: pending[j]'s place in that call's result
	sec   []int // sec[j]: the section pending[j] is in (secTop…), until queued
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
// with a half-hour offset). Messages go in the lean columns unless full
// names them: the script asked for them in the other events' layout.
func (s *Store) queueCounting(ctx context.Context, pipe redis.Pipeliner, events []Event, pending []int, markers map[int]string, full map[int]bool) *countingCodes {
	c := &countingCodes{call: make([]int, len(pending)), pos: make([]int, len(pending)), sec: make([]int, len(pending))}
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
				keys: make([]any, 0, 10),
				argv: make([]any, 0, 8),
				top:  newLeanColumns(len(pending)),
				rep:  newLeanColumns(len(pending)),
			}
			call.keys = append(call.keys, wk.keys.dedupeHour(e.At), wk.hashArg, wk.postersArg, wk.activeArg,
				wk.introPendingArg, wk.optoutArg, wk.postsArg, wk.answersArg, wk.peopleArg, wk.membersArg)
			call.argv = append(call.argv, nil, dedupeExpiry, wk.expireAtArg, wk.weekArg, s.rxTTL, cell, nil, nil)
			c.calls = append(c.calls, call)
		}
		call := c.calls[n]
		c.call[j] = n
		if sec, ok := s.appendLean(call, wk, e, full[i]); ok {
			c.sec[j] = sec
			if sec == secTop {
				c.pos[j] = len(call.top.ids) - 1
			} else {
				c.pos[j] = len(call.rep.ids) - 1
			}
			continue
		}
		c.sec[j], c.pos[j] = secOther, call.events
		call.events++
		s.appendCounting(call, wk, e, markers[i])
	}
	for j := range pending {
		call := c.calls[c.call[j]]
		switch c.sec[j] {
		case secRep:
			c.pos[j] += len(call.top.ids)
		case secOther:
			c.pos[j] += len(call.top.ids) + len(call.rep.ids)
		}
	}
	for _, call := range c.calls {
		call.argv[0], call.argv[6], call.argv[7] = strconv.Itoa(call.events), strconv.Itoa(len(call.top.ids)), strconv.Itoa(len(call.rep.ids))
		lean := len(call.top.ids) + len(call.rep.ids)
		args := make([]any, 0, 3+len(call.keys)+8+3*lean+3*len(call.rep.ids)+len(call.argv)-8)
		args = append(args, "evalsha", countingScriptSHA, len(call.keys))
		args = append(append(args, call.keys...), call.argv[:8]...)
		args = append(append(args, call.top.ids...), call.rep.ids...)
		args = append(append(args, call.top.users...), call.rep.users...)
		args = append(append(args, call.top.ts...), call.rep.ts...)
		args = append(append(append(args, call.rep.micros...), call.rep.parents...), call.rep.flags...)
		args = append(args, call.argv[8:]...)
		call.cmd = redis.NewCmd(ctx, args...)
		call.cmd.SetFirstKeyPos(3) // so a Cluster client routes it without parsing the key count
		_ = pipe.Process(ctx, call.cmd)
	}
	return c
}

// appendLean adds e to call's lean columns if it is a message the lean
// body counts: a top-level post, or a thread reply to a post of the call's
// week, that full does not send in the other layout. It returns the
// section it went to.
func (s *Store) appendLean(call *countingCall, wk *weekKeys, e *Event, full bool) (int, bool) {
	if e.Kind != KindMessage || full || s.noLean || len(call.top.ids)+len(call.rep.ids) >= maxLean {
		return 0, false
	}
	if !e.Reply {
		call.top.ids = append(call.top.ids, e.ID)
		call.top.users = append(call.top.users, e.User)
		call.top.ts = append(call.top.ts, threadArg(e.TS))
		return secTop, true
	}
	pk, answer := s.replyAnswer(e, wk)
	if pk != wk {
		return 0, false
	}
	call.rep.ids = append(call.rep.ids, e.ID)
	call.rep.users = append(call.rep.users, e.User)
	call.rep.ts = append(call.rep.ts, threadArg(e.ThreadTS))
	call.rep.micros = append(call.rep.micros, unixMicros(e.At))
	call.rep.parents = append(call.rep.parents, threadArg(e.ParentUser))
	call.rep.flags = append(call.rep.flags, answer)
	return secRep, true
}

// replyAnswer is answerKeys for thread reply e, its flag "s" when staff
// wrote it: the staff response times count it too.
func (s *Store) replyAnswer(e *Event, wk *weekKeys) (*weekKeys, any) {
	pk, answer := s.answerKeys(e, wk, e.ThreadTS, e.ParentUser)
	if answer == oneArg && e.Community.IsStaff(e.User) {
		answer = staffArg
	}
	return pk, answer
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
		pk, answer := s.replyAnswer(e, wk)
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
