package slackapp

import (
	"unsafe"

	"github.com/tidwall/gjson"
)

// The hot path decodes only the handful of event fields closeknit uses
// (socketmode decodes the envelope header the same way): gjson skips
// unread values without building them, and nothing is copied.

// slackEvent holds the fields of an events_api payload that closeknit uses.
type slackEvent struct {
	EventID, TeamID string
	Type, Subtype   string
	User, BotID     string
	Channel         string
	ChannelType     string // message events: channel, group, im, mpim
	TS, ThreadTS    string
	DeletedTS       string // message_deleted: the deleted message's ts
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

// bytesToString views b as a string without copying. The caller must not
// modify b afterwards; frames are never reused.
func bytesToString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
