package socketmode

import (
	"bytes"
	"errors"
	"strings"
	"unsafe"

	"github.com/closeknit/closeknit/slackapp/internal/jsonwalk"
)

// The hot path decodes only the envelope header and the handful of event
// fields closeknit uses. A message envelope is ~1.5 KB, most of it rich_text
// blocks we never read; a full decode (slackevents) costs ~100 µs of CPU per
// envelope, this costs about 1 µs. The payload is skipped once, to reach
// the fields after it, and handed over as raw text for the app to walk
// (jsonwalk: one more pass, descending only where it reads). Nothing is
// copied: the strings point into the connection's read buffer, valid until
// the next frame is read (Config.OnEnvelope).

// Envelope is the Socket Mode frame header.
type Envelope struct {
	ID              string
	Type            string // events_api, slash_commands, interactive, hello, disconnect
	Reason          string // disconnect reason
	RetryAttempt    int64
	AcceptsResponse bool
	Payload         string // the payload's JSON text, decoded only as far as the type needs
	NumConnections  int64  // hello
}

// Clone returns a copy of e that owns its strings, for keeping past the
// OnEnvelope call that received e.
func (e Envelope) Clone() Envelope {
	e.ID, e.Type, e.Reason, e.Payload = strings.Clone(e.ID), strings.Clone(e.Type), strings.Clone(e.Reason), strings.Clone(e.Payload)
	return e
}

var errMalformed = errors.New("malformed frame")

// ParseEnvelope decodes a frame's header. It fails if the frame is not a
// JSON object. It does not validate every byte of the frame (that pass cost
// as much as the decoding): a frame damaged inside a part we do not read is
// still decoded, and one damaged in a field we need lacks that field and
// is rejected by the caller.
func ParseEnvelope(frame []byte) (Envelope, error) {
	frame = bytes.TrimSpace(frame)
	if len(frame) < 2 || frame[0] != '{' || frame[len(frame)-1] != '}' {
		return Envelope{}, errMalformed
	}
	c := jsonwalk.New(bytesToString(frame))
	c.Enter()
	var e Envelope
	for c.Next() {
		switch c.Key() {
		case "envelope_id":
			e.ID = c.Str()
		case "type":
			e.Type = c.Str()
		case "reason":
			e.Reason = c.Str()
		case "retry_attempt":
			e.RetryAttempt = c.Int()
		case "accepts_response_payload":
			e.AcceptsResponse = c.Bool()
		case "payload":
			e.Payload = c.Raw()
		case "num_connections":
			e.NumConnections = c.Int()
		}
	}
	return e, nil
}

// sniffEnvelope reads the envelope_id and type from the first bytes of a
// frame too big to keep (Slack sends envelope_id first). What it cannot
// find stays empty.
func sniffEnvelope(head []byte) Envelope {
	var e Envelope
	// As gjson.Get did: the first object or array in head, the first
	// member of each name.
	i := bytes.IndexAny(head, "{[")
	if i < 0 {
		return e
	}
	c := jsonwalk.New(bytesToString(head[i:]))
	if !c.Enter() {
		return e
	}
	var haveID, haveType bool
	for c.Next() {
		switch {
		case c.Key() == "envelope_id" && !haveID:
			e.ID, haveID = c.Str(), true
		case c.Key() == "type" && !haveType:
			e.Type, haveType = c.Str(), true
		}
	}
	return e
}

func bytesToString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
