package engagement

import "context"

// SeatedCount is the number of seated members that feedback yield is
// computed against. Until the roster (issue 3) lands it is unknown (0),
// and Prototypes reports a yield of 0.
func (s *Store) SeatedCount(ctx context.Context, c *Community) (int, error) {
	return 0, nil
}
