package slacktest

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Envelope is one Socket Mode envelope ready to send.
type Envelope struct {
	// ID is the envelope_id, the key the app acks with.
	ID string
	// Type is events_api, slash_commands or interactive.
	Type string
	// EventID is payload.event_id for events_api envelopes, the key an app
	// dedupes redeliveries on; empty for other types.
	EventID string
	// TriggerID is payload.trigger_id of a slash command or interaction:
	// its clock starts when the envelope is sent (see TriggerLifetime).
	TriggerID string
	// ResponseURL is payload.response_url of a slash command, block_actions
	// or message shortcut built by SlashCommand or Interaction: a URL on
	// this server whose posts Responses records.
	ResponseURL string
	// Frame is the serialized envelope as first delivered.
	Frame []byte
}

// envelopeFrame is the wire shape of an envelope. Field order follows the
// samples. The retry fields are pointers because Slack sends them on
// events_api envelopes only.
type envelopeFrame struct {
	EnvelopeID             string          `json:"envelope_id"`
	Payload                json.RawMessage `json:"payload"`
	Type                   string          `json:"type"`
	AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	RetryAttempt           *int            `json:"retry_attempt,omitempty"`
	RetryReason            *string         `json:"retry_reason,omitempty"`
}

type authorization struct {
	EnterpriseID        *string `json:"enterprise_id"`
	TeamID              string  `json:"team_id"`
	UserID              string  `json:"user_id"`
	IsBot               bool    `json:"is_bot"`
	IsEnterpriseInstall bool    `json:"is_enterprise_install"`
}

// eventCallback is the Events API outer body (type event_callback).
type eventCallback struct {
	Token               string          `json:"token"`
	TeamID              string          `json:"team_id"`
	ContextTeamID       string          `json:"context_team_id"`
	ContextEnterpriseID *string         `json:"context_enterprise_id"`
	APIAppID            string          `json:"api_app_id"`
	Event               json.RawMessage `json:"event"`
	Type                string          `json:"type"`
	EventID             string          `json:"event_id"`
	EventTime           int64           `json:"event_time"`
	Authorizations      []authorization `json:"authorizations"`
	IsExtSharedChannel  bool            `json:"is_ext_shared_channel"`
}

// verificationToken is the deprecated per-app token Slack still puts in
// payloads; slack-go ignores it in Socket Mode. It is the samples' value.
const verificationToken = "Zt4bG6yWnTqLrPp2Xc8VdJk1"

// Event wraps an inner event, such as the "event" object of
// events_api.message.channel.json, into a complete events_api envelope with a
// fresh envelope_id and event_id, the server's team and app IDs, the current
// event_time, the bot's authorization and retry_attempt 0.
//
// event may be a json.RawMessage, a []byte or string holding JSON, or any
// value that encoding/json marshals to an object (a map, a slackevents
// struct). Event panics if it does not, like regexp.MustCompile: the argument
// is test data written by the caller, and a test cannot go on without it.
func (s *Server) Event(event any) Envelope {
	inner := mustObject("Event", event)
	s.mu.Lock()
	cb := eventCallback{
		Token:         verificationToken,
		TeamID:        s.TeamID,
		ContextTeamID: s.TeamID,
		APIAppID:      s.AppID,
		Event:         inner,
		Type:          "event_callback",
		EventID:       NewEventID(),
		EventTime:     time.Now().Unix(),
		Authorizations: []authorization{{
			TeamID: s.TeamID,
			UserID: s.BotUserID,
			IsBot:  true,
		}},
	}
	s.mu.Unlock()
	payload, err := json.Marshal(cb)
	if err != nil {
		panic(fmt.Sprintf("slacktest: Event: %v", err))
	}
	zero, none := 0, ""
	env := s.newEnvelope("events_api", payload, false)
	env.EventID = cb.EventID
	env.Frame = mustMarshal(envelopeFrame{
		EnvelopeID:   env.ID,
		Payload:      payload,
		Type:         env.Type,
		RetryAttempt: &zero,
		RetryReason:  &none,
	})
	return env
}

// SlashCommand wraps the fields of a slash command (as in the payload of
// slash_commands.json) into a slash_commands envelope that accepts a response
// payload. Like Slack it sets response_url, to a URL on this server (see
// Responses), and a trigger_id unless one is given. It panics on input that
// is not a JSON object, like Event.
func (s *Server) SlashCommand(cmd any) Envelope {
	return s.interactive("slash_commands", mustObject("SlashCommand", cmd), true)
}

