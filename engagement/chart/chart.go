// Package chart draws the digest's picture of the last weeks, as a PNG. It
// lives apart from engagement so that the domain does not carry a plotting
// library.
//
// Two panels share the week axis, because the figures differ a hundredfold:
// on top, messages per week as bars (top-level posts, thread replies stacked
// on them); below, active members (left scale) and the participation rate
// (right scale, %) as lines. Weeks before the first with data are shaded
// and left blank with a note, not drawn as zeros; the last week's values are
// written beside it; weeks with a prototype (or a drop) open are marked
// along the top.
package chart

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Size of the PNG in pixels: wide enough to read in a Slack thread.
const (
	Width  = 1200
	Height = 600
	dpi    = 96
)

// Colours, exported for the tests that look for them in the picture.
var (
	PostColor  = color.RGBA{R: 0x45, G: 0x7b, B: 0x9d, A: 0xff}
	ReplyColor = color.RGBA{R: 0xa8, G: 0xda, B: 0xdc, A: 0xff}
	LineColor  = color.RGBA{R: 0xe6, G: 0x39, B: 0x46, A: 0xff}
	RateColor  = color.RGBA{R: 0x2a, G: 0x9d, B: 0x54, A: 0xff}
	BlankColor = color.RGBA{R: 0xf0, G: 0xed, B: 0xe6, A: 0xff} // warm grey: no anti-aliased edge of black on white matches it
	markColors = map[string]color.RGBA{
		"prototype": {R: 0x7b, G: 0x2c, B: 0xbf, A: 0xff},
		"drop":      {R: 0xf4, G: 0xa2, B: 0x61, A: 0xff},
	}
)

// rightAxis is the room kept right of both panels for the rate's scale.
const rightAxis = vg.Length(46)

// PNG renders the weeks, oldest first, titled with the community's name.
// Drawing takes a noticeable time (much longer under the race detector),
// so it gives up between steps once ctx is done: an app shutting down does
// not wait for a picture nobody will upload.
func PNG(ctx context.Context, community string, weeks []engagement.WeekPoint) ([]byte, error) {
	if len(weeks) == 0 {
		return nil, fmt.Errorf("chart: no weeks to draw")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	top, err := messagesPanel(community, weeks)
	if err != nil {
		return nil, err
	}
	bottom, rateMax, err := membersPanel(weeks)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(Width)*vg.Inch/dpi, vg.Length(Height)*vg.Inch/dpi), vgimg.UseDPI(dpi))
	dc := draw.New(c)
	dc.FillPolygon(color.White, []vg.Point{dc.Min, {X: dc.Min.X, Y: dc.Max.Y}, dc.Max, {X: dc.Max.X, Y: dc.Min.Y}})
	dc = draw.Crop(dc, 0, -rightAxis, 0, 0)
	split := dc.Min.Y + (dc.Max.Y-dc.Min.Y)*0.42 // the messages get the larger share
	topC := draw.Crop(dc, 0, 0, split-dc.Min.Y, 0)
	bottomC := draw.Crop(dc, 0, 0, 0, split-dc.Max.Y)
	// Line the data areas up: the panel with the narrower left axis
	// moves right, so that each week sits above itself.
	topData, bottomData := top.DataCanvas(topC), bottom.DataCanvas(bottomC)
	if d := topData.Min.X - bottomData.Min.X; d > 0 {
		bottomC = draw.Crop(bottomC, d, 0, 0, 0)
	} else {
		topC = draw.Crop(topC, -d, 0, 0, 0)
	}
	if d := topData.Max.X - bottomData.Max.X; d > 0 {
		topC = draw.Crop(topC, 0, -d, 0, 0)
	} else {
		bottomC = draw.Crop(bottomC, 0, d, 0, 0)
	}
	top.Draw(topC)
	bottom.Draw(bottomC)
	drawRateAxis(bottom.DataCanvas(bottomC), rateMax)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: png: %w", err)
	}
	return buf.Bytes(), nil
}

// firstData is the index of the first week with data (len(weeks) if none).
func firstData(weeks []engagement.WeekPoint) int {
	for i, w := range weeks {
		if !w.NoData {
			return i
		}
	}
	return len(weeks)
}

