package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/closeknit/closeknit/engagement"
)

// loadDigest checks the digest settings into c. Empty values (settings not
// bound to flags) take the defaults.
func (s *settings) loadDigest(c *config) error {
	if s.digestAt == "" {
		s.digestAt = engagement.DefaultDigestAt.String()
	}
	if s.lapsingWeeks == "" {
		s.lapsingWeeks = "4"
	}
	if !strings.EqualFold(strings.TrimSpace(s.digestAt), "off") {
		if _, err := engagement.ParseWeeklyAt(s.digestAt); err != nil {
			return fmt.Errorf("CLOSEKNIT_DIGEST_AT: %q is not a weekday and time like \"Mon 09:00\" (or off)", s.digestAt)
		}
	}
	n, err := strconv.Atoi(s.lapsingWeeks)
	if err != nil || n < 1 || n > engagement.HistoryWeeks-2 {
		return fmt.Errorf("CLOSEKNIT_LAPSING_WEEKS: %q is not a number of weeks from 1 to %d", s.lapsingWeeks, engagement.HistoryWeeks-2)
	}
	c.DigestAt, c.LapsingWeeks = s.digestAt, n
	return nil
}
