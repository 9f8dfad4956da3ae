package chart_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/chart"
)

func weeks(n int) []engagement.WeekPoint {
	out := make([]engagement.WeekPoint, n)
	for i := range out {
		out[i] = engagement.WeekPoint{Week: fmt.Sprintf("2026-W%02d", 36+i), Messages: int64(40 + 7*i), ThreadReplies: int64(10 + i),
			ActiveParticipants: int64(12 + i), ParticipationRate: 0.3 + 0.01*float64(i), Seated: 40}
	}
	return out
}

func TestPNGDecodesAtExpectedSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		w    []engagement.WeekPoint
	}{{"12 weeks", weeks(12)}, {"all zero", make([]engagement.WeekPoint, 12)}, {"one week", weeks(1)}} {
		b, err := chart.PNG(context.Background(), "acme", tc.w)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		img, format, err := image.Decode(bytes.NewReader(b))
		if err != nil || format != "png" {
			t.Fatalf("%s: decode: %v (%s)", tc.name, err, format)
		}
		if got := img.Bounds(); got != image.Rect(0, 0, chart.Width, chart.Height) {
			t.Errorf("%s: bounds %v, want %dx%d", tc.name, got, chart.Width, chart.Height)
		}
		// Not a blank canvas: both stacks and both lines are in the picture.
		if tc.name == "12 weeks" {
			for name, c := range map[string]color.RGBA{"posts": chart.PostColor, "replies": chart.ReplyColor, "active": chart.LineColor, "rate": chart.RateColor} {
				if !hasColor(img, c) {
					t.Errorf("%s: no %s drawn", tc.name, name)
				}
			}
		}
	}
	if _, err := chart.PNG(context.Background(), "acme", nil); err == nil {
		t.Errorf("no weeks: want an error")
	}
}

// A shutting-down app does not wait for a picture: a done context stops
// the drawing with the context's error.
func TestPNGStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, err := chart.PNG(ctx, "acme", weeks(12))
	if !errors.Is(err, context.Canceled) || b != nil {
		t.Errorf("PNG with a cancelled context: %d bytes, %v; want context.Canceled", len(b), err)
	}
}

// Weeks before the data are shaded, not drawn as zeros; prototype weeks
// are marked only when there are any.
func TestPNGBlankWeeksAndMarks(t *testing.T) {
	t.Parallel()
	w := weeks(12)
	for i := range 5 {
		w[i] = engagement.WeekPoint{Week: w[i].Week, NoData: true}
	}
	plain := decode(t, w)
	if !hasColor(plain, chart.BlankColor) {
		t.Errorf("weeks without data are not shaded")
	}
	if hasColor(plain, markColor) {
		t.Errorf("a prototype mark without prototypes")
	}
	w[8].Prototypes = 1
	if !hasColor(decode(t, w), markColor) {
		t.Errorf("the prototype week is not marked")
	}
	if hasColor(decode(t, weeks(12)), chart.BlankColor) {
		t.Errorf("shading without blank weeks")
	}
	all := make([]engagement.WeekPoint, 12)
	for i := range all {
		all[i] = engagement.WeekPoint{Week: w[i].Week, NoData: true}
	}
	// The legend's swatch has the bars' colour too: no bars means far fewer
	// pixels of it.
	img := decode(t, all)
	if bars, swatch := countColor(decode(t, weeks(12)), chart.PostColor), countColor(img, chart.PostColor); !hasColor(img, chart.BlankColor) || swatch*10 > bars {
		t.Errorf("no data at all: want every week shaded and no bar (%d pixels of bars, %d with data)", swatch, bars)
	}
}

var markColor = color.RGBA{R: 0x7b, G: 0x2c, B: 0xbf, A: 0xff} // the prototype mark's

func decode(t *testing.T, w []engagement.WeekPoint) image.Image {
	t.Helper()
	b, err := chart.PNG(context.Background(), "acme", w)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func hasColor(img image.Image, c color.RGBA) bool { return countColor(img, c) > 0 }

// countColor counts the pixels of colour c, every other row and column.
func countColor(img image.Image, c color.RGBA) int {
	r, g, b := c.R, c.G, c.B
	n := 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 2 {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if uint8(cr>>8) == r && uint8(cg>>8) == g && uint8(cb>>8) == b {
				n++
			}
		}
	}
	return n
}
