package digest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/closeknit/closeknit/engagement"
)

// The week's seat requests show in the Block Kit digest, the Markdown and
// the JSON, also in a quiet week; a week without any shows nothing.
func TestDigestSeatRequests(t *testing.T) {
	k := fixtureKPIs(t)
	k.SeatRequests = &engagement.SeatRequestWeek{Opened: 4, Approved: 2, Declined: 1, Open: 1, DecisionMedianSeconds: 3 * 3600}
	const want = "4 asked · 2 approved · 1 declined · 1 waiting for a decision · median 3h 0m to a decision"
	blocks, err := json.Marshal(messageBlocks(k))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(blocks), "*Seat requests*\\n"+want) {
		t.Errorf("blocks lack the requests line %q:\n%s", want, blocks)
	}
	if md := Markdown(k, false); !strings.Contains(md, "Seat requests: "+want) {
		t.Errorf("Markdown lacks the requests line:\n%s", md)
	}
	js, _ := json.Marshal(k)
	if !strings.Contains(string(js), `"seat_requests":{"opened":4,"approved":2,"declined":1,"open":1,"decision_median_seconds":10800}`) {
		t.Errorf("JSON: %s", js)
	}
	quiet := &engagement.KPIs{Community: "acme", Channel: "C05R8T2KLMN", Timezone: k.Timezone, Week: "2026-W47",
		Start: k.Start, End: k.End, Cap: 50, Seated: 40, Waitlist: 2, SeatRequests: &engagement.SeatRequestWeek{Opened: 1, Open: 1}}
	if b, _ := json.Marshal(messageBlocks(quiet)); !strings.Contains(string(b), "1 asked · 0 approved · 0 declined · 1 waiting") {
		t.Errorf("quiet week without its request: %s", b)
	}
	k.SeatRequests = nil
	if b, _ := json.Marshal(messageBlocks(k)); strings.Contains(string(b), "Seat requests") || strings.Contains(Markdown(k, true), "Seat requests") {
		t.Error("a week without requests shows a requests line")
	}
}
