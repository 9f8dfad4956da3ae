package engagement

import (
	"context"
	"time"
)

// eventClaimTTL outlasts Slack's last redelivery of an event (about 5 min
// after the first delivery).
const eventClaimTTL = time.Hour

// ClaimEvent marks an event as handled and reports whether this call was
// the first to do so. It is for events that are answered rather than
// counted (a direct message to the app): a redelivery, on any replica, is
// then not answered twice. Such an event is never counted (Record keeps
// its markers in hourly hashes, keys.go). c is the community whose keys
// hold the marker (any one, as long as it is always the same).
func (s *Store) ClaimEvent(ctx context.Context, c *Community, eventID string) (bool, error) {
	start := time.Now()
	first, err := s.rdb.SetNX(ctx, s.keys(c).dedupe(eventID), "1", eventClaimTTL).Result()
	s.observe("claim_event", time.Since(start), err)
	return first, err
}
