package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement/redistest"
)

func TestGrowthVerdict(t *testing.T) {
	t.Parallel()
	steady := func(i int) soakSample {
		// A GC sawtooth around a flat line.
		return soakSample{rss: 34e6 + float64(i%3)*1e6, heap: 8e6 + float64(i%4)*3e6, goroutines: 16}
	}
	leak := func(i int) soakSample {
		s := steady(i)
		s.rss += float64(i) * 2e6
		return s
	}
	goroutineLeak := func(i int) soakSample {
		s := steady(i)
		s.goroutines += float64(i)
		return s
	}
	for name, tc := range map[string]struct {
		f    func(int) soakSample
		grew bool
	}{"steady": {steady, false}, "rss leak": {leak, true}, "goroutine leak": {goroutineLeak, true}} {
		var samples []soakSample
		for i := range 21 {
			samples = append(samples, tc.f(i))
		}
		if v := growthVerdict(samples); v.grew != tc.grew {
			t.Errorf("%s: %s, want grew=%v", name, v.text, tc.grew)
		}
	}
	if v := growthVerdict(make([]soakSample, 3)); v.grew || !strings.Contains(v.text, "too few") {
		t.Errorf("3 samples: %s", v.text)
	}
}

// TestLoadtestSoakShort runs the soak mode for a few seconds against a real
// `closeknit serve` child (the test binary re-executed as the program, see
// TestMain) and checks the table and that every envelope sent was counted.
// The growth verdict of so short a run under the race detector means
// little; TestGrowthVerdict checks the verdict itself.
func TestLoadtestSoakShort(t *testing.T) {
	t.Setenv("CLOSEKNIT_TEST_RUN_MAIN", "1") // inherited by the child only
	var out bytes.Buffer
	getenv := func(k string) string {
		if k == "REDIS_URL" {
			return redistest.URL()
		}
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := run(ctx, []string{"loadtest", "--soak", "3s", "--rate", "400", "--sample", "500ms"}, getenv, &out, &bytes.Buffer{})
	if err != nil && !strings.Contains(err.Error(), "GROWTH") {
		t.Fatalf("soak: %v\n%s", err, out.String())
	}
	for _, want := range []string{"RSS MB", "heap MB", "goroutines", "counted in Redis", "✓", "growth verdict:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if rows := strings.Count(out.String(), "\n") - 6; rows < 6 {
		t.Errorf("only %d sample rows:\n%s", rows, out.String())
	}
}
