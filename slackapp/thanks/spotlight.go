package thanks

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/slack-go/slack"
)

// The spotlight: one member a month, picked by staff from the candidates
// on their App Home (the most thanked and the best helpers of the last four
// weeks), posted in the community channel once per community and month
// (engagement.ClaimSpotlight): a double click, two staff pressing at once
// or a press on a stale Home post one spotlight; later presses are told
// who was picked. A claim whose poster stopped is taken over after a
// minute by the next press, which first looks in the channel for the
// spotlight by its metadata, like the digest.

// maxCandidates is how many candidates the Home offers, one button each.
const maxCandidates = 5

// candidate is a member with their thanks and first answers.
type candidate struct {
	user            string
	thanks, answers int64
}

// HomeBlocks are the spotlight's section of a staff member's App Home for
// c: this month's spotlight if there is one, else the candidates with a
// button each.
func (f *Feature) HomeBlocks(ctx context.Context, c *engagement.Community, _ string) ([]slack.Block, error) {
	now := f.d.Store.Now()
	month := engagement.SpotlightMonth(now, c)
	title := now.In(c.Location).Format("January 2006")
	sp, err := f.d.Store.SpotlightOf(ctx, c, month)
	if err != nil {
		return nil, err
	}
	if sp.State == engagement.SpotlightSent {
		return []slack.Block{section(fmt.Sprintf(":star2: *Spotlight of %s*: <@%s>, picked by <@%s>. The next one can be picked in a month.",
			title, sp.User, sp.By))}, nil
	}
	ap, err := f.d.Store.Appreciation(ctx, c, f.d.Store.RecentWeeks(c), 2*maxCandidates)
	if err != nil {
		return nil, err
	}
	cands := merge(ap)
	head := fmt.Sprintf(":star2: *Spotlight of %s* (%s): pick one member to feature in <#%s>, once a month. "+
		"Candidates: the most thanked and the first to answer others' posts in the last four weeks.", title, c.ID, c.Channel)
	if sp.State == engagement.SpotlightSending {
		head += fmt.Sprintf("\n_The spotlight on <@%s> is being posted._", sp.User)
	}
	if len(cands) == 0 {
		return []slack.Block{section(head + "\nNo candidates yet: thanks (`/closeknit thanks @member` or :" + c.ThanksReaction +
			": on a post) and first answers show here.")}, nil
	}
	blocks := []slack.Block{section(head)}
	for _, k := range cands {
		btn := slack.NewButtonBlockElement(ActionSpotlight, strings.Join([]string{c.ID, k.user, strconv.FormatInt(k.thanks, 10), strconv.FormatInt(k.answers, 10)}, "|"),
			feature.Plain("Spotlight"))
		blocks = append(blocks, slack.NewSectionBlock(feature.Mrkdwn(fmt.Sprintf("<@%s> · %s", k.user, figures(k))), nil, slack.NewAccessory(btn)))
	}
	return blocks, nil
}

func section(s string) *slack.SectionBlock { return slack.NewSectionBlock(feature.Mrkdwn(s), nil, nil) }

// merge ranks the members of both lists by thanks plus first answers.
func merge(ap *engagement.Appreciation) []candidate {
	by := map[string]*candidate{}
	get := func(u string) *candidate {
		if by[u] == nil {
			by[u] = &candidate{user: u}
		}
		return by[u]
	}
	for _, m := range ap.MostThanked {
		get(m.User).thanks = m.Thanks
	}
	for _, m := range ap.Helpers {
		get(m.User).answers = m.FirstAnswers
	}
	var out []candidate
	for _, k := range by {
		out = append(out, *k)
	}
	slices.SortFunc(out, func(a, b candidate) int {
		if d := (b.thanks + b.answers) - (a.thanks + a.answers); d != 0 {
			return int(d)
		}
		return strings.Compare(a.user, b.user)
	})
	return out[:min(len(out), maxCandidates)]
}

// figures is a candidate's reasons, for people.
func figures(k candidate) string {
	var parts []string
	if k.thanks > 0 {
		parts = append(parts, count(k.thanks, "thanks", "thanks"))
	}
	if k.answers > 0 {
		parts = append(parts, "first to answer "+count(k.answers, "post", "posts"))
	}
	return strings.Join(parts, " · ")
}