// newPanel is a plot over the weeks' axis with the blank weeks shaded.
func newPanel(weeks []engagement.WeekPoint, yLabel string) *plot.Plot {
	p := plot.New()
	p.Y.Label.Text = yLabel
	p.Y.Min = 0
	p.X.Min, p.X.Max = -0.6, float64(len(weeks))+0.3 // room right of the last week for its labels
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = vg.Points(11)
	p.Add(plotter.NewGrid())
	if n := firstData(weeks); n > 0 {
		p.Add(blank{until: float64(n) - 0.5})
	}
	return p
}

// weekLabels are the axis labels, "W47": the year is in the context.
func weekLabels(weeks []engagement.WeekPoint, show bool) []string {
	out := make([]string, len(weeks))
	for i, w := range weeks {
		if _, num, ok := strings.Cut(w.Week, "-"); ok && show {
			out[i] = num
		}
	}
	return out
}

// messagesPanel: top-level posts with thread replies stacked on them, the
// note on blank weeks, the marks of prototype and drop weeks, the last
// week's figures.
func messagesPanel(community string, weeks []engagement.WeekPoint) (*plot.Plot, error) {
	p := newPanel(weeks, "messages")
	p.Title.Text = community + ": the last " + fmt.Sprint(len(weeks)) + " weeks"
	p.Title.TextStyle.Font.Size = vg.Points(16)
	p.Title.Padding = vg.Points(8)
	first := firstData(weeks)
	posts := make(plotter.Values, len(weeks))
	replies := make(plotter.Values, len(weeks))
	var most float64
	for i, w := range weeks {
		replies[i] = float64(w.ThreadReplies)
		posts[i] = float64(max(0, w.Messages-w.ThreadReplies))
		most = max(most, float64(w.Messages))
	}
	p.Y.Max = max(most*1.45, 10) // room above for the legend, the marks and the last label
	postBars, err := plotter.NewBarChart(posts, vg.Points(30))
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	replyBars, err := plotter.NewBarChart(replies, vg.Points(30))
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	postBars.Color, replyBars.Color = PostColor, ReplyColor
	postBars.LineStyle.Width, replyBars.LineStyle.Width = 0, 0
	replyBars.StackOn(postBars)
	p.Add(postBars, replyBars)
	p.Legend.Add("top-level posts", postBars)
	p.Legend.Add("thread replies", replyBars)
	if first < len(weeks) {
		last := weeks[len(weeks)-1]
		lastLabel := fmt.Sprintf("%d messages\n(%d replies)", last.Messages, last.ThreadReplies)
		if err := addLabel(p, float64(len(weeks)-1), float64(last.Messages), lastLabel, PostColor, draw.XCenter); err != nil {
			return nil, err
		}
	}
	if err := addNote(p, weeks, first); err != nil {
		return nil, err
	}
	if err := addMarks(p, weeks); err != nil {
		return nil, err
	}
	p.NominalX(weekLabels(weeks, false)...)
	return p, nil
}

// addNote writes, in the shaded weeks, why they are blank.
func addNote(p *plot.Plot, weeks []engagement.WeekPoint, first int) error {
	if first == 0 {
		return nil
	}
	note := "no data yet"
	if first < len(weeks) {
		note = "no data before\n" + weekLabels(weeks, true)[first]
	}
	return addLabel(p, (float64(first)-1)/2, p.Y.Max*0.35, note, color.Gray{Y: 0x66}, draw.XCenter)
}

// addMarks puts a glyph along the top of the panel on each week with a
// prototype or a drop open, with a legend entry for each kind that occurs.
func addMarks(p *plot.Plot, weeks []engagement.WeekPoint) error {
	for j, kind := range []string{"prototype", "drop"} {
		var pts plotter.XYs
		for i, w := range weeks {
			if n := map[string]int{"prototype": w.Prototypes, "drop": w.Drops}[kind]; n > 0 {
				pts = append(pts, plotter.XY{X: float64(i), Y: p.Y.Max * (0.96 - 0.05*float64(j))})
			}
		}
		if len(pts) == 0 {
			continue
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return fmt.Errorf("chart: %w", err)
		}
		s.GlyphStyle = draw.GlyphStyle{Color: markColors[kind], Radius: vg.Points(5), Shape: []draw.GlyphDrawer{draw.PyramidGlyph{}, draw.BoxGlyph{}}[j]}
		p.Add(s)
		p.Legend.Add(kind+" open", s)
	}
	return nil
}

