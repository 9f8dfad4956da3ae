package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/closeknit/closeknit/engagement/chart"
)

func TestSandboxPostsTheDigestOfSeveralWeeks(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out")
	var out bytes.Buffer
	err := run(context.Background(), []string{"sandbox", "--members", "30", "--messages", "150", "--weeks", "3", "--timezone", "Pacific/Auckland", "--out", dir},
		func(string) string { return "" }, &out, &bytes.Buffer{})
	if err != nil {
		t.Fatalf("sandbox: %v\n%s", err, out.String())
	}
	for _, want := range []string{"earlier week", "Weekly digest of", "posted to the brand channel C07BRAND001 as at Mon", "09:00 NZDT",
		"(120 the week before)", "wrote digest.md and chart.png to " + dir} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("sandbox output lacks %q:\n%s", want, out.String())
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "digest.md"))
	if err != nil || !strings.Contains(string(md), "# sandbox · week") || !strings.Contains(string(md), "+25% vs last week (120)") {
		t.Errorf("digest.md: %v\n%s", err, md)
	}
	f, err := os.Open(filepath.Join(dir, "chart.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() != chart.Width || img.Bounds().Dy() != chart.Height {
		t.Errorf("chart.png: %v, %v", err, img)
	}
}

func TestSandboxPlaysAWeekAndExits(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"sandbox", "--members", "30", "--messages", "200", "--weeks", "1", "--out", t.TempDir()}, func(string) string { return "" }, &out, &bytes.Buffer{})
	if err != nil {
		t.Fatalf("sandbox: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "The counts match what was played") {
		t.Errorf("sandbox output lacks the check line:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "The prototype tallies match what was played") || !strings.Contains(out.String(), "Results of Next colourway (P2)") {
		t.Errorf("sandbox output lacks the prototypes' results:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "people taking part, first reply") {
		t.Errorf("sandbox output lacks the weekly prompt's tallies:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "all 20 holders confirmed") {
		t.Errorf("sandbox output lacks the drop winners' confirmations:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "2 thanks counted, 1 thank-you posted") || !strings.Contains(out.String(), "1 spotlight posted") {
		t.Errorf("sandbox output lacks the shout-outs and the spotlight:\n%s", out.String())
	}
}
