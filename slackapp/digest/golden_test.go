package digest

import (
	"flag"
	"testing"

	"github.com/closeknit/closeknit/slackapp/slacktest"
)

// update rewrites the golden files.
var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

func golden(t *testing.T, name string, v any) { slacktest.Golden(t, name, v, *update) }
