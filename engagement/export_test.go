package engagement

// NoLean makes s count every message in the full layout, as releases
// before the lean columns did (scripts.go), for TestLeanMatchesFull.
func NoLean(s *Store) { s.noLean = true }
