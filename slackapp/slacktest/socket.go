package slacktest

import (
	"bytes"
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gorilla/websocket"
)

// socketState is the Socket Mode half of the server's state, guarded by
// Server.mu.
type socketState struct {
	tickets  map[string]bool // issued by apps.connections.open, single use
	opened   int             // successful apps.connections.open calls
	conns    []*conn         // live connections in delivery rotation
	leaving  []*conn         // told to refresh (warning, refresh_requested): still in delivery rotation until they close
	allConns map[*conn]bool  // every open connection, also those draining after a disconnect
	nextConn int             // round-robin cursor into conns and leaving
	refused  int             // connections refused with too_many_websockets
	redelivs int             // redeliveries of un-acked events_api envelopes
	queue    []outFrame      // frames waiting for a live connection

	envs     map[string]*envelope // tracked envelopes by envelope_id
	envOrder []string             // envelope IDs in the order first sent
	ackCount int
	lost     []string
	retries  retryHeap
	wake     chan struct{} // pokes retryLoop when an earlier deadline appears

	bursts map[string]burstFrame // in-flight Burst frames by envelope_id
}

func (st *socketState) init() {
	st.tickets = make(map[string]bool)
	st.allConns = make(map[*conn]bool)
	st.envs = make(map[string]*envelope)
	st.bursts = make(map[string]burstFrame)
	st.wake = make(chan struct{}, 1)
}

// envelope is a tracked envelope: one the server waits an ack for.
type envelope struct {
	id        string
	frame     []byte // as first sent
	attempt   int    // 0 for the first delivery, 1..3 for redeliveries
	redeliver bool   // events_api only: Slack does not retry interactions
	acked     bool
	lost      bool
	payload   json.RawMessage // the ack's payload
	gen       int             // invalidates stale retry deadlines
	deadline  time.Time       // of the current delivery's ack
}

// outFrame is a frame on its way to a connection.
type outFrame struct {
	data  []byte
	env   *envelope // nil for untracked frames
	burst bool      // a Burst frame: stamp its send time on delivery
	id    string    // envelope_id of a Burst frame
}

// socketURLLocked issues a single-use ticket and returns the WebSocket URL
// apps.connections.open hands out.
func (s *Server) socketURLLocked() string {
	ticket := newUUID()
	s.tickets[ticket] = true
	s.opened++
	sum := sha256.Sum256([]byte(s.AppID)) // Slack's app_id parameter is 64 hex digits
	return "ws" + s.baseURL[len("http"):] + "link/?ticket=" + ticket + "&app_id=" + hex.EncodeToString(sum[:])
}