func count(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Spotlight answers a press of a candidate's button: staff only; the
// month's claim is taken before the ack, the post made after it.
func (f *Feature) Spotlight(ctx context.Context, cb *slack.InteractionCallback) (any, error) {
	if len(cb.ActionCallback.BlockActions) == 0 {
		return nil, nil
	}
	parts := strings.Split(cb.ActionCallback.BlockActions[0].Value, "|")
	presser := cb.User.ID
	to := feature.Notice{User: presser, ResponseURL: cb.ResponseURL}
	var c *engagement.Community
	if len(parts) == 4 {
		c = f.d.ByID(parts[0])
	}
	if c == nil || !engagement.ValidUserID(parts[1]) {
		f.tell(to, "That button is out of date: open the Home tab again.")
		return nil, nil
	}
	if !c.IsStaff(presser) {
		f.tell(to, "Thanks for caring! Picking the monthly spotlight is up to the brand team, so nothing was posted.")
		return nil, nil
	}
	k := candidate{user: parts[1]}
	k.thanks, _ = strconv.ParseInt(parts[2], 10, 64)
	k.answers, _ = strconv.ParseInt(parts[3], 10, 64)
	now := f.d.Store.Now()
	month := engagement.SpotlightMonth(now, c)
	sp, err := f.d.Store.ClaimSpotlight(ctx, c, month, k.user, presser)
	if err != nil {
		return nil, err
	}
	switch {
	case !sp.Post && sp.State == engagement.SpotlightSent:
		f.tell(to, fmt.Sprintf("This month's spotlight already went to <@%s> (picked by <@%s>): one a month.", sp.User, sp.By))
		return nil, nil
	case !sp.Post:
		f.tell(to, fmt.Sprintf("The spotlight on <@%s> is being posted (picked by <@%s>): one a month.", sp.User, sp.By))
		return nil, nil
	}
	if sp.User != k.user { // a takeover posts the member picked first
		k = candidate{user: sp.User}
	}
	title := now.In(c.Location).Format("January")
	if !f.d.Run.Go(func() { f.post(c, month, title, sp, k, to) }) {
		if err := f.d.Store.ReleaseSpotlight(ctx, c, month); err != nil {
			f.d.Log.Warn("spotlight claim not released", "community", c.ID, "err", err)
		}
		f.tell(to, "I am busy right now; please press again in a minute.")
	}
	return nil, nil
}

// tell answers the presser privately, after the ack.
func (f *Feature) tell(to feature.Notice, text string) {
	if !f.d.Run.Go(func() { f.d.Notify.Tell(to, text) }) {
		f.d.Log.Warn("spotlight answer not sent: busy", "user_id", to.User)
	}
}

// post posts the spotlight, unless a takeover finds it posted already.
func (f *Feature) post(c *engagement.Community, month, title string, sp engagement.Spotlight, k candidate, to feature.Notice) {
	ctx, cancel := context.WithTimeout(context.Background(), feature.Post)
	defer cancel()
	if !sp.Fresh {
		ts, err := feature.FindPosted(ctx, f.d.API, c.Channel, sp.ClaimedAt, EventType, c.ID, month, f.d.Ours)
		if err != nil {
			f.d.Log.Warn("spotlight: looking for an earlier post", "community", c.ID, "err", err)
			f.d.Notify.Tell(to, "I could not check whether the spotlight is up already; please press again in a minute.")
			return
		}
		if ts != "" {
			f.mark(ctx, c, month, ts, sp.User, to)
			return
		}
	}
	text := fmt.Sprintf(":star2: *Spotlight of %s: <@%s>!* ", title, k.user)
	if why := figures(k); why != "" {
		text += "Over the last weeks: " + why + ". "
	}
	text += "Thank you for making this community what it is. :raised_hands:"
	_, ts, err := f.d.API.PostMessageContext(ctx, c.Channel, slack.MsgOptionText(text, false),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: EventType, EventPayload: map[string]any{"community": c.ID, "week": month}}))
	code := feature.Code(err)
	switch {
	case feature.Final(code):
		f.d.Notify.Refused(c, "spotlight.post", code)
		rctx, rcancel := context.WithTimeout(context.Background(), feature.Release)
		defer rcancel()
		if err := f.d.Store.ReleaseSpotlight(rctx, c, month); err != nil {
			f.d.Log.Warn("spotlight claim not released", "community", c.ID, "err", err)
		}
		f.d.Notify.Tell(to, fmt.Sprintf("Slack refused the spotlight in <#%s> (%s): nothing was posted. Pick again once that is fixed.", c.Channel, code))
	case err != nil:
		// It may be up: the claim stays, and a press after a minute looks
		// in the channel before posting.
		f.d.Log.Warn("spotlight not confirmed", "community", c.ID, "err", err)
		f.d.Notify.Tell(to, fmt.Sprintf("Slack did not confirm the spotlight on <@%s>; it may be up. Press again in a minute if it is not: it is posted once.", k.user))
	default:
		f.mark(ctx, c, month, ts, k.user, to)
	}
}

func (f *Feature) mark(ctx context.Context, c *engagement.Community, month, ts, user string, to feature.Notice) {
	if err := f.d.Store.MarkSpotlightPosted(ctx, c, month, ts); err != nil {
		f.d.Log.Error("spotlight posted but not recorded", "community", c.ID, "ts", ts, "err", err)
	}
	f.d.Notify.Tell(to, fmt.Sprintf("The spotlight on <@%s> is up in <#%s>. :star2:", user, c.Channel))
}
