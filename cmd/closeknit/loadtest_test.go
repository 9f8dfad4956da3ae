package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/engagement/redistest"
)

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
