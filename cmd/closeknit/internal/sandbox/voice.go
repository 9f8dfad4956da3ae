package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/closeknit/closeknit/cmd/closeknit/internal/sim"
	"github.com/closeknit/closeknit/engagement"
)

// voiceDigest prints what the current week's digest says of the ideas and
// the drop just played (they fall in this week, not in the week of the
// digest posted below), as `closeknit digest --format json` has it, and
// checks it.
func voiceDigest(ctx context.Context, store *engagement.Store, c *engagement.Community, stdout io.Writer) error {
	w := engagement.WeekOf(time.Now(), c.Location)
	k, err := store.KPIs(ctx, c, w, engagement.KPIOptions{})
	if err != nil {
		return err
	}
	out, err := json.MarshalIndent(map[string]any{"ideas_new": k.IdeasNew, "ideas_status_changed": k.IdeasStatusChanged, "drops": k.Drops}, "  ", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nIn the digest of this week (%s), as `closeknit digest --format json` shows it:\n  %s\n", w, out)
	last := k.History[len(k.History)-1]
	switch {
	case len(k.IdeasNew) != 2 || len(k.IdeasStatusChanged) != 1 || k.IdeasStatusChanged[0].Status != engagement.IdeaPlanned:
		return fmt.Errorf("sandbox: the digest lists %d new ideas and %d status changes, want 2 (the merged one left out) and 1 (planned)",
			len(k.IdeasNew), len(k.IdeasStatusChanged))
	case len(k.Drops) != 1 || k.Drops[0].Claimed != min(sim.DropUnits, k.Seated) || k.Drops[0].SoldOutSeconds == nil:
		return fmt.Errorf("sandbox: the digest's drops %+v, want one sold out", k.Drops)
	case last.Drops != 1:
		return fmt.Errorf("sandbox: the chart marks %d drops this week, want 1", last.Drops)
	}
	return nil
}
