package main

import (
	"flag"
	"io"
	"net/http"
	"net/url"
	"testing"
)

// B4: the config reads HTTPS_PROXY and NO_PROXY (or their lower-case
// forms) when it loads, and serve hands the result to the app for the
// Socket Mode dial and the Web API (slackapp's TestSocketDialUsesProxy
// checks that the dial uses it).
func TestProxyFromEnvironment(t *testing.T) {
	t.Parallel()
	for _, names := range [][2]string{{"HTTPS_PROXY", "NO_PROXY"}, {"https_proxy", "no_proxy"}} {
		env := map[string]string{
			"SLACK_APP_TOKEN": "xapp-1-A-1-x", "SLACK_BOT_TOKEN": "xoxb-x", "CLOSEKNIT_CHANNEL": "C05R8T2KLMN",
			names[0]: "http://proxy.corp.example:3128", names[1]: "internal.example",
		}
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cfg, err := bindSettings(fs, func(k string) string { return env[k] }).load(true)
		if err != nil {
			t.Fatal(err)
		}
		for target, want := range map[string]string{
			// gorilla asks with the wss:// URL turned into https://.
			"https://wss-primary.slack.com/link/?ticket=1&app_id=2": "http://proxy.corp.example:3128",
			"https://slack.com/api/chat.postMessage":                "http://proxy.corp.example:3128",
			"https://slack.internal.example/api/":                   "",
		} {
			u, _ := url.Parse(target)
			got, err := cfg.Proxy(&http.Request{URL: u})
			if err != nil {
				t.Fatal(err)
			}
			s := ""
			if got != nil {
				s = got.String()
			}
			if s != want {
				t.Errorf("%s set: proxy for %s = %v, want %q", names[0], target, got, want)
			}
		}
	}
}
