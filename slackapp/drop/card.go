package drop

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// The modal's inputs (block and action IDs are the same).
const (
	fieldName     = "name"
	fieldDetails  = "details"
	fieldImage    = "image_url"
	fieldQuantity = "quantity"
	fieldHours    = "hours"
	fieldMessage  = "message"
	fieldConfirm  = "confirm_hours"
)

func input(id, label, placeholder string, optional, multiline bool) *slack.InputBlock {
	e := slack.NewPlainTextInputBlockElement(feature.Plain(placeholder), id)
	e.Multiline = multiline
	b := slack.NewInputBlock(id, feature.Plain(label), nil, e)
	b.Optional = optional
	return b
}

// newModal is the form staff fill in to post a drop in community c.
func newModal(c *engagement.Community) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: ViewNew, PrivateMetadata: c.ID,
		Title: feature.Plain("Post a drop"), Submit: feature.Plain("Post"), Close: feature.Plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			input(fieldName, "Product", "Cloud Paint 2.0 sample kit", false, false),
			input(fieldDetails, "Details", "What it is, what you would like back", true, true),
			input(fieldImage, "Image (https link)", "https://…", true, false),
			input(fieldQuantity, "How many", "20", false, false),
			input(fieldHours, "Claims open for (hours)", "24", false, false),
			input(fieldMessage, "Message to each winner (DM)", "Next steps, e.g. a form link for the shipping address", false, true),
			input(fieldConfirm, "Winners confirm within (hours)", "Empty: no need to confirm. E.g. 48: a unit not confirmed goes to the next in line", true, false),
		}},
	}
}

// specFrom reads a submitted form; errs maps fields to what is wrong.
func specFrom(values map[string]map[string]slack.BlockAction, author string) (engagement.DropSpec, map[string]string) {
	v := func(f string) string { return strings.TrimSpace(values[f][f].Value) }
	errs := map[string]string{}
	qty, err := strconv.Atoi(v(fieldQuantity))
	if err != nil || qty < 1 || qty > engagement.MaxDropQuantity {
		errs[fieldQuantity] = fmt.Sprintf("A whole number from 1 to %d.", engagement.MaxDropQuantity)
	}
	window, ok := hours(v(fieldHours))
	if !ok || window == 0 {
		errs[fieldHours] = "A number of hours, such as 24 or 0.5."
	}
	confirm, ok := hours(v(fieldConfirm)) // optional: empty is no confirmation
	if !ok {
		errs[fieldConfirm] = "Empty, or a number of hours, such as 48."
	}
	spec := engagement.DropSpec{Name: v(fieldName), Details: v(fieldDetails), ImageURL: v(fieldImage), Message: v(fieldMessage),
		Quantity: qty, Window: window, ConfirmWithin: confirm, Author: author}
	if len(errs) > 0 {
		return spec, errs
	}
	if msg, ok := feature.Invalid(spec.Validate()); ok {
		field := fieldName
		switch {
		case strings.Contains(msg, "image"):
			field = fieldImage
		case strings.Contains(msg, "confirm"):
			field = fieldConfirm
		case strings.Contains(msg, "open"):
			field = fieldHours
		case strings.Contains(msg, "details"):
			field = fieldDetails
		}
		return spec, map[string]string{field: msg}
	}
	return spec, nil
}

// hours reads a form's number of hours ("24", "0.5"); empty is zero, and
// false means it is not a positive number.
func hours(v string) (time.Duration, bool) {
	if v == "" {
		return 0, true
	}
	h, err := strconv.ParseFloat(v, 64)
	if err != nil || h <= 0 {
		return 0, false
	}
	return time.Duration(h * float64(time.Hour)), true
}

// card renders a drop as its card shows it now.
func card(d *engagement.Drop) (string, []slack.Block) {
	text := fmt.Sprintf("Early access: %s (%d of %d left)", d.Name, d.Left(), d.Quantity)
	head := slack.NewSectionBlock(feature.Mrkdwn(fmt.Sprintf("*Early access · %s*\n*%s*\n%s", d.ID, feature.Escape(d.Name),
		feature.Truncate(feature.Escape(d.Details), feature.MaxSectionText-200))), nil, nil)
	if d.ImageURL != "" {
		head.Accessory = slack.NewAccessory(slack.NewImageBlockElement(d.ImageURL, d.Name))
	}
	var state string
	switch {
	case d.Status == engagement.DropClosed:
		state = fmt.Sprintf("Closed: %d of %d claimed.", d.Claimed, d.Quantity)
	case d.Left() == 0:
		state = fmt.Sprintf("All %d claimed. Press Claim to join the line (%d waiting): a unit given back goes to the next in line. Closes %s.",
			d.Quantity, d.Waiting, feature.Date(d.ClosesAt))
	default:
		state = fmt.Sprintf("*%d of %d left.* One per member; closes %s.", d.Left(), d.Quantity, feature.Date(d.ClosesAt))
	}
	state += confirmNote(d)
	blocks := []slack.Block{head, slack.NewContextBlock("", feature.Mrkdwn(state))}
	if d.Status == engagement.DropOpen {
		claim := slack.NewButtonBlockElement(ActionClaim, d.ID, feature.Plain("Claim"))
		claim.Style = slack.StylePrimary
		blocks = append(blocks, slack.NewActionBlock("drop_actions", claim))
	}
	return text, blocks
}

// answer is what the presser of Claim reads, privately.
func answer(d string, r engagement.ClaimResult) string {
	switch r.Outcome {
	case engagement.ClaimWon:
		return fmt.Sprintf("It is yours: you have one of %s. I am sending you the next steps by DM.", d)
	case engagement.ClaimAlreadyWon:
		return fmt.Sprintf("You already have one of %s; the next steps are in your DMs.", d)
	case engagement.ClaimWaiting, engagement.ClaimAlreadyWaiting:
		return fmt.Sprintf("All of %s are claimed. You are number %d in line: if a unit is given back, it goes to the next in line, and I will DM you.", d, r.Place)
	case engagement.ClaimCooling:
		return fmt.Sprintf("You won one of the last drops, so for %s you wait behind members who did not: you are number %d in line. "+
			"Units given back, or still left when claims close, go to the line in order, and I will DM you.", d, r.Place)
	case engagement.ClaimClosed:
		return fmt.Sprintf("Claims for %s are closed.", d)
	case engagement.ClaimStaff:
		return "Drops are for members: the brand team cannot claim."
	case engagement.ClaimReleased:
		return fmt.Sprintf("Your unit of %s was given back, so you cannot claim it again.", d)
	}
	return fmt.Sprintf("Drops are for members holding a seat in the community, so you cannot claim %s.", d)
}

// outcome is how a press is counted in closeknit_drop_claims_total.
func outcome(r engagement.ClaimResult) string {
	switch r.Outcome {
	case engagement.ClaimWon:
		return outcomeWon
	case engagement.ClaimWaiting, engagement.ClaimCooling:
		return outcomeWaitlisted
	}
	return outcomeRefused
}
