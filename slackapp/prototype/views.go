package prototype

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

const (
	actionVote       = "proto_vote_" // + option number: a poll's buttons
	blockHideResults = "hide_results"
)

// VoteActionID is the action_id of a poll's button for option (1 to
// MaxPollButtons).
func VoteActionID(option int) string { return actionVote + strconv.Itoa(option) }

// newModal is the form staff fill in to post a prototype or a poll.
// Its block IDs are the engagement.Field* names, so validation errors map
// straight onto the inputs.
func newModal(c *engagement.Community) slack.ModalViewRequest {
	input := func(field, label, hint, placeholder string, optional, multiline bool, maxLen int, initial string) *slack.InputBlock {
		el := slack.NewPlainTextInputBlockElement(nil, field)
		if placeholder != "" {
			el.Placeholder = feature.Plain(placeholder)
		}
		el.Multiline = multiline
		el.MaxLength = maxLen
		el.InitialValue = initial
		var h *slack.TextBlockObject
		if hint != "" {
			h = feature.Plain(hint)
		}
		b := slack.NewInputBlock(field, feature.Plain(label), h, el)
		b.Optional = optional
		return b
	}
	hide := slack.NewCheckboxGroupsBlockElement(blockHideResults,
		slack.NewOptionBlockObject("hide", feature.Plain("Hide poll results until the poll closes"), nil))
	hideBlock := slack.NewInputBlock(blockHideResults, feature.Plain("Poll results"), nil, hide)
	hideBlock.Optional = true
	blocks := []slack.Block{
		input(engagement.FieldName, "Name", "", "e.g. Cloud Paint 2.0", false, false, 150, ""),
		input(engagement.FieldDescription, "Description", "What it is and what is new. Markdown works.", "", true, true, 2500, ""),
		input(engagement.FieldImageURL, "Image URL", "An https:// link to a screenshot or photo.", "https://…", true, false, 2000, ""),
		input(engagement.FieldLink, "Link", "Where members can try it.", "https://…", true, false, 2000, ""),
		input(engagement.FieldQuestion, "Question", "", "e.g. Would you swap your current brushes for these?", false, false, 300, ""),
		input(engagement.FieldReactions, "Reactions and sentiment weights",
			"Members react with these; each weight (-1 to 1) feeds the sentiment score. Ignored for a poll.",
			"", true, false, 400, engagement.FormatReactions(engagement.DefaultReactions)),
		input(engagement.FieldOptions, "Poll options",
			"For a poll instead of reactions: 2 to 6 options, one per line. Members vote with buttons, once each, and may change their vote.",
			"", true, true, 500, ""),
		hideBlock,
		input(engagement.FieldOpenFor, "Feedback open for (days)", "From 1 to 30.", "", false, false, 2, "7"),
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ViewNew,
		Title:           feature.Plain("New prototype"),
		Submit:          feature.Plain("Post"),
		Close:           feature.Plain("Cancel"),
		PrivateMetadata: c.ID,
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// notStaffModal answers the shortcut for someone outside the brand team.
func notStaffModal() slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  feature.Plain("closeknit"),
		Close:  feature.Plain("OK"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(feature.Mrkdwn("Sorry, posting prototypes is for the brand team."), nil, nil)}},
	}
}

// postingModal replaces the submitted form while the card is posted in the
// background: Slack wants the submission answered within 3 s, and posting
// may take longer. It has no submit button, so the form cannot be posted
// twice; the outcome comes as a message.
func postingModal(c *engagement.Community, name string) *slack.ModalViewRequest {
	return &slack.ModalViewRequest{
		Type:  slack.VTModal,
		Title: feature.Plain("New prototype"),
		Close: feature.Plain("Close"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(feature.Mrkdwn(fmt.Sprintf(
			"Posting *%s* in <#%s>… I will send you a message when it is up, or if it cannot be posted. You can close this.",
			feature.Escape(name), c.Channel)), nil, nil)}},
	}
}

