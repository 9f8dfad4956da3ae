// Package chart draws the digest's picture: 12 weeks of messages (bars)
// and active members (a line), as a PNG. It lives apart from engagement so
// that the domain does not carry a plotting library.
package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"strings"

	"github.com/closeknit/closeknit/engagement"
	"gonum.org/v1/plot"
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

var (
	barColor  = color.RGBA{R: 0x45, G: 0x7b, B: 0x9d, A: 0xff}
	lineColor = color.RGBA{R: 0xe6, G: 0x39, B: 0x46, A: 0xff}
)

// PNG renders the weeks, oldest first, titled with the community's name.
func PNG(community string, weeks []engagement.WeekPoint) ([]byte, error) {
	if len(weeks) == 0 {
		return nil, fmt.Errorf("chart: no weeks to draw")
	}
	p := plot.New()
	p.Title.Text = community + ": the last " + fmt.Sprint(len(weeks)) + " weeks"
	p.Y.Label.Text = "count"
	p.Y.Min = 0
	p.Legend.Top = true
	msgs := make(plotter.Values, len(weeks))
	active := make(plotter.XYs, len(weeks))
	labels := make([]string, len(weeks))
	for i, w := range weeks {
		msgs[i] = float64(w.Messages)
		active[i] = plotter.XY{X: float64(i), Y: float64(w.ActiveParticipants)}
		_, num, _ := strings.Cut(w.Week, "-")
		labels[i] = num // "W47": the year is in the title's context
	}
	bars, err := plotter.NewBarChart(msgs, vg.Points(28))
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	bars.Color = barColor
	bars.LineStyle.Width = 0
	line, points, err := plotter.NewLinePoints(active)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	line.Color, line.Width = lineColor, vg.Points(2.5)
	points.Color, points.Shape = lineColor, draw.CircleGlyph{}
	p.Add(bars, line, points)
	p.Legend.Add("messages", bars)
	p.Legend.Add("active members", line, points)
	p.NominalX(labels...)
	p.Y.Max = max(p.Y.Max*1.15, 1) // room for the legend
	p.X.Min, p.X.Max = -0.6, float64(len(weeks))-0.4
	p.Title.TextStyle.Font.Size = vg.Points(16)
	p.Title.Padding = vg.Points(8)

	c := vgimg.NewWith(vgimg.UseWH(vg.Length(Width)*vg.Inch/dpi, vg.Length(Height)*vg.Inch/dpi), vgimg.UseDPI(dpi))
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: png: %w", err)
	}
	return buf.Bytes(), nil
}