// membersPanel: active members on the left scale, the participation rate
// drawn against the right one (drawRateAxis). It returns the rate that the
// panel's top stands for.
func membersPanel(weeks []engagement.WeekPoint) (*plot.Plot, float64, error) {
	p := newPanel(weeks, "active members")
	first := firstData(weeks)
	var most, rateMost float64
	for _, w := range weeks[first:] {
		most = max(most, float64(w.ActiveParticipants))
		rateMost = max(rateMost, w.ParticipationRate)
	}
	p.Y.Max = max(most*1.35, 5)
	// The rate's scale: 100% unless the rates are all low, then the next
	// 10% above the highest, so that its line does not lie on the floor.
	rateMax := 1.0
	if rateMost < 0.5 {
		rateMax = float64(int(rateMost*10)+1) / 10
	}
	p.NominalX(weekLabels(weeks, true)...)
	if first == len(weeks) {
		return p, rateMax, nil
	}
	active := make(plotter.XYs, 0, len(weeks)-first)
	rate := make(plotter.XYs, 0, len(weeks)-first)
	var lastRate float64 // the label's: the last week with a rate
	for i, w := range weeks[first:] {
		active = append(active, plotter.XY{X: float64(first + i), Y: float64(w.ActiveParticipants)})
		if w.Seated > 0 { // seats not known then: no rate to draw
			rate = append(rate, plotter.XY{X: float64(first + i), Y: w.ParticipationRate / rateMax * p.Y.Max})
			lastRate = w.ParticipationRate
		}
	}
	for _, l := range []struct {
		xys   plotter.XYs
		color color.RGBA
		name  string
		label string
	}{
		{active, LineColor, "active members (posted or reacted)", fmt.Sprintf("%d active", weeks[len(weeks)-1].ActiveParticipants)},
		{rate, RateColor, "participation rate (customers who posted ÷ seats), right scale", fmt.Sprintf("%.0f%%", 100*lastRate)},
	} {
		if len(l.xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(l.xys)
		if err != nil {
			return nil, 0, fmt.Errorf("chart: %w", err)
		}
		line.Color, line.Width = l.color, vg.Points(2.5)
		points.Color, points.Shape = l.color, draw.CircleGlyph{}
		p.Add(line, points)
		p.Legend.Add(l.name, line, points)
		end := l.xys[len(l.xys)-1]
		if err := addLabel(p, end.X, end.Y, l.label, l.color, draw.XLeft); err != nil {
			return nil, 0, err
		}
	}
	return p, rateMax, nil
}

// addLabel writes text at (x, y) in data units, just above the point.
func addLabel(p *plot.Plot, x, y float64, text string, c color.Color, align draw.XAlignment) error {
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: x, Y: y}}, Labels: []string{text}})
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	l.TextStyle[0].Color = c
	l.TextStyle[0].Font.Size = vg.Points(11)
	l.TextStyle[0].XAlign = align
	l.TextStyle[0].YAlign = draw.YBottom
	l.TextStyle[0].Handler = p.Title.TextStyle.Handler
	if align == draw.XLeft {
		l.Offset = vg.Point{X: vg.Points(8), Y: vg.Points(-6)}
	} else {
		l.Offset = vg.Point{Y: vg.Points(4)}
	}
	p.Add(l)
	return nil
}

// blank shades the weeks before the first with data.
type blank struct{ until float64 }

func (b blank) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x0, x1 := trX(p.X.Min), trX(b.until)
	c.FillPolygon(BlankColor, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x0, Y: c.Max.Y}, {X: x1, Y: c.Max.Y}, {X: x1, Y: c.Min.Y}})
}

// drawRateAxis draws the participation rate's scale right of the lower
// panel's data area: 0 at the floor, rateMax at the top.
func drawRateAxis(c draw.Canvas, rateMax float64) {
	ls := draw.LineStyle{Color: RateColor, Width: vg.Points(1)}
	x := c.Max.X
	c.StrokeLine2(ls, x, c.Min.Y, x, c.Max.Y)
	sty := draw.TextStyle{Color: RateColor, Font: font.From(plot.DefaultFont, 10), Handler: plot.DefaultTextHandler, XAlign: draw.XLeft, YAlign: draw.YCenter}
	for i := 0; i <= 4; i++ {
		y := c.Min.Y + (c.Max.Y-c.Min.Y)*vg.Length(i)/4
		c.StrokeLine2(ls, x, y, x+vg.Points(4), y)
		c.FillText(sty, vg.Point{X: x + vg.Points(6), Y: y}, fmt.Sprintf("%.0f%%", 100*rateMax*float64(i)/4))
	}
}
