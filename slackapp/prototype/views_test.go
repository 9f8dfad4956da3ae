package prototype

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/slackapp/feature"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/slack-go/slack"
)

// update rewrites the golden files.
var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

func golden(t *testing.T, name string, v any) { slacktest.Golden(t, name, v, *update) }

// Slack's Block Kit limits (docs.slack.dev/reference/block-kit).
const (
	limitMessageBlocks = 50
	limitModalBlocks   = 100
	limitText          = 3000 // section text, context element text
	limitField         = 2000 // each section field
	limitFields        = 10
	limitHeader        = 150
	limitButton        = 75
	limitActionValue   = 2000
	limitActions       = 25
	limitContext       = 10
	limitModalTitle    = 24
	limitLabel         = 2000
	limitBlockID       = 255
	limitAltText       = 2000
	limitMessageText   = 40000
)

// reporter is the part of testing.T the checks use.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// recorder is a reporter that only remembers whether it was told anything.
type recorder struct{ failed bool }

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }

// checkBlocks reports every Slack limit the blocks break. surface is
// "message" or "modal".
func checkBlocks(t reporter, surface string, blocks []slack.Block) {
	t.Helper()
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Errorf("marshal: %v", err)
		return
	}
	var bs []map[string]any
	if err := json.Unmarshal(raw, &bs); err != nil {
		t.Errorf("unmarshal: %v", err)
		return
	}
	max := limitMessageBlocks
	if surface == "modal" {
		max = limitModalBlocks
	}
	if len(bs) > max {
		t.Errorf("%d blocks in a %s, at most %d", len(bs), surface, max)
	}
	textLen := func(o any) int {
		m, _ := o.(map[string]any)
		s, _ := m["text"].(string)
		return utf8.RuneCountInString(s)
	}
	ids := map[string]bool{}
	for i, b := range bs {
		where := fmt.Sprintf("block %d (%v)", i, b["type"])
		if id, _ := b["block_id"].(string); id != "" {
			if ids[id] {
				t.Errorf("%s: block_id %q repeated", where, id)
			}
			ids[id] = true
			if len(id) > limitBlockID {
				t.Errorf("%s: block_id too long", where)
			}
		}
		switch b["type"] {
		case "header":
			if n := textLen(b["text"]); n == 0 || n > limitHeader {
				t.Errorf("%s: header text %d characters, 1-%d allowed", where, n, limitHeader)
			}
		case "section":
			if b["text"] == nil && b["fields"] == nil {
				t.Errorf("%s: a section needs text or fields", where)
			}
			if n := textLen(b["text"]); n > limitText {
				t.Errorf("%s: text %d characters, at most %d", where, n, limitText)
			}
			fields, _ := b["fields"].([]any)
			if len(fields) > limitFields {
				t.Errorf("%s: %d fields, at most %d", where, len(fields), limitFields)
			}
			for _, f := range fields {
				if n := textLen(f); n > limitField {
					t.Errorf("%s: field %d characters, at most %d", where, n, limitField)
				}
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > limitContext {
				t.Errorf("%s: %d elements, 1-%d allowed", where, len(els), limitContext)
			}
			for _, e := range els {
				if n := textLen(e); n > limitText {
					t.Errorf("%s: element text %d characters, at most %d", where, n, limitText)
				}
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > limitActions {
				t.Errorf("%s: %d elements, 1-%d allowed", where, len(els), limitActions)
			}
			actionIDs := map[string]bool{}
			for _, e := range els {
				m := e.(map[string]any)
				if n := textLen(m["text"]); n == 0 || n > limitButton {
					t.Errorf("%s: button text %d characters, 1-%d allowed", where, n, limitButton)
				}
				if v, _ := m["value"].(string); len(v) > limitActionValue {
					t.Errorf("%s: value too long", where)
				}
				id, _ := m["action_id"].(string)
				if actionIDs[id] {
					t.Errorf("%s: action_id %q repeated", where, id)
				}
				actionIDs[id] = true
			}
		case "image":
			if u, _ := b["image_url"].(string); !strings.HasPrefix(u, "https://") {
				t.Errorf("%s: image_url %q", where, u)
			}
			if a, _ := b["alt_text"].(string); a == "" || utf8.RuneCountInString(a) > limitAltText {
				t.Errorf("%s: alt_text must be 1-%d characters", where, limitAltText)
			}
		case "input":
			if surface != "modal" {
				t.Errorf("%s: input blocks belong in modals", where)
			}
			if n := textLen(b["label"]); n == 0 || n > limitLabel {
				t.Errorf("%s: label %d characters", where, n)
			}
		case "divider":
		default:
			t.Errorf("%s: unexpected block type", where)
		}
	}
}

func checkModal(t *testing.T, v slack.ModalViewRequest) {
	t.Helper()
	if n := utf8.RuneCountInString(v.Title.Text); n == 0 || n > limitModalTitle {
		t.Errorf("modal title %q: 1-%d characters", v.Title.Text, limitModalTitle)
	}
	if v.Submit != nil && utf8.RuneCountInString(v.Submit.Text) > limitModalTitle {
		t.Errorf("submit text too long")
	}
	if len(v.PrivateMetadata) > 3000 || len(v.CallbackID) > 255 {
		t.Errorf("private_metadata or callback_id too long")
	}
	checkBlocks(t, "modal", v.Blocks.BlockSet)
}

func checkMessage(t *testing.T, text string, blocks []slack.Block) {
	t.Helper()
	if text == "" || utf8.RuneCountInString(text) > limitMessageText {
		t.Errorf("message text %d characters: Slack needs a fallback text for notifications", utf8.RuneCountInString(text))
	}
	checkBlocks(t, "message", blocks)
}

var (
	viewOpened = time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC)
	testComm   = &engagement.Community{ID: "acme", Channel: "C05R8T2KLMN", Location: time.UTC, Cap: 100, BrandChannel: "C0BRAND0001"}
)