// specFromSubmission reads the modal's values. Errors in numbers and lists
// come back as field errors, like Validate's.
func specFromSubmission(values map[string]map[string]slack.BlockAction, author string) (engagement.PrototypeSpec, engagement.SpecErrors) {
	get := func(field string) string { return strings.TrimSpace(values[field][field].Value) }
	errs := engagement.SpecErrors{}
	spec := engagement.PrototypeSpec{
		Name: get(engagement.FieldName), Description: get(engagement.FieldDescription),
		ImageURL: get(engagement.FieldImageURL), Link: get(engagement.FieldLink),
		Question: get(engagement.FieldQuestion), Author: author,
	}
	for line := range strings.SplitSeq(get(engagement.FieldOptions), "\n") {
		if o := strings.TrimSpace(line); o != "" {
			spec.Options = append(spec.Options, o)
		}
	}
	spec.HideResults = len(values[blockHideResults][blockHideResults].SelectedOptions) > 0
	if len(spec.Options) == 0 {
		spec.Reactions = engagement.DefaultReactions
		if r := get(engagement.FieldReactions); r != "" {
			rs, err := engagement.ParseReactions(r)
			if err != nil {
				errs[engagement.FieldReactions] = "Write them as emoji=weight, e.g. heart_eyes=1, +1=0.5: " + err.Error()
			}
			spec.Reactions = rs
		}
	}
	days, err := strconv.Atoi(get(engagement.FieldOpenFor))
	if err != nil {
		errs[engagement.FieldOpenFor] = "A whole number of days, please."
	}
	spec.OpenFor = time.Duration(days) * 24 * time.Hour
	if err := spec.Validate(); err != nil {
		if se, ok := err.(engagement.SpecErrors); ok {
			for f, msg := range se {
				if _, set := errs[f]; !set {
					errs[f] = msg
				}
			}
		}
	}
	if len(errs) == 0 {
		return spec, nil
	}
	return spec, errs
}

// card is the message a prototype is posted as, open or closed.
// A closed poll's card shows its votes (nil while open: a poll may hide
// its results until it closes).
func card(p *engagement.Prototype, votes map[string]int64) (string, []slack.Block) {
	closed := p.Status == engagement.StatusClosed
	kind := "Early access"
	if p.Kind() == engagement.KindPoll {
		kind = "Poll"
	}
	blocks := []slack.Block{slack.NewHeaderBlock(feature.Plain(feature.Truncate(p.Name, feature.MaxHeaderText)))}
	if p.Description != "" {
		blocks = append(blocks, slack.NewSectionBlock(feature.Mrkdwn(feature.Truncate(feature.Escape(p.Description), feature.MaxSectionText)), nil, nil))
	}
	if p.ImageURL != "" {
		blocks = append(blocks, slack.NewImageBlock(p.ImageURL, feature.Truncate(p.Name, 2000), "", nil))
	}
	var ask strings.Builder
	fmt.Fprintf(&ask, "*%s*\n", feature.Escape(p.Question))
	if p.Link != "" {
		fmt.Fprintf(&ask, "<%s|Try it here>. ", feature.EscapeURL(p.Link))
	}
	switch {
	case closed:
		ask.WriteString("Thank you for your feedback!")
	case p.Kind() == engagement.KindPoll:
		ask.WriteString("Vote below (you can change your vote), and tell us why in the thread.")
	default:
		ask.WriteString("React with ")
		for i, r := range p.Reactions {
			if i > 0 {
				ask.WriteString(" ")
			}
			fmt.Fprintf(&ask, ":%s:", r.Emoji)
		}
		ask.WriteString(" and tell us why in the thread.")
	}
	blocks = append(blocks, slack.NewSectionBlock(feature.Mrkdwn(feature.Truncate(ask.String(), feature.MaxSectionText)), nil, nil))
	if p.Kind() == engagement.KindPoll && closed && votes != nil {
		blocks = append(blocks, slack.NewSectionBlock(feature.Mrkdwn(feature.Truncate(voteBars(p, votes), feature.MaxSectionText)), nil, nil))
	}
	if p.Kind() == engagement.KindPoll && !closed {
		var buttons []slack.BlockElement
		for i, o := range p.Options {
			buttons = append(buttons, slack.NewButtonBlockElement(VoteActionID(i+1), p.ID, feature.Plain(feature.Truncate(o, feature.MaxButtonText))))
		}
		blocks = append(blocks, slack.NewActionBlock("proto_vote", buttons...))
	}
	// The ID is known once the card is recorded (it needs the card's ts):
	// the card is posted without it and updated with it.
	status := kind
	if p.ID != "" {
		status += " · " + p.ID
	}
	if closed {
		status += " · feedback closed " + feature.Date(p.ClosedAt)
	} else {
		status += " · feedback open until " + feature.Date(p.ClosesAt)
	}
	blocks = append(blocks,
		slack.NewContextBlock("proto_status", feature.Mrkdwn(status)),
		slack.NewActionBlock("proto_staff", slack.NewButtonBlockElement(ActionResults, p.ID, feature.Plain("Results (brand team)"))))
	// The notification text is mrkdwn too: staff text must not mention @channel.
	text := fmt.Sprintf("%s: %s. %s", kind, feature.Escape(p.Name), feature.Escape(p.Question))
	if closed {
		text = fmt.Sprintf("%s: %s (feedback closed)", kind, feature.Escape(p.Name))
	}
	return feature.Truncate(text, feature.MaxSectionText), blocks
}

