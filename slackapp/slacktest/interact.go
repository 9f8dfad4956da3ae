package slacktest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// What Slack allows for interactions (docs/SLACK.md §1.4 and the slash
// command docs): 3 s to ack, a trigger_id good for 3 s and one views.open,
// a response_url good for 5 posts within 30 minutes.
const (
	defaultInteractionTimeout  = 3 * time.Second
	defaultTriggerLifetime     = 3 * time.Second
	defaultResponseURLLifetime = 30 * time.Minute
	defaultResponseURLUses     = 5
)

// interactState is the interaction half of the server's state (trigger_ids,
// response_urls, late acks), guarded by Server.mu.
type interactState struct {
	triggers     map[string]*trigger     // by trigger_id
	responseURLs map[string]*responseURL // by the URL's path
	responses    []Response
	lateAcks     []string
}

func (st *interactState) init() {
	st.triggers = make(map[string]*trigger)
	st.responseURLs = make(map[string]*responseURL)
}

func (s *Server) setInteractionDefaultsLocked() {
	positive(&s.InteractionTimeout, defaultInteractionTimeout)
	positive(&s.TriggerLifetime, defaultTriggerLifetime)
	positive(&s.ResponseURLLifetime, defaultResponseURLLifetime)
	positive(&s.ResponseURLUses, defaultResponseURLUses)
}

// trigger is a trigger_id handed to the app in an envelope.
type trigger struct {
	issued time.Time // when the envelope carrying it was sent
	used   bool      // views.open took it
}

// responseURL is a response_url handed to the app in an envelope.
type responseURL struct {
	envelopeID string
	created    time.Time
	uses       int
}

// Response is one POST to a response_url the emulator handed out.
type Response struct {
	// URL is the response_url posted to; EnvelopeID the envelope that
	// carried it.
	URL, EnvelopeID string
	// Body is the JSON posted.
	Body json.RawMessage
	// ResponseType is the body's response_type: "ephemeral" (also when
	// absent, as on Slack) or "in_channel".
	ResponseType string
	// Text is the body's text.
	Text string
	// Error is empty when the post was accepted, else what the emulator
	// answered: expired_url (older than ResponseURLLifetime), used_url
	// (ResponseURLUses posts already), invalid_url or invalid_payload.
	Error string
	At    time.Time
}

// withInteractionURLs prepares the payload of a slash command or an
// interaction the way Slack builds it: a trigger_id if the caller gave none,
// and a response_url on this server for slash commands, block_actions and
// message shortcuts (replacing whatever URL the caller wrote, since only
// the emulator can answer it).
func (s *Server) withInteractionURLs(envelopeID, typ string, raw json.RawMessage) (json.RawMessage, string, string) {
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		return raw, "", ""
	}
	trig, _ := p["trigger_id"].(string)
	if trig == "" {
		trig = fmt.Sprintf("%d.%d.%s", time.Now().UnixNano()%1e10, time.Now().Unix(), strings.ToLower(rand.Text()[:16]))
		p["trigger_id"] = trig
	}
	kind, _ := p["type"].(string)
	var rurl string
	switch {
	case typ == "slash_commands":
		rurl = s.newResponseURL(envelopeID, "commands")
	case kind == "block_actions" || kind == "message_action":
		rurl = s.newResponseURL(envelopeID, "actions")
	}
	if rurl != "" {
		p["response_url"] = rurl
	}
	return mustMarshal(p), trig, rurl
}

// newResponseURL registers a fresh response_url for envelopeID, shaped
// like Slack's (hooks.slack.com/commands/T…/…/…).
func (s *Server) newResponseURL(envelopeID, kind string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := fmt.Sprintf("/%s/%s/%d/%s", kind, s.TeamID, time.Now().UnixNano()%1e13, strings.ToLower(rand.Text()))
	s.responseURLs[path] = &responseURL{envelopeID: envelopeID, created: time.Now()}
	return strings.TrimSuffix(s.baseURL, "/") + path
}

