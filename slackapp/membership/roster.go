package membership

import (
	"context"
	"fmt"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/slack-go/slack"
)

// Roster is a scheduled job: it compares the seats with
// conversations.members, so missed events and changes made while the app
// was down are corrected.
func (f *Feature) Roster(ctx context.Context, c *engagement.Community) error {
	// A staff group that cannot be read (RefreshStaff logs it) does not
	// stop the check: listed staff are still known, and group members
	// found in the channel are left alone rather than seated.
	f.RefreshStaff(ctx, c)
	var present []string
	params := &slack.GetUsersInConversationParameters{ChannelID: c.Channel, Limit: 200}
	for {
		users, next, err := f.API.GetUsersInConversationContext(ctx, params)
		if err != nil {
			return fmt.Errorf("conversations.members: %w", err)
		}
		present = append(present, users...)
		if next == "" {
			break
		}
		params.Cursor = next
	}
	customers := present[:0]
	for _, u := range present {
		if u == f.BotUser() || c.IsStaff(u) {
			continue
		}
		kind, err := f.userKind(ctx, c, u, true)
		if err != nil {
			return err
		}
		if kind == "human" { // bots take no seat; deactivated people lose theirs
			customers = append(customers, u)
		}
	}
	if !c.StaffKnown() {
		// Without the staff group, a group member present would look like
		// a customer: only take seats away (people gone), seat nobody.
		f.Log.Warn("roster check seats nobody: the staff user group is unknown", "community", c.ID)
	}
	seated, unseated, err := f.Store.Reconcile(ctx, c, customers, f.Store.Now(), 10*time.Minute, c.StaffKnown())
	if err != nil {
		return err
	}
	// Seats left free while invites were refused (the app was not in the
	// channel) are offered again.
	promoted, err := f.Store.FillSeats(ctx, c, f.Store.Now())
	if err != nil {
		return err
	}
	if seated+unseated+promoted > 0 {
		f.Log.Info("roster reconciled", "community", c.ID, "seated", seated, "unseated", unseated, "promoted", promoted)
	}
	f.refreshSeatGauges(ctx, c)
	return nil
}
