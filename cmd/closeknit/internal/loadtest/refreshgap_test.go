package loadtest

import (
	"testing"
	"time"
)

func TestRefreshGaps(t *testing.T) {
	t.Parallel()
	// 1000 acks/s for 3 s, with none from 1.5 s to 1.65 s: a refresh at
	// 1.5 s leaves one window empty and a 150 ms pause.
	var acks []time.Duration
	for at := time.Duration(0); at < 3*time.Second; at += time.Millisecond {
		if at < 1500*time.Millisecond || at >= 1650*time.Millisecond {
			acks = append(acks, at)
		}
	}
	g := refreshGaps(acks, []time.Duration{1500 * time.Millisecond, 5 * time.Second})
	if g.steady != 1000 {
		t.Errorf("steady %v, want 1000", g.steady)
	}
	if len(g.lowest) != 1 || g.lowest[0] != 0 {
		t.Errorf("lowest %v, want [0] (the refresh after the burst left out)", g.lowest)
	}
	if len(g.longest) != 1 || g.longest[0] != 151*time.Millisecond {
		t.Errorf("longest pause %v, want 151ms", g.longest)
	}
}
