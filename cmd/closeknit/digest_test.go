package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/closeknit/closeknit/cmd/closeknit/internal/child"
	"github.com/closeknit/closeknit/engagement"
	"github.com/closeknit/closeknit/engagement/chart"
	"github.com/closeknit/closeknit/engagement/redistest"
	"github.com/closeknit/closeknit/slackapp/slacktest"
	"github.com/redis/go-redis/v9"
)

func TestDigestCommandFormatsAndPost(t *testing.T) {
	t.Parallel()
	srv := slacktest.NewServer(t)
	srv.AddChannels("C05R8T2KLMN", "C0BRAND0001")
	ns := fmt.Sprintf("cktest-cmd-digest-%d", os.Getpid())
	env := map[string]string{
		"SLACK_APP_TOKEN": srv.AppToken, "SLACK_BOT_TOKEN": srv.BotToken, "SLACK_API_URL": srv.APIURL(),
		"REDIS_URL": redistest.URL(), "CLOSEKNIT_NAMESPACE": ns, "CLOSEKNIT_COMMUNITY": "acme",
		"CLOSEKNIT_CHANNEL": "C05R8T2KLMN", "CLOSEKNIT_TIMEZONE": "Asia/Kolkata", "CLOSEKNIT_BRAND_CHANNEL": "C0BRAND0001",
		"CLOSEKNIT_STAFF": "U0STAFF0001",
	}
	getenv := func(k string) string { return env[k] }
	rdb := redis.NewClient(mustParseRedis(t))
	t.Cleanup(func() { child.CleanNamespace(rdb, ns) })
	loc, _ := time.LoadLocation("Asia/Kolkata")
	c := &engagement.Community{ID: "acme", Channel: "C05R8T2KLMN", Location: loc, Cap: 100}
	at := time.Date(2026, 11, 18, 10, 0, 0, 0, loc)
	ts := fmt.Sprintf("%d.000000", at.Unix())
	if _, err := engagement.NewStore(rdb, engagement.Options{Namespace: ns}).Record(context.Background(), []engagement.Event{
		{ID: "Ev1", Community: c, Kind: engagement.KindMessage, User: "U0MEMBER001", At: at, TS: ts},
	}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	var out bytes.Buffer
	pngPath := filepath.Join(t.TempDir(), "chart.png")
	if err := run(ctx, []string{"digest", "--week", "2026-W47", "--format", "json", "--chart", pngPath}, getenv, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("digest --format json: %v", err)
	}
	var k map[string]any
	if err := json.Unmarshal(out.Bytes(), &k); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	// The contract: these names, at least.
	for _, f := range []string{"community", "timezone", "week", "messages", "messages_prev_week", "messages_4w_avg",
		"thread_replies", "reactions", "active_posters", "active_participants", "seated", "participation_rate",
		"messages_per_member", "top10_share", "response_time_median_seconds", "response_rate_24h", "unanswered", "retention",
		"lapsing", "top_contributors", "new_members", "waitlist", "prototypes"} {
		if _, ok := k[f]; !ok {
			t.Errorf("digest JSON lacks %q", f)
		}
	}
	if k["messages"] != 1.0 || k["timezone"] != "Asia/Kolkata" || k["week"] != "2026-W47" {
		t.Errorf("digest JSON: %s", out.String())
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil || img.Bounds().Dx() != chart.Width || img.Bounds().Dy() != chart.Height {
		t.Errorf("--chart: %v %v", err, img)
	}

	for format, want := range map[string]string{"markdown": "# acme · week 2026-W47", "text": "ACME · WEEK 2026-W47"} {
		out.Reset()
		if err := run(ctx, []string{"digest", "--week", "2026-W47", "--format", format}, getenv, &out, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "Messages") {
			t.Errorf("--format %s:\n%s", format, out.String())
		}
	}

	// --post twice: one digest in the brand channel.
	for range 2 {
		if err := run(ctx, []string{"digest", "--week", "2026-W47", "--post"}, getenv, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
			t.Fatalf("--post: %v", err)
		}
	}
	if n := len(srv.Messages("C0BRAND0001")); n != 1 {
		t.Errorf("--post twice: %d messages in the brand channel, want 1", n)
	}
	if files := srv.Files(); len(files) != 1 {
		t.Errorf("--post: %d charts uploaded, want 1", len(files))
	}

	for _, bad := range [][]string{{"digest", "--format", "pdf"}, {"digest", "--week", "47"}} {
		if err := run(ctx, bad, getenv, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	env["CLOSEKNIT_DIGEST_AT"] = "Monday morning"
	if err := run(ctx, []string{"digest"}, getenv, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "CLOSEKNIT_DIGEST_AT") {
		t.Errorf("bad CLOSEKNIT_DIGEST_AT: %v", err)
	}
}
