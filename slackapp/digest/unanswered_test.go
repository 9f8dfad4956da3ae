package digest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/closeknit/closeknit/engagement"
)

// The digest lists the 10 oldest posts waiting for an answer and says how
// many more the staff Home has; the staff Home lists every one.
func TestUnansweredDigestTenHomeAll(t *testing.T) {
	k := fixtureKPIs(t)
	k.Unanswered = nil
	for i := range 130 {
		ts := fmt.Sprintf("17635%05d.000100", i) // oldest first, as KPIs sorts them
		k.Unanswered = append(k.Unanswered, engagement.Unanswered{User: fmt.Sprintf("U%08d", i), TS: ts,
			Permalink: "https://acme.slack.com/archives/C05R8T2KLMN/p" + strings.Replace(ts, ".", "", 1)})
	}
	digest := unansweredText(k)
	if n := strings.Count(digest, "|post>"); n != 10 || !strings.Contains(digest, "<@U00000000>") || strings.Contains(digest, "<@U00000010>") ||
		!strings.Contains(digest, "… and 120 more: the staff Home") {
		t.Errorf("digest: %d posts listed, want the 10 oldest and 120 more:\n%s", n, digest)
	}
	home, err := json.Marshal(staffHomeView([]*engagement.KPIs{k}, k.AsOf))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(home), "|post\\u003e"); n != 130 {
		t.Errorf("staff Home lists %d of 130 waiting posts", n)
	}
}
