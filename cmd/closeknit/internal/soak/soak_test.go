package soak

import (
	"strings"
	"testing"
)

func TestGrowthVerdict(t *testing.T) {
	t.Parallel()
	steady := func(i int) sample {
		// A GC sawtooth around a flat line.
		return sample{rss: 34e6 + float64(i%3)*1e6, heap: 8e6 + float64(i%4)*3e6, goroutines: 16}
	}
	leak := func(i int) sample {
		s := steady(i)
		s.rss += float64(i) * 2e6
		return s
	}
	goroutineLeak := func(i int) sample {
		s := steady(i)
		s.goroutines += float64(i)
		return s
	}
	for name, tc := range map[string]struct {
		f    func(int) sample
		grew bool
	}{"steady": {steady, false}, "rss leak": {leak, true}, "goroutine leak": {goroutineLeak, true}} {
		var samples []sample
		for i := range 21 {
			samples = append(samples, tc.f(i))
		}
		if v := growthVerdict(samples); v.grew != tc.grew {
			t.Errorf("%s: %s, want grew=%v", name, v.text, tc.grew)
		}
	}
	if v := growthVerdict(make([]sample, 3)); v.grew || !strings.Contains(v.text, "too few") {
		t.Errorf("3 samples: %s", v.text)
	}
}
