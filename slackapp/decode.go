package slackapp

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

// envelope is the Socket Mode frame header.
type envelope struct {
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

// parseEnvelope decodes a frame's header. It fails if the frame is not a
// JSON object. It does not validate every byte of the frame (that pass cost
// as much as the decoding): a frame damaged inside a part we do not read is
// still decoded, and one damaged in a field we need lacks that field and
// is rejected by the caller.
func parseEnvelope(frame []byte) (envelope, error) {
	frame = bytes.TrimSpace(frame)
	if len(frame) < 2 || frame[0] != '{' || frame[len(frame)-1] != '}' {
		return envelope{}, errMalformed
	}
	root := gjson.Parse(bytesToString(frame))
	var e envelope
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
func sniffEnvelope(head []byte) envelope {
	r := gjson.GetManyBytes(head, "envelope_id", "type")
	return envelope{ID: r[0].Str, Type: r[1].Str}
}

// slackEvent holds the fields of an events_api payload that closeknit uses.
type slackEvent struct {
	EventID, TeamID string
	Type, Subtype   string
	User, BotID     string
	Channel         string
	ChannelType     string // message events: channel, group, im, mpim
	TS, ThreadTS    string
	ParentUser      string // thread replies: author of the thread's parent
	EventTS         string
	Reaction        string
	ItemChannel     string
	ItemTS          string
	ItemUser        string // reactions: author of the message reacted to
	Tab             string // app_home_opened
}

// parseEvent decodes an events_api payload (the "payload" of the envelope).
func parseEvent(payload gjson.Result) slackEvent {
	var ev slackEvent
	payload.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "event_id":
			ev.EventID = v.Str
		case "team_id":
			ev.TeamID = v.Str
		case "event":
			v.ForEach(func(k, v gjson.Result) bool {
				switch k.Str {
				case "type":
					ev.Type = v.Str
				case "subtype":
					ev.Subtype = v.Str
				case "user":
					ev.User = v.Str
				case "bot_id":
					ev.BotID = v.Str
				case "channel":
					ev.Channel = v.Str
				case "channel_type":
					ev.ChannelType = v.Str
				case "ts":
					ev.TS = v.Str
				case "thread_ts":
					ev.ThreadTS = v.Str
				case "parent_user_id":
					ev.ParentUser = v.Str
				case "event_ts":
					ev.EventTS = v.Str
				case "reaction":
					ev.Reaction = v.Str
				case "tab":
					ev.Tab = v.Str
				case "item_user":
					ev.ItemUser = v.Str
				case "item":
					ev.ItemChannel = v.Get("channel").Str
					ev.ItemTS = v.Get("ts").Str
				}
				return true
			})
		}
		return true
	})
	return ev
}

// bytesToString views b as a string without copying. The caller must not
// modify b afterwards; frames are never reused.
func bytesToString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
