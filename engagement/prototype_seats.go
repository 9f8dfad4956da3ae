package engagement

import (
	"context"
	"fmt"
	"time"
)

// SeatedCount is the number of seated members (the roster's seats), what
// feedback yield is computed against.
func (s *Store) SeatedCount(ctx context.Context, c *Community) (int, error) {
	start := time.Now()
	n, err := s.rdb.ZCard(ctx, s.keys(c).seats()).Result()
	s.observe("seated", time.Since(start), err)
	if err != nil {
		return 0, fmt.Errorf("engagement: seated members of %s: %w", c.ID, err)
	}
	return int(n), nil
}
