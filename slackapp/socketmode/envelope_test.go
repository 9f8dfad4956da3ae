package socketmode

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
)

// gjsonEnvelope is ParseEnvelope as it was with gjson, the reference for
// the hand-written walk.
func gjsonEnvelope(frame []byte) Envelope {
	var e Envelope
	gjson.ParseBytes(frame).ForEach(func(k, v gjson.Result) bool {
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
			e.Payload = v.Raw
		case "num_connections":
			e.NumConnections = v.Int()
		}
		return true
	})
	return e
}

func gjsonSniff(head []byte) Envelope {
	r := gjson.GetManyBytes(head, "envelope_id", "type")
	return Envelope{ID: r[0].Str, Type: r[1].Str}
}

const message = `{"envelope_id":"e-1","payload":{"team_id":"T1","event":{"type":"message","text":"}{\"][","blocks":[{"type":"rich_text","elements":[]}]},"event_id":"Ev1"},"type":"events_api","accepts_response_payload":false,"retry_attempt":2,"retry_reason":"timeout"}`

func TestParseEnvelope(t *testing.T) {
	for _, tc := range []struct {
		name, frame string
		want        Envelope
		err         bool
	}{
		{"message", message, Envelope{ID: "e-1", Type: "events_api", RetryAttempt: 2,
			Payload: `{"team_id":"T1","event":{"type":"message","text":"}{\"][","blocks":[{"type":"rich_text","elements":[]}]},"event_id":"Ev1"}`}, false},
		{"hello", ` {"type":"hello","num_connections":3,"debug_info":{"host":"h"}}` + "\n", Envelope{Type: "hello", NumConnections: 3}, false},
		{"disconnect", `{"type":"disconnect","reason":"refresh_requested"}`, Envelope{Type: "disconnect", Reason: "refresh_requested"}, false},
		{"escapes and later duplicates", `{"envelope_id":"a\u002db","\u0074ype":"x","type":"slash_commands","accepts_response_payload":"TRUE"}`,
			Envelope{ID: "a-b", Type: "slash_commands", AcceptsResponse: true}, false},
		{"payload not an object", `{"envelope_id":"e","payload":"oops","type":"events_api"}`, Envelope{ID: "e", Type: "events_api", Payload: `"oops"`}, false},
		{"damaged payload", `{"envelope_id":"e","type":"events_api","payload":{"event":{"text":"unterminated}}`,
			Envelope{ID: "e", Type: "events_api", Payload: `{"event":{"text":"unterminated}}`}, false},
		{"not json", `not json`, Envelope{}, true},
		{"array", `[1,2,3]`, Envelope{}, true},
		{"truncated", `{"envelope_id":`, Envelope{}, true},
		{"empty", ``, Envelope{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseEnvelope([]byte(tc.frame))
			if (err != nil) != tc.err {
				t.Fatalf("ParseEnvelope(%s): err %v, want an error: %v", tc.frame, err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseEnvelope(%s) (-want +got):\n%s", tc.frame, diff)
			}
			if diff := cmp.Diff(gjsonEnvelope([]byte(tc.frame)), got); err == nil && diff != "" {
				t.Errorf("ParseEnvelope(%s) (-gjson +jsonwalk):\n%s", tc.frame, diff)
			}
		})
	}
}

func TestSniffEnvelope(t *testing.T) {
	for _, tc := range []struct {
		head string
		want Envelope
	}{
		{message[:18], Envelope{}}, // cut inside the envelope_id
		{message[:40], Envelope{ID: "e-1"}},
		{`{"envelope_id":"e","type":"events_api","envelope_id":"f","payload":{"type":"x"`, Envelope{ID: "e", Type: "events_api"}},
		{`garbage {"envelope_id":"e"`, Envelope{ID: "e"}},
		{`[{"envelope_id":"e"}]`, Envelope{}},
	} {
		if got := sniffEnvelope([]byte(tc.head)); got != tc.want {
			t.Errorf("sniffEnvelope(%s) = %+v, want %+v", tc.head, got, tc.want)
		}
		if got, want := sniffEnvelope([]byte(tc.head)), gjsonSniff([]byte(tc.head)); got != want {
			t.Errorf("sniffEnvelope(%s) = %+v, gjson %+v", tc.head, got, want)
		}
	}
}

// FuzzParseEnvelope: on well-formed frames ParseEnvelope reads what the
// gjson decoding did, and sniffEnvelope does on every head of them.
func FuzzParseEnvelope(f *testing.F) {
	f.Add(message, 100)
	f.Add(`{"type":"hello","num_connections":1.0e0,"debug_info":{"host":"h"}}`, 20)
	f.Add(`{"envelope_id":"\ud83d\ude00","retry_attempt":"3","accepts_response_payload":1,"payload":[]}`, 30)
	f.Fuzz(func(t *testing.T, frame string, cut int) {
		got, err := ParseEnvelope([]byte(frame))
		if cut >= 0 && cut <= len(frame) {
			sniffed := sniffEnvelope([]byte(frame[:cut]))
			if json.Valid([]byte(frame)) && sniffed != gjsonSniff([]byte(frame[:cut])) {
				t.Errorf("sniffEnvelope(%s) = %+v, gjson %+v", frame[:cut], sniffed, gjsonSniff([]byte(frame[:cut])))
			}
		}
		if err != nil || !json.Valid([]byte(frame)) {
			return
		}
		if diff := cmp.Diff(gjsonEnvelope([]byte(frame)), got); diff != "" {
			t.Errorf("ParseEnvelope(%s) (-gjson +jsonwalk):\n%s", frame, diff)
		}
	})
}
