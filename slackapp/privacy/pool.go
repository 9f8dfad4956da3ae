package privacy

import "sync"

// Privacy requests (privacy, forget, and optout/optin from outside a
// community channel) scan every key of the communities concerned. They run
// on a small pool of their own, so that a member repeating them cannot take
// the goroutines other commands and the modal need, and one at a time per
// person: a request from someone whose previous one is still queued or
// running is answered at once and not queued again.
const (
	workers    = 2  // scans running at once
	maxPending = 64 // people with a request queued or running
)

// pool holds the privacy requests queued or running.
type pool struct {
	sem chan struct{}

	mu   sync.Mutex
	busy map[string]bool // person -> a request queued or running
}

func newPool() *pool {
	return &pool{sem: make(chan struct{}, workers), busy: map[string]bool{}}
}

// claim reserves person's one place; false if they already hold it or the
// pool is full.
func (p *pool) claim(person string) (ok, full bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.busy[person] {
		return false, false
	}
	if len(p.busy) >= maxPending {
		return false, true
	}
	p.busy[person] = true
	return true, false
}

func (p *pool) release(person string) {
	p.mu.Lock()
	delete(p.busy, person)
	p.mu.Unlock()
}
