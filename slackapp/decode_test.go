package slackapp

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tidwall/gjson"
)

// gjsonEvent is parseEvent as it was with gjson, the reference for the
// hand-written walk.
func gjsonEvent(payload string) slackEvent {
	var ev slackEvent
	gjson.Parse(payload).ForEach(func(k, v gjson.Result) bool {
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
				case "deleted_ts":
					ev.DeletedTS = v.Str
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

const (
	messagePayload  = `{"token":"t","team_id":"T1","event":{"blocks":[{"type":"rich_text","elements":[{"type":"text","text":"} \"{\" ]"}]}],"type":"message","user":"U1","text":"a \u00e9 \ud83d\ude00","ts":"1.2","thread_ts":"1.1","parent_user_id":"U2","channel":"C1","channel_type":"channel","event_ts":"1.2"},"type":"event_callback","event_id":"Ev1","authorizations":[{"user_id":"U9","is_bot":true}]}`
	reactionPayload = `{"team_id":"T1","event_id":"Ev2","event":{"type":"reaction_added","user":"U1","reaction":"tada","item_user":"U2","item":{"type":"message","channel":"C1","ts":"1.2","channel":"C2","ts":"1.3"},"event_ts":"1.4"}}`
)

func TestParseEvent(t *testing.T) {
	for _, tc := range []struct {
		name, payload string
		want          slackEvent
	}{
		{"message", messagePayload, slackEvent{EventID: "Ev1", TeamID: "T1", Type: "message", User: "U1", Channel: "C1", ChannelType: "channel",
			TS: "1.2", ThreadTS: "1.1", ParentUser: "U2", EventTS: "1.2"}},
		// An item's repeated field keeps its first value, an event's its last.
		{"reaction", reactionPayload, slackEvent{EventID: "Ev2", TeamID: "T1", Type: "reaction_added", User: "U1", Reaction: "tada",
			ItemUser: "U2", ItemChannel: "C1", ItemTS: "1.2", EventTS: "1.4"}},
		{"later event wins", `{"event":{"type":"a","user":"U1"},"event":{"type":"b"}}`, slackEvent{Type: "b", User: "U1"}},
		{"escaped", `{"event_id":"E\"v\\1","ev\u0065nt":{"user":"U\u0031"}}`, slackEvent{EventID: `E"v\1`, User: "U1"}},
		{"non-strings", `{"event_id":7,"event":{"type":["message"],"user":null,"item":"x","ts":{"a":"b"}}}`, slackEvent{}},
		{"event not an object", `{"event_id":"Ev3","event":"message"}`, slackEvent{EventID: "Ev3"}},
		{"not an object", `"oops"`, slackEvent{}},
		{"empty", ``, slackEvent{}},
		{"truncated", `{"event_id":"Ev4","event":{"type":"message","user":"U1`, slackEvent{EventID: "Ev4", Type: "message"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := parseEvent(tc.payload)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseEvent(%s) (-want +got):\n%s", tc.payload, diff)
			}
			if diff := cmp.Diff(gjsonEvent(tc.payload), got); diff != "" {
				t.Errorf("parseEvent(%s) (-gjson +jsonwalk):\n%s", tc.payload, diff)
			}
		})
	}
}

// FuzzParseEvent: on well-formed payloads parseEvent reads what the gjson
// decoding did.
func FuzzParseEvent(f *testing.F) {
	f.Add(messagePayload)
	f.Add(reactionPayload)
	f.Add(`{"event":{"type":"app_home_opened","tab":"home","item":[{"channel":"C"}]},"event_id":"E"}`)
	f.Fuzz(func(t *testing.T, payload string) {
		got := parseEvent(payload)
		if !json.Valid([]byte(payload)) {
			return
		}
		if diff := cmp.Diff(gjsonEvent(payload), got); diff != "" {
			t.Errorf("parseEvent(%s) (-gjson +jsonwalk):\n%s", payload, diff)
		}
	})
}