// signed formats a sentiment or weight with its sign.
func signed(f float64) string {
	if f > 0 {
		return "+" + strconv.FormatFloat(f, 'f', 2, 64)
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

// reactionLine lists a prototype's reactions, its set first, then others.
func reactionLine(p *engagement.Prototype, counts map[string]int64) string {
	var parts []string
	seen := map[string]bool{}
	for _, r := range p.Reactions {
		parts = append(parts, fmt.Sprintf(":%s: %d", r.Emoji, counts[r.Emoji]))
		seen[r.Emoji] = true
	}
	var others []string
	for e := range counts {
		if !seen[e] {
			others = append(others, e)
		}
	}
	slices.Sort(others)
	for _, e := range others {
		parts = append(parts, fmt.Sprintf(":%s: %d", e, counts[e]))
	}
	if len(parts) == 0 {
		return "No reactions yet."
	}
	return strings.Join(parts, " · ")
}

// voteBars draws a poll's votes as bars.
func voteBars(p *engagement.Prototype, votes map[string]int64) string {
	var total int64
	for _, n := range votes {
		total += n
	}
	var b strings.Builder
	for _, o := range p.Options {
		n := votes[o]
		pct := 0.0
		if total > 0 {
			pct = float64(n) / float64(total) * 100
		}
		fmt.Fprintf(&b, "`%-10s` %s %d (%.0f%%)\n", strings.Repeat("█", int(math.Round(pct/10))), feature.Escape(feature.Truncate(o, feature.MaxButtonText)), n, pct)
	}
	return b.String()
}

// figuresLine is a prototype's participation in one line.
func figuresLine(r *engagement.PrototypeResults) string {
	s := r.Summary
	line := fmt.Sprintf("%d participants", s.Participants)
	if r.Seated > 0 {
		line += fmt.Sprintf(" (%.0f%% of %d seats)", s.Yield*100, r.Seated)
	}
	line += fmt.Sprintf(" · %d comments from %d members", s.Comments, s.Commenters)
	if r.Kind() != engagement.KindPoll {
		line += " · sentiment " + signed(s.Sentiment)
	}
	return line
}

// results lays out a prototype's results: the ephemeral detail of
// the Results button and the summary posted when feedback closes.
func results(r *engagement.PrototypeResults) (string, []slack.Block) {
	s := r.Summary
	title := "Results: " + r.Name
	blocks := []slack.Block{slack.NewHeaderBlock(feature.Plain(feature.Truncate(title, feature.MaxHeaderText)))}
	fields := []*slack.TextBlockObject{
		feature.Mrkdwn(fmt.Sprintf("*Status*\n%s", s.Status)),
		feature.Mrkdwn(fmt.Sprintf("*Participants*\n%d", s.Participants)),
		feature.Mrkdwn(fmt.Sprintf("*Comments*\n%d from %d members", s.Comments, s.Commenters)),
	}
	if r.Seated > 0 {
		fields = append(fields, feature.Mrkdwn(fmt.Sprintf("*Feedback yield*\n%.0f%% of %d seated members", s.Yield*100, r.Seated)))
	}
	if r.Kind() == engagement.KindPoll {
		blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil),
			slack.NewSectionBlock(feature.Mrkdwn(feature.Truncate(voteBars(r.Prototype, s.Votes), feature.MaxSectionText)), nil, nil))
	} else {
		fields = append(fields, feature.Mrkdwn(fmt.Sprintf("*Sentiment*\n%s (from -1 to +1)", signed(s.Sentiment))))
		blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil),
			slack.NewSectionBlock(feature.Mrkdwn(feature.Truncate(reactionLine(r.Prototype, s.Reactions), feature.MaxSectionText)), nil, nil))
	}
	ctx := fmt.Sprintf("%s · posted %s", r.ID, feature.Date(r.OpenedAt))
	if r.Status == engagement.StatusClosed {
		ctx += " · closed " + feature.Date(r.ClosedAt)
	} else {
		ctx += " · closes " + feature.Date(r.ClosesAt)
	}
	if late := r.LateReactions + r.LateComments + r.LateVotes; late > 0 {
		ctx += fmt.Sprintf(" · after closing (not counted): %d reactions, %d comments, %d votes", r.LateReactions, r.LateComments, r.LateVotes)
	}
	blocks = append(blocks, slack.NewContextBlock("", feature.Mrkdwn(ctx)))
	text := fmt.Sprintf("Results of %s (%s): %s", feature.Escape(r.Name), r.ID, figuresLine(r))
	return feature.Truncate(text, feature.MaxSectionText), blocks
}

