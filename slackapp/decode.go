package slackapp

import "github.com/closeknit/closeknit/slackapp/internal/jsonwalk"

// The hot path decodes only the handful of event fields closeknit uses
// (socketmode decodes the envelope header the same way): one pass over the
// payload descends into event and item and skips the rest (the blocks)
// once, without building anything, and nothing is copied.

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
func parseEvent(payload string) slackEvent {
	var ev slackEvent
	c := jsonwalk.New(payload)
	if !c.Enter() {
		return ev
	}
	for c.Next() {
		switch c.Key() {
		case "event_id":
			ev.EventID = c.Str()
		case "team_id":
			ev.TeamID = c.Str()
		case "event":
			if c.Enter() {
				parseEventFields(&c, &ev)
			}
		}
	}
	return ev
}

// parseEventFields reads the members of the payload's event, the cursor
// being inside it. A field given twice keeps its last value.
func parseEventFields(c *jsonwalk.Cursor, ev *slackEvent) {
	for c.Next() {
		switch c.Key() {
		case "type":
			ev.Type = c.Str()
		case "subtype":
			ev.Subtype = c.Str()
		case "user":
			ev.User = c.Str()
		case "bot_id":
			ev.BotID = c.Str()
		case "channel":
			ev.Channel = c.Str()
		case "channel_type":
			ev.ChannelType = c.Str()
		case "ts":
			ev.TS = c.Str()
		case "thread_ts":
			ev.ThreadTS = c.Str()
		case "deleted_ts":
			ev.DeletedTS = c.Str()
		case "parent_user_id":
			ev.ParentUser = c.Str()
		case "event_ts":
			ev.EventTS = c.Str()
		case "reaction":
			ev.Reaction = c.Str()
		case "tab":
			ev.Tab = c.Str()
		case "item_user":
			ev.ItemUser = c.Str()
		case "item":
			ev.ItemChannel, ev.ItemTS = parseItem(c)
		}
	}
}

// parseItem reads a reaction's item. Unlike the event's fields, a field
// given twice keeps its first value (as gjson's Get, used before, did).
func parseItem(c *jsonwalk.Cursor) (channel, ts string) {
	if !c.Enter() {
		return "", ""
	}
	var haveChannel, haveTS bool
	for c.Next() {
		switch {
		case c.Key() == "channel" && !haveChannel:
			channel, haveChannel = c.Str(), true
		case c.Key() == "ts" && !haveTS:
			ts, haveTS = c.Str(), true
		}
	}
	return channel, ts
}