func (s *Server) serveLink(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ticket := q.Get("ticket")
	s.mu.Lock()
	valid := s.tickets[ticket]
	delete(s.tickets, ticket)
	lifetime := s.ConnectionLifetime
	if q.Get("debug_reconnects") == "true" {
		lifetime = debugReconnectLifetime
	}
	pingInterval := s.PingInterval
	s.mu.Unlock()
	helloLifetime := 18060 * time.Second // what real Slack reports
	if lifetime > 0 {
		helloLifetime = lifetime
	}
	if !valid {
		s.logf("slacktest: WebSocket dial with unknown or used ticket %q", ticket)
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}

	// Upgrade through a hijacker that hands gorilla a buffered net.Conn, so
	// that the writer can put a whole batch of frames on the wire with one
	// flush instead of one syscall per frame.
	hj := &hijacker{ResponseWriter: w}
	upgrader := websocket.Upgrader{
		// slack-go always sends Origin: https://api.slack.com, which
		// gorilla's default same-origin check refuses with 403.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	ws, err := upgrader.Upgrade(hj, r, nil)
	if err != nil {
		s.logf("slacktest: upgrade: %v", err)
		return
	}
	c := &conn{
		s:    s,
		ws:   ws,
		bc:   hj.bc,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	// The handshake response sits in the buffer until the first flush.
	if err := c.bc.flush(); err != nil {
		ws.NetConn().Close()
		return
	}
	ws.SetReadLimit(1 << 20)
	ws.SetPingHandler(c.pong)
	ws.SetCloseHandler(c.echoClose)

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ws.NetConn().Close()
		return
	}
	if len(s.allConns) >= s.MaxConnections {
		// Slack's limit per app: the new connection is told so and closed.
		s.refused++
		s.notifyLocked()
		s.mu.Unlock()
		s.logf("slacktest: refusing a connection: %d open, limit %d", len(s.allConns), s.MaxConnections)
		c.refuse()
		return
	}
	s.allConns[c] = true
	// hello goes first, before anything the rotation or the queue holds.
	c.enqueue(mustMarshal(map[string]any{
		"type":            "hello",
		"num_connections": len(s.conns) + 1,
		"debug_info": map[string]any{
			"host":                        "slacktest",
			"build_number":                1,
			"approximate_connection_time": int(helloLifetime.Seconds()),
		},
		"connection_info": map[string]any{"app_id": s.AppID},
	}))
	s.conns = append(s.conns, c)
	queued := s.queue
	s.queue = nil
	for _, f := range queued {
		s.deliverToLocked(c, f)
	}
	s.wg.Add(2)
	s.notifyLocked()
	s.mu.Unlock()
	s.logf("slacktest: socket connected from %s", r.RemoteAddr)

	go c.writeLoop(pingInterval, lifetime)
	go c.readLoop()
}

// Send sends a raw frame, possibly malformed, to one live connection, taking
// the connections in turn. If no connection is live the frame waits for the
// next one. A frame that parses as an envelope with an envelope_id is tracked
// like SendEnvelope; anything else is sent once and forgotten.
func (s *Server) Send(frame []byte) error {
	if env, err := ParseEnvelope(frame); err == nil {
		return s.SendEnvelope(env)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.started {
		return ErrClosed
	}
	s.learnUsersLocked(frame)
	s.deliverLocked(outFrame{data: frame})
	return nil
}

// SendEnvelope sends env to one live connection (or the next one to connect)
// and tracks it until it is acked. An un-acked events_api envelope is
// redelivered AckTimeout+RetrySchedule[n] after delivery n with the same
// envelope_id and event_id, retry_attempt n+1 and retry_reason "timeout",
// possibly on another connection; after the last retry it is recorded as
// lost. Slash commands and interactions are never redelivered, as on Slack:
// they are lost after one AckTimeout.
//
// Sending an envelope_id that is already tracked starts its tracking afresh.
func (s *Server) SendEnvelope(env Envelope) error {
	return s.sendEnvelope(env, 0)
}

// sendEnvelope is SendEnvelope with the first delivery of an events_api
// envelope delayed by extra plus a random share of MaxDelay.
func (s *Server) sendEnvelope(env Envelope, extra time.Duration) error {
	if env.ID == "" {
		return errors.New("slacktest: SendEnvelope: empty envelope ID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.started {
		return ErrClosed
	}
	e := &envelope{
		id:        env.ID,
		frame:     env.Frame,
		redeliver: env.Type != "slash_commands" && env.Type != "interactive",
	}
	if env.TriggerID != "" {
		s.issueTriggerLocked(env.TriggerID, time.Now())
	}
	if old := s.envs[env.ID]; old != nil {
		old.gen++ // cancel its pending retry
	} else {
		s.envOrder = append(s.envOrder, env.ID)
	}
	s.envs[env.ID] = e
	s.learnUsersLocked(env.Frame)
	if env.Type == "events_api" {
		extra += s.randDelayLocked(s.MaxDelay)
	}
	if extra > 0 {
		s.sendLaterLocked(e, extra)
		return nil
	}
	s.deliverLocked(outFrame{data: env.Frame, env: e})
	return nil
}

// deliverLocked hands f to the next live connection, or queues it. A
// connection told to refresh still gets its turn until it closes, as on
// Slack: a client that stops reading it at the disconnect frame loses what
// arrives there meanwhile (events come back as redeliveries).
func (s *Server) deliverLocked(f outFrame) {
	n := len(s.conns) + len(s.leaving)
	if n == 0 {
		s.queue = append(s.queue, f)
		return
	}
	i := s.nextConn % n
	s.nextConn++
	if i < len(s.conns) {
		s.deliverToLocked(s.conns[i], f)
	} else {
		s.deliverToLocked(s.leaving[i-len(s.conns)], f)
	}
}

func (s *Server) deliverToLocked(c *conn, f outFrame) {
	now := time.Now() // before enqueue, so that the ack cannot precede it
	c.enqueue(f.data)
	if f.env != nil {
		s.armLocked(f.env, now)
	}
	if f.burst {
		if bf, ok := s.bursts[f.id]; ok {
			bf.sent = now
			s.bursts[f.id] = bf
		}
	}
}

// armLocked schedules what happens if e, just delivered, is not acked: the
// next redelivery, or giving up.
func (s *Server) armLocked(e *envelope, now time.Time) {
	e.gen++
	wait := s.AckTimeout
	if !e.redeliver {
		wait = s.InteractionTimeout
	}
	e.deadline = now.Add(wait)
	if e.redeliver && e.attempt < len(s.RetrySchedule) {
		wait += s.RetrySchedule[e.attempt]
	}
	s.pushDeadlineLocked(retryItem{at: now.Add(wait), env: e, gen: e.gen})
}

// retryLoop redelivers or gives up on envelopes whose ack deadline passed.
// One goroutine with one timer serves all envelopes, so that Close has a
// single thing to stop.
func (s *Server) retryLoop() {
	defer s.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		now := time.Now()
		for len(s.retries) > 0 && !s.retries[0].at.After(now) {
			it := heap.Pop(&s.retries).(retryItem)
			switch {
			case it.gen != it.env.gen || it.env.acked:
			case it.first: // a delayed first delivery (Hostile.MaxDelay)
				s.deliverLocked(outFrame{data: it.env.frame, env: it.env})
			default:
				s.expireLocked(it.env)
			}
		}
		next := time.Hour
		if len(s.retries) > 0 {
			next = s.retries[0].at.Sub(now)
		}
		s.mu.Unlock()
		timer.Reset(next)
		select {
		case <-timer.C:
		case <-s.wake: // Reset discards a pending tick (Go 1.23 timers)
		case <-s.quit:
			return
		}
	}
}

func (s *Server) expireLocked(e *envelope) {
	if !e.redeliver || e.attempt >= len(s.RetrySchedule) {
		e.lost = true
		s.lost = append(s.lost, e.id)
		s.notifyLocked()
		return
	}
	frame, err := withRetry(e.frame, e.attempt+1)
	if err != nil { // cannot happen: tracked frames parsed as JSON objects
		e.lost = true
		s.lost = append(s.lost, e.id)
		return
	}
	e.attempt++
	s.redelivs++
	s.deliverLocked(outFrame{data: frame, env: e})
}

type retryItem struct {
	at    time.Time
	env   *envelope
	gen   int
	first bool // deliver for the first time rather than expire
}

// retryHeap orders ack deadlines, earliest first.
type retryHeap []retryItem

func (h retryHeap) Len() int           { return len(h) }
func (h retryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h retryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *retryHeap) Push(x any)        { *h = append(*h, x.(retryItem)) }
func (h *retryHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// handleAck records one ack frame. It does no JSON decoding for plain
// {"envelope_id":"..."} acks, which keeps Burst cheap.
func (s *Server) handleAck(b []byte) {
	id, payload, err := parseAck(b)
	if err != nil {
		s.fail("slacktest: bad frame from client: %v: %.200s", err, b)
		return
	}
	now := time.Now()
	s.mu.Lock()
	if bf, ok := s.bursts[id]; ok {
		delete(s.bursts, id)
		s.ackCount++
		bf.run.ackedLocked(now, now.Sub(bf.sent))
		s.mu.Unlock()
		return
	}
	e := s.envs[id]
	if e == nil {
		s.mu.Unlock()
		s.logf("slacktest: ack for unknown envelope %q", id)
		return
	}
	if !e.redeliver && !e.acked && !e.deadline.IsZero() && now.After(e.deadline) {
		// Slack has shown the user an error already: the ack is ignored.
		s.lateAcks = append(s.lateAcks, id)
		s.notifyLocked()
		s.mu.Unlock()
		s.logf("slacktest: late ack of %s ignored (%v after its deadline)", id, now.Sub(e.deadline))
		return
	}
	s.ackCount++
	if !e.acked {
		e.acked = true
		e.payload = payload
		e.gen++ // cancel the pending retry
	}
	s.notifyLocked()
	s.mu.Unlock()
}

// parseAck extracts the envelope_id and payload of an ack. Plain acks, as
// slack-go writes them ({"envelope_id":"..."} and a newline), take a
// byte-scanning fast path; anything else is decoded.
func parseAck(b []byte) (id string, payload json.RawMessage, err error) {
	b = bytes.TrimSpace(b)
	if rest, ok := bytes.CutPrefix(b, []byte(`{"envelope_id":"`)); ok {
		if i := bytes.IndexByte(rest, '"'); i >= 0 && string(rest[i+1:]) == "}" && bytes.IndexByte(rest[:i], '\\') < 0 {
			return string(rest[:i]), nil, nil
		}
	}
	var a struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return "", nil, err
	}
	if a.EnvelopeID == "" {
		return "", nil, errors.New("no envelope_id")
	}
	return a.EnvelopeID, a.Payload, nil
}

// Disconnect sends {"type":"disconnect","reason":reason,...} on every live
// connection; a well-behaved client reconnects. Acks sent on a connection
// count until it closes.
//
// After "warning" or "refresh_requested" a connection stays open, and in
// the delivery rotation, until the client closes it or DisconnectGrace has
// passed (Slack closes it about 10 s after a warning); then the server
// sends a close frame and reads acks until the client answers it. A client
// that opens its next connection first and reads the old one until it
// closes loses nothing. After any other reason the connection leaves the
// rotation at once and closes a second later.
func (s *Server) Disconnect(reason string) {
	s.mu.Lock()
	for _, c := range slices.Clone(s.conns) {
		s.disconnectLocked(c, reason)
	}
	s.notifyLocked()
	s.mu.Unlock()
}

// disconnectLocked sends a disconnect frame on c, a live connection, and
// takes it out of the live ones.
func (s *Server) disconnectLocked(c *conn, reason string) {
	if i := slices.Index(s.conns, c); i >= 0 {
		s.conns = slices.Delete(s.conns, i, i+1)
	}
	c.enqueue(disconnectFrame(reason))
	grace := disconnectGrace
	if reason == "warning" || reason == "refresh_requested" {
		s.leaving = append(s.leaving, c)
		grace = s.DisconnectGrace
	}
	c.mu.Lock()
	c.closeAfterFlush, c.grace = true, grace
	c.mu.Unlock()
}

func disconnectFrame(reason string) []byte {
	return mustMarshal(map[string]any{
		"type":       "disconnect",
		"reason":     reason,
		"debug_info": map[string]any{"host": "slacktest"},
	})
}

// leaveRotationLocked takes c out of delivery: it is about to close.
func (s *Server) leaveRotationLocked(c *conn) {
	if i := slices.Index(s.conns, c); i >= 0 {
		s.conns = slices.Delete(s.conns, i, i+1)
	}
	if i := slices.Index(s.leaving, c); i >= 0 {
		s.leaving = slices.Delete(s.leaving, i, i+1)
	}
}

// detachConnsLocked takes every connection out of delivery and returns
// them all, for the caller to close once s.mu is released.
func (s *Server) detachConnsLocked() []*conn {
	conns := make([]*conn, 0, len(s.allConns))
	for c := range s.allConns {
		conns = append(conns, c)
	}
	s.conns, s.leaving = nil, nil
	s.notifyLocked()
	return conns
}

// DropConnections closes every connection's TCP socket without a close
// frame, as when a network path dies. Un-acked envelopes stay tracked and
// are redelivered on schedule to whichever connection is live by then.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := s.detachConnsLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.closeNow()
	}
}

