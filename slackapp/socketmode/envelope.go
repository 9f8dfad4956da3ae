package socketmode

import (
	"bytes"
	"errors"
	"unsafe"

	"github.com/tidwall/gjson"
)

// The hot path decodes only the envelope header and the handful of event
// fields closeknit uses. A message envelope is ~1.5 KB, most of it rich_text
// blocks we never read; a full decode (slackevents) costs ~100 µs of CPU per
// envelope, this costs about 1-2 µs. gjson skips unread values without
// building them, and nothing is copied: the strings point into the frame,
// which is allocated per frame and lives until the envelope is acked.

// Envelope is the Socket Mode frame header.
type Envelope struct {
	ID              string
	Type            string // events_api, slash_commands, interactive, hello, disconnect
	Reason          string // disconnect reason
	RetryAttempt    int64
	AcceptsResponse bool
	Payload         gjson.Result // raw, decoded only as far as the type needs
	NumConnections  int64        // hello
	// Large: the frame was over 1 MiB. Strings kept from it beyond the
	// hand-over are copied, so that the frame can be freed at once.
	Large bool
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
	root := gjson.Parse(bytesToString(frame))
	var e Envelope
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "envelope_id":
			e.ID = v.Str
		case "type":
			e.Type = v.Str
		case "reason":
			e.Reason = v.Str
		case "retry_attempt":
			e.RetryAttempt = v.Int()
		case "accepts_response_payload":
			e.AcceptsResponse = v.Bool()
		case "payload":
			e.Payload = v
		case "num_connections":
			e.NumConnections = v.Int()
		}
		return true
	})
	return e, nil
}

// sniffEnvelope reads the envelope_id and type from the first bytes of a
// frame too big to keep (Slack sends envelope_id first). What it cannot
// find stays empty.
func sniffEnvelope(head []byte) Envelope {
	r := gjson.GetManyBytes(head, "envelope_id", "type")
	return Envelope{ID: r[0].Str, Type: r[1].Str}
}

func bytesToString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