// issueTriggerLocked starts the clock of a trigger_id: the user just acted.
// A trigger_id sent again in a new envelope is issued again, but once
// views.open took it, it stays used.
func (s *Server) issueTriggerLocked(id string, now time.Time) {
	if t := s.triggers[id]; t != nil {
		t.issued = now
		return
	}
	s.triggers[id] = &trigger{issued: now}
}

// takeTriggerLocked checks a trigger_id for views.open and uses it up: ""
// if it may open a modal, else Slack's error code.
func (s *Server) takeTriggerLocked(id string) string {
	t := s.triggers[id]
	switch {
	case id == "" || t == nil:
		return "invalid_trigger_id"
	case t.used:
		return "exchanged_trigger_id"
	case time.Since(t.issued) > s.TriggerLifetime:
		return "expired_trigger_id"
	}
	t.used = true
	return ""
}

// serveResponseURL takes a POST to a response_url: recorded, and answered
// {"ok":true}, or 404 with {"ok":false,"error":…} once the URL is expired
// or used up (Slack's exact status there is undocumented [inferred]).
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	var msg struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	resp := Response{URL: strings.TrimSuffix(s.APIURL(), "/api/") + r.URL.Path, Body: body, At: time.Now()}
	if json.Unmarshal(body, &msg) != nil {
		resp.Error = "invalid_payload"
	}
	resp.ResponseType, resp.Text = msg.ResponseType, msg.Text
	if resp.ResponseType == "" {
		resp.ResponseType = "ephemeral"
	}
	s.mu.Lock()
	u := s.responseURLs[r.URL.Path]
	switch {
	case u == nil:
		resp.Error = "invalid_url"
	case resp.Error != "":
	case time.Since(u.created) > s.ResponseURLLifetime:
		resp.Error = "expired_url"
	case u.uses >= s.ResponseURLUses:
		resp.Error = "used_url"
	default:
		u.uses++
	}
	if u != nil {
		resp.EnvelopeID = u.envelopeID
	}
	s.responses = append(s.responses, resp)
	s.notifyLocked()
	s.mu.Unlock()
	switch resp.Error {
	case "":
		writeJSON(w, http.StatusOK, result{"ok": true})
	case "invalid_payload":
		writeJSON(w, http.StatusBadRequest, apiError(resp.Error))
	default:
		writeJSON(w, http.StatusNotFound, apiError(resp.Error))
	}
}

// Responses returns every POST to the response_url of the envelope
// envelopeID, refused ones included, in order.
func (s *Server) Responses(envelopeID string) []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.responsesLocked(envelopeID, false)
}

func (s *Server) responsesLocked(envelopeID string, acceptedOnly bool) []Response {
	var out []Response
	for _, r := range s.responses {
		if r.EnvelopeID == envelopeID && (!acceptedOnly || r.Error == "") {
			out = append(out, r)
		}
	}
	return out
}

// WaitResponses blocks until the response_url of envelope envelopeID has
// accepted at least n posts, and returns the accepted ones.
func (s *Server) WaitResponses(ctx context.Context, envelopeID string, n int) ([]Response, error) {
	var out []Response
	err := s.waitFor(ctx, func() bool {
		out = s.responsesLocked(envelopeID, true)
		return len(out) >= n
	})
	if err != nil {
		return out, fmt.Errorf("slacktest: %d responses to %s, want %d: %w", len(out), envelopeID, n, err)
	}
	return out, nil
}

// LateAcks returns the IDs of slash commands and interactions acked after
// InteractionTimeout. Slack ignores such acks (the user has already seen an
// error), and so does the emulator: the envelope stays un-acked and lost.
func (s *Server) LateAcks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lateAcks)
}

// delayAnswer holds back a Web API answer for MethodDelay, or until the
// server closes.
func (s *Server) delayAnswer(delay func(string, url.Values) time.Duration, req *apiRequest) {
	if delay == nil {
		return
	}
	d := delay(req.method, req.args)
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.quit:
	}
}
