package slackapp

import (
	"bytes"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/tidwall/gjson"
)

// instrumented counts every Web API call slack-go makes, by method and
// outcome, without touching each call site. Web API traffic is light (a few
// calls a minute), so reading the body to find Slack's error code is cheap.
type instrumented struct {
	next http.RoundTripper
	m    *metrics
}

func (t instrumented) RoundTrip(req *http.Request) (*http.Response, error) {
	method := path.Base(req.URL.Path)
	switch {
	case strings.Contains(req.URL.Path, "/api/"):
	case strings.HasPrefix(req.URL.Path, "/commands/") || strings.HasPrefix(req.URL.Path, "/actions/"):
		method = "response_url" // hooks.slack.com/commands/… and /actions/…
	default:
		method = "file_upload"
	}
	resp, err := t.next.RoundTrip(req)
	outcome := "ok"
	switch {
	case err != nil:
		outcome = "transport_error"
	case resp.StatusCode == http.StatusTooManyRequests:
		outcome = "ratelimited"
	case resp.StatusCode != http.StatusOK:
		outcome = "http_error"
	case method != "file_upload":
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if rerr != nil {
			outcome = "transport_error"
		} else if r := gjson.GetBytes(body, "ok"); r.Exists() && !r.Bool() {
			outcome = gjson.GetBytes(body, "error").Str
			if outcome == "" || len(outcome) > 64 {
				outcome = "error"
			}
		}
	}
	t.m.webAPICalls.WithLabelValues(method, outcome).Inc()
	return resp, err
}
