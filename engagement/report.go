package engagement

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Report is one community-week's figures. Its JSON form is the output of
// `closeknit report --json`; field names are a stable contract.
type Report struct {
	Community          string         `json:"community"`
	Channel            string         `json:"channel"`
	Timezone           string         `json:"timezone"`
	Week               string         `json:"week"`
	Start              time.Time      `json:"start"`
	Messages           int64          `json:"messages"` // top-level posts and thread replies
	ThreadReplies      int64          `json:"thread_replies"`
	Reactions          int64          `json:"reactions"` // net of removals
	ActivePosters      int64          `json:"active_posters"`
	ActiveParticipants int64          `json:"active_participants"` // posted or reacted
	Joins              int64          `json:"joins"`
	Leaves             int64          `json:"leaves"`
	Members            []MemberCounts `json:"members"`    // most messages first
	ByWeekday          [7]int64       `json:"by_weekday"` // Monday first
	ByHour             [24]int64      `json:"by_hour"`    // local hour 0-23
}

// MemberCounts is one member's share of a week.
type MemberCounts struct {
	User          string `json:"user"`
	Messages      int64  `json:"messages"`
	ThreadReplies int64  `json:"thread_replies"`
	Reactions     int64  `json:"reactions"`
}

// Report reads the figures of week w for community c. A week with no
// activity (or one past retention) is a report of zeros, not an error.
func (s *Store) Report(ctx context.Context, c *Community, w Week) (*Report, error) {
	k := s.keys(c)
	start := time.Now()
	pipe := s.rdb.Pipeline()
	all := pipe.HGetAll(ctx, k.week(w))
	perMember := pipe.HGetAll(ctx, k.members(w))
	posters := pipe.SCard(ctx, k.posters(w))
	active := pipe.SCard(ctx, k.active(w))
	_, err := pipe.Exec(ctx)
	s.observe("report", time.Since(start), err)
	if err != nil && err != redis.Nil {
		return nil, fmt.Errorf("engagement: report %s %s: %w", c.ID, w, err)
	}
	r := &Report{
		Community:          c.ID,
		Channel:            c.Channel,
		Timezone:           c.Location.String(),
		Week:               w.String(),
		Start:              w.Start(c.Location),
		ActivePosters:      posters.Val(),
		ActiveParticipants: active.Val(),
		Members:            []MemberCounts{},
	}
	members := map[string]*MemberCounts{}
	// count adds n to counter of user: a week counted across an upgrade
	// has some of its member counters in the members hash and some in the
	// week hash ("m:<user>:<counter>", earlier releases).
	count := func(user, counter string, n int64) {
		m := members[user]
		if m == nil {
			m = &MemberCounts{User: user}
			members[user] = m
		}
		switch counter {
		case fieldMessages:
			m.Messages += n
		case fieldThreadReplies:
			m.ThreadReplies += n
		case fieldReactions:
			m.Reactions += n
		}
	}
	for f, v := range perMember.Val() {
		user, counter, ok := strings.Cut(f, ":")
		if !ok {
			continue // the encoding field (scripts.go)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("engagement: report %s %s: member field %s: %w", c.ID, w, f, err)
		}
		count(user, counter, n)
	}
	for f, v := range all.Val() {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("engagement: report %s %s: field %s: %w", c.ID, w, f, err)
		}
		switch {
		case f == fieldMessages:
			r.Messages = n
		case f == fieldThreadReplies:
			r.ThreadReplies = n
		case f == fieldReactions:
			r.Reactions = n
		case f == fieldJoins:
			r.Joins = n
		case f == fieldLeaves:
			r.Leaves = n
		case strings.HasPrefix(f, hourPrefix):
			var d, h int
			if _, err := fmt.Sscanf(f, "h:%d:%d", &d, &h); err == nil && d >= 1 && d <= 7 && h >= 0 && h < 24 {
				r.ByWeekday[d-1] += n
				r.ByHour[h] += n
			}
		case strings.HasPrefix(f, memberPrefix):
			if user, counter, ok := strings.Cut(f[len(memberPrefix):], ":"); ok {
				count(user, counter, n)
			}
		}
	}
	for _, m := range members {
		if m.Messages != 0 || m.ThreadReplies != 0 || m.Reactions != 0 {
			r.Members = append(r.Members, *m)
		}
	}
	slices.SortFunc(r.Members, func(a, b MemberCounts) int {
		return cmp.Or(cmp.Compare(b.Messages, a.Messages), cmp.Compare(b.Reactions, a.Reactions), strings.Compare(a.User, b.User))
	})
	return r, nil
}