func sampleProto() *engagement.Prototype {
	return &engagement.Prototype{
		PrototypeSpec: engagement.PrototypeSpec{
			Name: "Cloud Paint 2.0", Description: "Layers, new brushes and <b>live</b> collaboration & more.",
			ImageURL: "https://example.com/cloud-paint.png", Link: "https://example.com/try",
			Question: "Would you swap your current brushes for these?", Reactions: engagement.DefaultReactions,
			OpenFor: 7 * 24 * time.Hour, Author: "U0STAFF0001",
		},
		ID: "P3", Channel: "C05R8T2KLMN", TS: "1763478000.000100", Status: engagement.StatusOpen,
		OpenedAt: viewOpened, ClosesAt: viewOpened.Add(7 * 24 * time.Hour),
	}
}

func samplePoll() *engagement.Prototype {
	p := sampleProto()
	p.Name, p.Question, p.Reactions, p.ImageURL, p.Description = "Next colourway", "Which colour should we make next?", nil, "", ""
	p.Options = []string{"Ocean blue", "Forest green", "Sunset red"}
	p.HideResults = true
	return p
}

func sampleResults(p *engagement.Prototype) *engagement.PrototypeResults {
	r := &engagement.PrototypeResults{Prototype: p, Seated: 40, LateReactions: 2, LateComments: 1,
		Summary: engagement.PrototypeSummary{ID: p.ID, Name: p.Name, Channel: p.Channel, TS: p.TS, Status: p.Status, ClosesAt: p.ClosesAt,
			Reactions:    map[string]int64{"heart_eyes": 9, "+1": 5, "thinking_face": 2, "-1": 1, "tada": 3},
			Participants: 14, Comments: 11, Commenters: 6, Yield: 0.35, Sentiment: 0.62}}
	if p.Kind() == engagement.KindPoll {
		r.Summary.Reactions = map[string]int64{}
		r.Summary.Sentiment = 0
		r.Summary.Votes = map[string]int64{"Ocean blue": 7, "Forest green": 3, "Sunset red": 0}
	}
	return r
}

func TestPrototypeModalGolden(t *testing.T) {
	t.Parallel()
	v := newModal(testComm)
	checkModal(t, v)
	golden(t, "prototype_modal", v)
	checkModal(t, notStaffModal())
}

func TestPrototypeCardGolden(t *testing.T) {
	t.Parallel()
	open := sampleProto()
	text, blocks := card(open, nil)
	checkMessage(t, text, blocks)
	golden(t, "prototype_card_open", map[string]any{"text": text, "blocks": blocks})

	closed := sampleProto()
	closed.Status, closed.ClosedAt = engagement.StatusClosed, closed.ClosesAt
	text, blocks = card(closed, nil)
	checkMessage(t, text, blocks)
	golden(t, "prototype_card_closed", map[string]any{"text": text, "blocks": blocks})

	text, blocks = card(samplePoll(), nil)
	checkMessage(t, text, blocks)
	golden(t, "prototype_card_poll", map[string]any{"text": text, "blocks": blocks})

	closedPoll := samplePoll()
	closedPoll.Status, closedPoll.ClosedAt = engagement.StatusClosed, closedPoll.ClosesAt
	text, blocks = card(closedPoll, sampleResults(closedPoll).Summary.Votes)
	checkMessage(t, text, blocks)
	golden(t, "prototype_card_poll_closed", map[string]any{"text": text, "blocks": blocks})
}

