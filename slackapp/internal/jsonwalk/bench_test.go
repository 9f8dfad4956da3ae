package jsonwalk

import (
	"strings"
	"testing"
)

// benchFrame is a message envelope as the emulator sends it.
const benchFrame = `{"envelope_id":"f5914eeb-4035-4952-a8a7-8319472bd2e0","payload":{"token":"Zt4bG6yWnTqLrPp2Xc8VdJk1","team_id":"T04QJ9ZK2MN","context_team_id":"T04QJ9ZK2MN","context_enterprise_id":null,"api_app_id":"A07F3KZ8QRT","event":{"blocks":[{"block_id":"b1","elements":[{"elements":[{"text":"hello","type":"text"}],"type":"rich_text_section"}],"type":"rich_text"}],"channel":"C05R8T2KLMN","channel_type":"channel","event_ts":"1796282526.116322","text":"hello","ts":"1796282526.116322","type":"message","user":"U00000042"},"type":"event_callback","event_id":"EvAJXM2QMS4C","event_time":1796282526,"authorizations":[{"enterprise_id":null,"team_id":"T04QJ9ZK2MN","user_id":"U07F4M2BX9Q","is_bot":true,"is_enterprise_install":false}],"is_ext_shared_channel":false},"type":"events_api","accepts_response_payload":false,"retry_attempt":0,"retry_reason":""}`

func BenchmarkSkip(b *testing.B) {
	i := strings.Index(benchFrame, `{"token"`)
	b.SetBytes(int64(len(benchFrame) - i))
	for b.Loop() {
		if Skip(benchFrame, i) == len(benchFrame) {
			b.Fatal("no end")
		}
	}
}

func BenchmarkWalk(b *testing.B) {
	i := strings.Index(benchFrame, `{"token"`)
	payload := benchFrame[i:Skip(benchFrame, i)]
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		c := New(payload)
		c.Enter()
		n := 0
		for c.Next() {
			switch c.Key() {
			case "event_id", "team_id":
				n += len(c.Str())
			case "event":
				if c.Enter() {
					for c.Next() {
						n += len(c.Str())
					}
				}
			}
		}
		if n == 0 {
			b.Fatal("nothing read")
		}
	}
}