// removeConn takes a closed connection out of the server's state.
func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.allConns, c)
	s.leaveRotationLocked(c)
	s.notifyLocked()
}

// WaitConnections blocks until at least n connections are live (connected
// and not told to disconnect).
func (s *Server) WaitConnections(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return len(s.conns) >= n })
}

// Connections returns the number of live connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// OpenConnections returns the number of open connections, those told to
// disconnect but not closed yet included.
func (s *Server) OpenConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.allConns)
}

// WaitOpenConnections blocks until exactly n connections are open, those
// told to disconnect included: for example until the client has let go of
// the old connection of a refresh.
func (s *Server) WaitOpenConnections(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return len(s.allConns) == n })
}

// Redelivered returns how many times an un-acked events_api envelope was
// delivered again: 0 when a client acked everything in time.
func (s *Server) Redelivered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.redelivs
}

// Refused returns the number of connections refused with a
// too_many_websockets disconnect because MaxConnections were open.
func (s *Server) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// WaitRefused blocks until at least n connections have been refused.
func (s *Server) WaitRefused(ctx context.Context, n int) error {
	return s.waitFor(ctx, func() bool { return s.refused >= n })
}

// ConnectionsOpened returns the number of successful apps.connections.open
// calls, that is how many times a client has (re)connected or tried to.
func (s *Server) ConnectionsOpened() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened
}

