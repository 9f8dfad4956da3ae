package engagement

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The members of a community's staff user group are read from Slack by
// whichever replica needs them when the shared copy is older than its TTL,
// and kept in Redis (ns:{c}:staffgroup) so that every replica sees the
// same staff.

// StaffGroupCopy is the shared copy of a staff group.
type StaffGroupCopy struct {
	Users    []string
	ReadAt   time.Time // zero if never read
	FailedAt time.Time // the last failed read from Slack, zero if none
}

// StaffGroup returns the shared copy of c's staff group.
func (s *Store) StaffGroup(ctx context.Context, c *Community) (StaffGroupCopy, error) {
	v, err := s.rdb.HMGet(ctx, s.keys(c).staffGroup(), "users", "read_at", "failed_at").Result()
	if err != nil {
		return StaffGroupCopy{}, fmt.Errorf("engagement: staff group: %w", err)
	}
	var g StaffGroupCopy
	if list, _ := v[0].(string); list != "" {
		g.Users = strings.Split(list, ",")
	}
	ms := func(x any) time.Time {
		str, _ := x.(string)
		n, err := strconv.ParseInt(str, 10, 64)
		if err != nil {
			return time.Time{}
		}
		return time.UnixMilli(n)
	}
	g.ReadAt, g.FailedAt = ms(v[1]), ms(v[2])
	return g, nil
}

// StaffGroupFailed records that reading the group from Slack failed, so
// the other replicas do not all try again at once.
func (s *Store) StaffGroupFailed(ctx context.Context, c *Community, at time.Time) error {
	if err := s.rdb.HSet(ctx, s.keys(c).staffGroup(), "failed_at", at.UnixMilli()).Err(); err != nil {
		return fmt.Errorf("engagement: staff group: %w", err)
	}
	return nil
}

// SetStaffGroup stores the staff group's members as just read from Slack.
func (s *Store) SetStaffGroup(ctx context.Context, c *Community, users []string, readAt time.Time) error {
	users = slices.Sorted(slices.Values(users))
	err := s.rdb.HSet(ctx, s.keys(c).staffGroup(), "users", strings.Join(users, ","), "read_at", readAt.UnixMilli()).Err()
	if err != nil {
		return fmt.Errorf("engagement: staff group: %w", err)
	}
	return nil
}
