package chart_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"testing"

	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/chart"
)

func weeks(n int) []engagement.WeekPoint {
	out := make([]engagement.WeekPoint, n)
	for i := range out {
		out[i] = engagement.WeekPoint{Week: fmt.Sprintf("2026-W%02d", 36+i), Messages: int64(40 + 7*i), ActiveParticipants: int64(12 + i)}
	}
	return out
}

func TestPNGDecodesAtExpectedSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		w    []engagement.WeekPoint
	}{{"12 weeks", weeks(12)}, {"all zero", make([]engagement.WeekPoint, 12)}, {"one week", weeks(1)}} {
		b, err := chart.PNG("acme", tc.w)
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
		// Not a blank canvas: the bars' colour is somewhere in the picture.
		if tc.name == "12 weeks" && !hasColor(img, 0x45, 0x7b, 0x9d) {
			t.Errorf("%s: no bar drawn", tc.name)
		}
	}
	if _, err := chart.PNG("acme", nil); err == nil {
		t.Errorf("no weeks: want an error")
	}
}

func hasColor(img image.Image, r, g, b uint8) bool {
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 2 {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if uint8(cr>>8) == r && uint8(cg>>8) == g && uint8(cb>>8) == b {
				return true
			}
		}
	}
	return false
}

var _ = png.Decode // registers the PNG decoder