// maxListed bounds /closeknit prototypes: a message has at most 50 blocks.
const maxListed = 20

// list lays out open and recent prototypes, newest first.
func list(c *engagement.Community, all []*engagement.PrototypeResults) (string, []slack.Block) {
	if len(all) == 0 {
		return "No prototypes yet. Post one with /closeknit prototype.", nil
	}
	blocks := []slack.Block{slack.NewHeaderBlock(feature.Plain(feature.Truncate("Prototypes · "+c.ID, feature.MaxHeaderText)))}
	for i, r := range all {
		if i == maxListed {
			blocks = append(blocks, slack.NewContextBlock("", feature.Mrkdwn(fmt.Sprintf("and %d older ones: `closeknit prototypes` lists them all.", len(all)-maxListed))))
			break
		}
		when := "open until " + feature.Date(r.ClosesAt)
		if r.Status == engagement.StatusClosed {
			when = "closed " + feature.Date(r.ClosedAt)
		}
		figures := reactionLine(r.Prototype, r.Summary.Reactions)
		if r.Kind() == engagement.KindPoll {
			figures = strings.TrimSpace(voteBars(r.Prototype, r.Summary.Votes))
		}
		text := fmt.Sprintf("*%s · %s* · %s\n%s\n%s", r.ID, feature.Escape(r.Name), when, figures, figuresLine(r))
		blocks = append(blocks, slack.NewSectionBlock(feature.Mrkdwn(feature.Truncate(text, feature.MaxSectionText)), nil, nil))
	}
	return fmt.Sprintf("%d prototypes in %s", len(all), c.ID), blocks
}
