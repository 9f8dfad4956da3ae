package engagement

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The members of a community's staff user group are read from Slack by
// whichever replica needs them when the shared copy is older than its TTL,
// and kept in Redis so that every replica sees the same staff:
//
//	ns:{c}:staffgroup   hash   users (comma-separated), read_at (unix ms)

func (k keys) staffGroup() string { return k.prefix + "staffgroup" }

// StaffGroup returns the shared copy of c's staff group and when it was
// read from Slack; ok is false if there is none.
func (s *Store) StaffGroup(ctx context.Context, c *Community) (users []string, readAt time.Time, ok bool, err error) {
	v, err := s.rdb.HMGet(ctx, s.keys(c).staffGroup(), "users", "read_at").Result()
	if err != nil {
		return nil, time.Time{}, false, fmt.Errorf("engagement: staff group: %w", err)
	}
	list, _ := v[0].(string)
	at, _ := v[1].(string)
	ms, perr := strconv.ParseInt(at, 10, 64)
	if perr != nil {
		return nil, time.Time{}, false, nil
	}
	if list != "" {
		users = strings.Split(list, ",")
	}
	return users, time.UnixMilli(ms), true, nil
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

// ErrStaffUnknown is returned where staff must be known but the staff
// user group could not be read.
var ErrStaffUnknown = errors.New("the staff user group could not be read")