func TestPrototypeResultsGolden(t *testing.T) {
	t.Parallel()
	closed := sampleProto()
	closed.Status, closed.ClosedAt = engagement.StatusClosed, closed.ClosesAt
	text, blocks := results(sampleResults(closed))
	checkMessage(t, text, blocks)
	golden(t, "prototype_results", map[string]any{"text": text, "blocks": blocks})

	text, blocks = results(sampleResults(samplePoll()))
	checkMessage(t, text, blocks)
	golden(t, "prototype_results_poll", map[string]any{"text": text, "blocks": blocks})

	text, blocks = list(testComm, []*engagement.PrototypeResults{sampleResults(samplePoll()), sampleResults(closed)})
	checkMessage(t, text, blocks)
	golden(t, "prototype_list", map[string]any{"text": text, "blocks": blocks})
}

// TestPrototypeViewsStayWithinLimits feeds the views the largest inputs
// validation lets through (and more) and checks Slack would take them.
func TestPrototypeViewsStayWithinLimits(t *testing.T) {
	t.Parallel()
	big := sampleProto()
	big.Name = strings.Repeat("N", 150)
	big.Description = strings.Repeat("d", 2500)
	big.Question = strings.Repeat("q", 300)
	big.Link = "https://example.com/" + strings.Repeat("l", 1980)
	big.ImageURL = "https://example.com/" + strings.Repeat("i", 1980)
	big.Reactions = nil
	for i := range 10 {
		big.Reactions = append(big.Reactions, engagement.ReactionWeight{Emoji: strings.Repeat(string(rune('a'+i)), 64), Weight: 1})
	}
	if err := big.Validate(); err != nil {
		t.Fatalf("the largest spec should be valid: %v", err)
	}
	text, blocks := card(big, nil)
	checkMessage(t, text, blocks)
	poll := samplePoll()
	poll.Name = big.Name
	poll.Options = nil
	for i := range 6 {
		poll.Options = append(poll.Options, strings.Repeat(string(rune('A'+i)), 75))
	}
	text, blocks = card(poll, nil)
	checkMessage(t, text, blocks)
	poll.Status = engagement.StatusClosed
	text, blocks = card(poll, map[string]int64{poll.Options[0]: 1 << 40})
	checkMessage(t, text, blocks)
	r := sampleResults(big)
	for i := range 200 { // members may react with any emoji
		r.Summary.Reactions[fmt.Sprintf("custom_emoji_with_a_long_name_%03d", i)] = int64(i)
	}
	text, blocks = results(r)
	checkMessage(t, text, blocks)
	text, blocks = results(sampleResults(poll))
	checkMessage(t, text, blocks)
	var many []*engagement.PrototypeResults
	for range 200 {
		many = append(many, r)
	}
	text, blocks = list(testComm, many)
	checkMessage(t, text, blocks)
}

// TestStaffTextCannotMentionEveryone: names and questions are escaped, and
// a link cannot end its markup early.
func TestStaffTextCannotMentionEveryone(t *testing.T) {
	t.Parallel()
	p := sampleProto()
	p.Name, p.Question, p.Link = "Hi <!channel>", "<!here> & co?", "https://example.com/a|b>c"
	text, blocks := card(p, nil)
	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false)
	enc.Encode(text)
	for _, b := range blocks {
		if t := b.BlockType(); t != slack.MBTHeader && t != slack.MBTImage { // plain text: Slack shows it as typed
			enc.Encode(b)
		}
	}
	for _, bad := range []string{"<!channel>", "<!here>", "a|b>c"} {
		if strings.Contains(raw.String(), bad) {
			t.Errorf("card contains %q: %s", bad, raw.String())
		}
	}
	if !strings.Contains(raw.String(), "&lt;!here&gt;") {
		t.Errorf("the question is not in the card, escaped: %s", raw.String())
	}
	text, _ = results(sampleResults(p))
	if strings.Contains(text, "<!channel>") {
		t.Errorf("results text %q", text)
	}
}

// TestCheckBlocksCatchesViolations makes sure the limit checks can fail.
func TestCheckBlocksCatchesViolations(t *testing.T) {
	t.Parallel()
	bad := [][]slack.Block{
		{slack.NewHeaderBlock(feature.Plain(strings.Repeat("h", 151)))},
		{slack.NewSectionBlock(feature.Mrkdwn(strings.Repeat("s", 3001)), nil, nil)},
		{slack.NewActionBlock("a", slack.NewButtonBlockElement("x", "", feature.Plain(strings.Repeat("b", 76))))},
		{slack.NewImageBlock("http://insecure.example.com/a.png", "alt", "", nil)},
		make([]slack.Block, 51),
	}
	for i := range bad[4] {
		bad[4][i] = slack.NewDividerBlock()
	}
	for i, blocks := range bad {
		rec := &recorder{}
		checkBlocks(rec, "message", blocks)
		if !rec.failed {
			t.Errorf("case %d: checkBlocks reported nothing", i)
		}
	}
}