// WaitAcked blocks until the envelope envelopeID has been acked.
func (s *Server) WaitAcked(ctx context.Context, envelopeID string) error {
	err := s.waitFor(ctx, func() bool {
		e := s.envs[envelopeID]
		return e != nil && e.acked
	})
	if err != nil {
		return fmt.Errorf("slacktest: envelope %s not acked: %w", envelopeID, err)
	}
	return nil
}

// WaitAllAcked blocks until every tracked envelope has been acked.
func (s *Server) WaitAllAcked(ctx context.Context) error {
	err := s.waitFor(ctx, func() bool { return len(s.unackedLocked()) == 0 })
	if err != nil {
		return fmt.Errorf("slacktest: envelopes not acked %v: %w", s.Unacked(), err)
	}
	return nil
}

// WaitLost blocks until the server has given up on the envelope envelopeID.
func (s *Server) WaitLost(ctx context.Context, envelopeID string) error {
	return s.waitFor(ctx, func() bool {
		e := s.envs[envelopeID]
		return e != nil && e.lost
	})
}

// Acked reports whether the envelope envelopeID has been acked.
func (s *Server) Acked(envelopeID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.envs[envelopeID]
	return e != nil && e.acked
}

// Unacked returns the IDs of tracked envelopes not yet acked, lost ones
// included, in the order they were first sent.
func (s *Server) Unacked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unackedLocked()
}

func (s *Server) unackedLocked() []string {
	var ids []string
	for _, id := range s.envOrder {
		if !s.envs[id].acked {
			ids = append(ids, id)
		}
	}
	return ids
}

// AckCount returns the number of accepted ack frames, Burst acks and
// duplicate acks included, so that a test can check an app acks exactly once.
func (s *Server) AckCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ackCount
}

// AckPayload returns the payload of the first ack of envelopeID, or nil if
// it was acked without one or not at all.
func (s *Server) AckPayload(envelopeID string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.envs[envelopeID]; e != nil {
		return e.payload
	}
	return nil
}

// Lost returns the IDs of envelopes the server gave up on: events_api
// envelopes still un-acked after their last redelivery, and interactions
// not acked within AckTimeout.
func (s *Server) Lost() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lost)
}
