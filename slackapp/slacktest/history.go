package slacktest

import (
	"encoding/json"
	"strconv"
	"strings"
)

// conversationsHistory lists the channel's (non-ephemeral) messages posted
// through the emulator, newest first, with Slack's oldest/latest/limit/
// cursor paging. Message metadata, sent with chat.postMessage, is included
// when include_all_metadata is set, as Slack does.
func (s *Server) conversationsHistory(req *apiRequest) result {
	a := req.args
	ch := a.Get("channel")
	if code := s.channelRefusalLocked(ch, true); code != "" && code != "is_archived" {
		return apiError(code)
	}
	oldest, _ := strconv.ParseFloat(a.Get("oldest"), 64)
	latest, _ := strconv.ParseFloat(a.Get("latest"), 64)
	inclusive := a.Get("inclusive") == "1" || a.Get("inclusive") == "true"
	limit, _ := strconv.Atoi(a.Get("limit"))
	if limit <= 0 || limit > 999 {
		limit = 100
	}
	offset := 0
	if c := a.Get("cursor"); c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "o:"))
		if err != nil || n < 0 {
			return apiError("invalid_cursor")
		}
		offset = n
	}
	withMeta := a.Get("include_all_metadata") == "1" || a.Get("include_all_metadata") == "true"
	var all []map[string]any
	for i := len(s.messages) - 1; i >= 0; i-- { // newest first
		m := s.messages[i]
		if m.Ephemeral || m.Channel != ch || m.ThreadTS != "" && m.ThreadTS != m.TS {
			continue
		}
		ts, _ := strconv.ParseFloat(m.TS, 64)
		if oldest > 0 && (ts < oldest || ts == oldest && !inclusive) || latest > 0 && (ts > latest || ts == latest && !inclusive) {
			continue
		}
		out := s.messageJSON(m)
		if md := m.Args.Get("metadata"); withMeta && md != "" {
			var v map[string]any
			if json.Unmarshal([]byte(md), &v) == nil {
				out["metadata"] = v
			}
		}
		all = append(all, out)
	}
	page := all[min(offset, len(all)):]
	more := len(page) > limit
	if more {
		page = page[:limit]
	}
	next := ""
	if more {
		next = "o:" + strconv.Itoa(offset+limit)
	}
	if page == nil {
		page = []map[string]any{}
	}
	return result{"messages": page, "has_more": more, "pin_count": 0, "response_metadata": map[string]any{"next_cursor": next}}
}