// Interaction wraps an interactivity payload (block_actions, shortcut,
// view_submission, ...) into an interactive envelope. Only view_submission and
// block_suggestion acks may carry a response, as on Slack. block_actions and
// message_action payloads get a response_url on this server, and every
// payload a trigger_id unless it has one. It panics on input that is not a
// JSON object, like Event.
func (s *Server) Interaction(payload any) Envelope {
	raw := mustObject("Interaction", payload)
	var p struct {
		Type string `json:"type"`
	}
	json.Unmarshal(raw, &p)
	accepts := p.Type == "view_submission" || p.Type == "block_suggestion"
	return s.interactive("interactive", raw, accepts)
}

func (s *Server) interactive(typ string, raw json.RawMessage, acceptsResponse bool) Envelope {
	id := s.NewEnvelopeID()
	payload, trig, rurl := s.withInteractionURLs(id, typ, raw)
	env := s.newEnvelopeWithID(id, typ, payload, acceptsResponse)
	env.TriggerID, env.ResponseURL = trig, rurl
	return env
}

func (s *Server) newEnvelope(typ string, payload json.RawMessage, acceptsResponse bool) Envelope {
	return s.newEnvelopeWithID(s.NewEnvelopeID(), typ, payload, acceptsResponse)
}

func (s *Server) newEnvelopeWithID(id, typ string, payload json.RawMessage, acceptsResponse bool) Envelope {
	env := Envelope{ID: id, Type: typ}
	env.Frame = mustMarshal(envelopeFrame{
		EnvelopeID:             env.ID,
		Payload:                payload,
		Type:                   typ,
		AcceptsResponsePayload: acceptsResponse,
	})
	return env
}

// ParseEnvelope reads the envelope_id, type and event_id of a serialized
// envelope, such as one of the payload sample files, so that it can be sent
// with SendEnvelope. It fails if frame is not a JSON object with an
// envelope_id.
func ParseEnvelope(frame []byte) (Envelope, error) {
	var f struct {
		EnvelopeID string          `json:"envelope_id"`
		Type       string          `json:"type"`
		Payload    json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(frame, &f); err != nil {
		return Envelope{}, fmt.Errorf("slacktest: parse envelope: %w", err)
	}
	if f.EnvelopeID == "" {
		return Envelope{}, errors.New("slacktest: parse envelope: no envelope_id")
	}
	env := Envelope{ID: f.EnvelopeID, Type: f.Type, Frame: frame}
	var p struct {
		EventID     string `json:"event_id"`
		TriggerID   string `json:"trigger_id"`
		ResponseURL string `json:"response_url"`
	}
	if json.Unmarshal(f.Payload, &p) == nil {
		if f.Type == "events_api" {
			env.EventID = p.EventID
		} else {
			env.TriggerID, env.ResponseURL = p.TriggerID, p.ResponseURL
		}
	}
	return env, nil
}

// withRetry re-serializes an envelope frame with retry_attempt set to attempt
// and retry_reason "timeout", as Slack marks a redelivery. Everything else,
// envelope_id and payload.event_id included, stays the same.
func withRetry(frame []byte, attempt int) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(frame, &m); err != nil {
		return nil, err
	}
	m["retry_attempt"] = json.RawMessage(strconv.Itoa(attempt))
	m["retry_reason"] = json.RawMessage(`"timeout"`)
	return json.Marshal(m)
}

// NewEnvelopeID returns a fresh envelope_id in Slack's format, a random UUID.
func (s *Server) NewEnvelopeID() string { return newUUID() }

// NewEventID returns a random event ID in Slack's format ("Ev" and ten
// upper-case characters). IDs are random rather than counted so that a
// restarted sandbox does not collide with event IDs an app has already
// recorded for deduplication.
func NewEventID() string { return "Ev" + rand.Text()[:10] }

// NewTS returns a message timestamp ("1767268812.004900") later than every
// timestamp this server has handed out, so that messages built by a test and
// messages posted by the app sort in the order they were made.
func (s *Server) NewTS() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextTSLocked()
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// mustObject marshals v and checks that it is a JSON object.
func mustObject(fn string, v any) json.RawMessage {
	var raw []byte
	switch v := v.(type) {
	case json.RawMessage:
		raw = v
	case []byte:
		raw = v
	case string:
		raw = []byte(v)
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			panic(fmt.Sprintf("slacktest: %s: %v", fn, err))
		}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		panic(fmt.Sprintf("slacktest: %s: not a JSON object: %.100s", fn, raw))
	}
	return json.RawMessage(raw)
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("slacktest: %v", err))
	}
	return b
}
