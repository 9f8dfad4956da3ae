package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/closeknit/closeknit/cmd/closeknit/internal/redisconn"
	"github.com/closeknit/closeknit/engagement"
	"go.yaml.in/yaml/v3"
	"golang.org/x/net/http/httpproxy"
)

// config is everything a closeknit process is told. Defaults live here;
// library packages never read the environment.
type config struct {
	AppToken, BotToken string
	APIURL             string
	RedisURL           string
	Namespace          string
	HTTPAddr           string
	LogLevel           slog.Level
	Pprof              bool // serve /debug/pprof on HTTP_ADDR (CLOSEKNIT_PPROF=1)
	SchedulerTick      time.Duration
	Communities        []*engagement.Community
	DigestAt           string // weekly digest time in each community's zone, "Mon 09:00", or "off"
	LapsingWeeks       int
	// Proxy picks the HTTP proxy for Slack (the Socket Mode WebSocket and
	// the Web API) from HTTPS_PROXY, HTTP_PROXY and NO_PROXY, as net/http
	// does, read when the config is loaded.
	Proxy func(*http.Request) (*url.URL, error)
}

// settings holds the raw values, from the environment and then flags, before
// they are checked.
type settings struct {
	appToken, appTokenFile, botToken, botTokenFile string
	apiURL, redisURL, namespace, httpAddr          string
	community, channel, timezone, cap, brand       string
	staff, configFile, logLevel                    string
	policy, welcome, welcomeIn, nudgeAfter         string
	staffGroup                                     string
	digestAt, lapsingWeeks                         string
	schedulerTick                                  string
	thanksIn, thanksReaction                       string
	ideasIn                                        string
	promptAt, dropCooldown                         string
	pprof                                          bool
	proxy                                          httpproxy.Config
}

// bindSettings fills s from the environment and registers flags that
// override it. Tokens have no flags: a flag would show them in ps.
func bindSettings(fs *flag.FlagSet, getenv func(string) string) *settings {
	env := func(key, def string) string { return envOr(getenv, key, def) }
	s := &settings{
		appToken:     getenv("SLACK_APP_TOKEN"),
		appTokenFile: getenv("SLACK_APP_TOKEN_FILE"),
		botToken:     getenv("SLACK_BOT_TOKEN"),
		botTokenFile: getenv("SLACK_BOT_TOKEN_FILE"),
		proxy: httpproxy.Config{ // the upper-case name first, as net/http reads them
			HTTPProxy:  cmp.Or(getenv("HTTP_PROXY"), getenv("http_proxy")),
			HTTPSProxy: cmp.Or(getenv("HTTPS_PROXY"), getenv("https_proxy")),
			NoProxy:    cmp.Or(getenv("NO_PROXY"), getenv("no_proxy")),
		},
	}
	fs.StringVar(&s.apiURL, "api-url", env("SLACK_API_URL", "https://slack.com/api/"), "Slack Web API base `URL` (SLACK_API_URL)")
	fs.StringVar(&s.redisURL, "redis-url", env("REDIS_URL", "redis://127.0.0.1:6379/0"), "Redis `URL` (REDIS_URL)")
	fs.StringVar(&s.namespace, "namespace", env("CLOSEKNIT_NAMESPACE", engagement.DefaultNamespace), "Redis key prefix (CLOSEKNIT_NAMESPACE)")
	fs.StringVar(&s.httpAddr, "http-addr", env("HTTP_ADDR", ":9090"), "metrics and health `address` (HTTP_ADDR)")
	fs.StringVar(&s.community, "community", env("CLOSEKNIT_COMMUNITY", "community"), "community `id` (CLOSEKNIT_COMMUNITY)")
	fs.StringVar(&s.channel, "channel", getenv("CLOSEKNIT_CHANNEL"), "community channel `ID` (CLOSEKNIT_CHANNEL)")
	fs.StringVar(&s.timezone, "timezone", env("CLOSEKNIT_TIMEZONE", "UTC"), "IANA time `zone` (CLOSEKNIT_TIMEZONE)")
	fs.StringVar(&s.cap, "cap", env("CLOSEKNIT_CAP", "100"), "customer seats (CLOSEKNIT_CAP)")
	fs.StringVar(&s.brand, "brand-channel", getenv("CLOSEKNIT_BRAND_CHANNEL"), "brand team channel `ID` (CLOSEKNIT_BRAND_CHANNEL)")
	fs.StringVar(&s.staff, "staff", getenv("CLOSEKNIT_STAFF"), "brand team user `IDs`, comma-separated (CLOSEKNIT_STAFF)")
	fs.StringVar(&s.staffGroup, "staff-group", getenv("CLOSEKNIT_STAFF_GROUP"), "a Slack user group `ID` (S…) whose members are staff too (CLOSEKNIT_STAFF_GROUP)")
	fs.StringVar(&s.policy, "full-policy", env("CLOSEKNIT_FULL_POLICY", engagement.PolicyRemove), "a join while full: remove (waitlist them) or warn (CLOSEKNIT_FULL_POLICY)")
	fs.StringVar(&s.welcome, "welcome", getenv("CLOSEKNIT_WELCOME"), "welcome `text`; {user} is replaced by a mention (CLOSEKNIT_WELCOME)")
	fs.StringVar(&s.welcomeIn, "welcome-in", env("CLOSEKNIT_WELCOME_IN", engagement.WelcomeChannel), "post welcomes in the channel or by dm (CLOSEKNIT_WELCOME_IN)")
	fs.StringVar(&s.nudgeAfter, "nudge-after", env("CLOSEKNIT_NUDGE_AFTER", "72h"), "one intro reminder after this `duration` (CLOSEKNIT_NUDGE_AFTER)")
	fs.StringVar(&s.thanksIn, "thanks", env("CLOSEKNIT_THANKS", engagement.ThanksChannel), "/closeknit thanks posts in the channel or by dm to the person thanked (CLOSEKNIT_THANKS)")
	fs.StringVar(&s.thanksReaction, "thanks-reaction", env("CLOSEKNIT_THANKS_REACTION", engagement.DefaultThanksReaction), "the reaction `emoji` that counts as thanks, without colons (CLOSEKNIT_THANKS_REACTION)")
	fs.StringVar(&s.promptAt, "prompt-at", env("CLOSEKNIT_PROMPT_AT", "off"), "when the weekly prompt (/closeknit prompt) goes out, in the community's zone: `\"Wed 12:00\"` or off (CLOSEKNIT_PROMPT_AT)")
	fs.StringVar(&s.dropCooldown, "drop-cooldown", env("CLOSEKNIT_DROP_COOLDOWN", "0"), "winners of the last K drops wait behind the rest; 0 is off (CLOSEKNIT_DROP_COOLDOWN)")
	fs.StringVar(&s.ideasIn, "ideas", env("CLOSEKNIT_IDEAS", engagement.IdeasChannel), "post idea cards in the channel, or in the thread of a pinned Ideas post: channel or thread (CLOSEKNIT_IDEAS)")
	fs.StringVar(&s.configFile, "config", getenv("CLOSEKNIT_CONFIG"), "YAML `file` declaring communities (CLOSEKNIT_CONFIG)")
	fs.StringVar(&s.digestAt, "digest-at", env("CLOSEKNIT_DIGEST_AT", "Mon 09:00"), "when the weekly digest goes out, in each community's zone: `\"Mon 09:00\"` or off (CLOSEKNIT_DIGEST_AT)")
	fs.StringVar(&s.lapsingWeeks, "lapsing-weeks", env("CLOSEKNIT_LAPSING_WEEKS", "4"), "a member who posted in this many of the last 12 weeks but not the last 2 is lapsing (CLOSEKNIT_LAPSING_WEEKS)")
	fs.BoolVar(&s.pprof, "pprof", getenv("CLOSEKNIT_PPROF") == "1", "serve Go profiles at /debug/pprof/ on the HTTP address (CLOSEKNIT_PPROF=1)")
	fs.StringVar(&s.schedulerTick, "scheduler-tick", env("CLOSEKNIT_SCHEDULER_TICK", "30s"), "how often scheduled jobs check whether they are due (CLOSEKNIT_SCHEDULER_TICK)")
	fs.StringVar(&s.logLevel, "log-level", env("CLOSEKNIT_LOG_LEVEL", "info"), "debug, info, warn or error (CLOSEKNIT_LOG_LEVEL)")
	return s
}

// load checks the settings and returns the config, or one error naming the
// setting and what is wrong with it. needTokens is false for commands that
// only read Redis.
func (s *settings) load(needTokens bool) (*config, error) {
	c := &config{APIURL: s.apiURL, RedisURL: s.redisURL, Namespace: s.namespace, HTTPAddr: s.httpAddr, Pprof: s.pprof}
	proxyFor := s.proxy.ProxyFunc()
	c.Proxy = func(r *http.Request) (*url.URL, error) { return proxyFor(r.URL) }
	if err := c.LogLevel.UnmarshalText([]byte(s.logLevel)); err != nil {
		return nil, fmt.Errorf("CLOSEKNIT_LOG_LEVEL: %q is not one of debug, info, warn, error", s.logLevel)
	}
	var err error
	if s.schedulerTick != "" { // empty: the app's default
		if c.SchedulerTick, err = time.ParseDuration(s.schedulerTick); err != nil || c.SchedulerTick <= 0 {
			return nil, fmt.Errorf("CLOSEKNIT_SCHEDULER_TICK: %q is not a positive duration, e.g. 30s", s.schedulerTick)
		}
	}
	if needTokens {
		if c.AppToken, err = token("SLACK_APP_TOKEN", s.appToken, s.appTokenFile, "xapp-"); err != nil {
			return nil, err
		}
		if c.BotToken, err = token("SLACK_BOT_TOKEN", s.botToken, s.botTokenFile, "xoxb-"); err != nil {
			return nil, err
		}
		u, err := url.Parse(s.apiURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !strings.HasSuffix(u.Path, "/") {
			return nil, fmt.Errorf("SLACK_API_URL: %q is not an http(s) URL ending in a slash, e.g. https://slack.com/api/", s.apiURL)
		}
	}
	if _, err := redisconn.Options(s.redisURL); err != nil {
		return nil, err
	}
	if err := s.loadDigest(c); err != nil { // config_digest.go
		return nil, err
	}
	// Glob characters would make the namespace's key pattern (forget, the
	// load test's cleanup) match other namespaces' keys.
	if s.namespace == "" || strings.ContainsAny(s.namespace, "{} \t\n*?[]\\") {
		return nil, fmt.Errorf("CLOSEKNIT_NAMESPACE: %q must be non-empty, without braces, spaces or glob characters (* ? [ ] \\)", s.namespace)
	}
	if s.configFile != "" {
		cs, err := loadCommunities(s.configFile)
		if err != nil {
			return nil, err
		}
		c.Communities = cs
		return c, nil
	}
	if s.channel == "" {
		return nil, errors.New("CLOSEKNIT_CHANNEL: not set; give the community channel's ID (e.g. C05R8T2KLMN) or a CLOSEKNIT_CONFIG file")
	}
	seats, err := strconv.Atoi(s.cap)
	if err != nil || seats < 1 {
		return nil, fmt.Errorf("CLOSEKNIT_CAP: %q is not a positive number", s.cap)
	}
	loc, err := time.LoadLocation(s.timezone)
	if err != nil {
		return nil, fmt.Errorf("CLOSEKNIT_TIMEZONE: %q is not a known IANA time zone, e.g. Europe/Paris", s.timezone)
	}
	nudge, err := time.ParseDuration(s.nudgeAfter)
	if err != nil || nudge <= 0 {
		return nil, fmt.Errorf("CLOSEKNIT_NUDGE_AFTER: %q is not a duration such as 72h", s.nudgeAfter)
	}
	cooldown, err := strconv.Atoi(s.dropCooldown)
	if err != nil {
		return nil, fmt.Errorf("CLOSEKNIT_DROP_COOLDOWN: %q is not a whole number of drops, 0 (off) to %d", s.dropCooldown, engagement.MaxDropCooldown)
	}
	com := &engagement.Community{ID: s.community, Channel: s.channel, Location: loc, Cap: seats, BrandChannel: s.brand, Staff: splitList(s.staff), StaffGroup: s.staffGroup,
		FullPolicy: s.policy, Welcome: s.welcome, WelcomeIn: s.welcomeIn, NudgeAfter: nudge, Thanks: s.thanksIn, ThanksReaction: s.thanksReaction,
		Ideas: s.ideasIn, PromptAt: s.promptAt, DropCooldown: cooldown}
	com.Defaults()
	if err := com.Validate(); err != nil {
		return nil, fmt.Errorf("CLOSEKNIT_*: %w", err)
	}
	c.Communities = []*engagement.Community{com}
	return c, nil
}

// only returns the configured communities, or just the one an operator
// command's --only names.
func (c *config) only(id string) ([]*engagement.Community, error) {
	var out []*engagement.Community
	for _, com := range c.Communities {
		if id == "" || com.ID == id {
			out = append(out, com)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--only: no community %q", id)
	}
	return out, nil
}

// openStore opens Redis and the store on it, for operator commands;
// closeFn closes the connection.
func (c *config) openStore(ctx context.Context) (store *engagement.Store, closeFn func(), err error) {
	rdb, err := redisconn.Open(ctx, c.RedisURL)
	if err != nil {
		return nil, nil, err
	}
	return engagement.NewStore(rdb, engagement.Options{Namespace: c.Namespace}), func() { rdb.Close() }, nil
}

// token reads a token from its variable or its _FILE variable and checks its
// prefix. The message never includes the token.
func token(name, value, file, prefix string) (string, error) {
	if value == "" && file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		value = strings.TrimSpace(string(b))
	}
	switch {
	case value == "":
		return "", fmt.Errorf("%s: not set (or set %s_FILE to a file holding it)", name, name)
	case !strings.HasPrefix(value, prefix):
		return "", fmt.Errorf("%s: does not start with %s; check you did not swap the app and bot tokens", name, prefix)
	}
	return value, nil
}

// envOr returns the environment variable key, or def when it is empty.
func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// communityFile is the YAML shape of CLOSEKNIT_CONFIG.
type communityFile struct {
	Communities []struct {
		ID             string   `yaml:"id"`
		Channel        string   `yaml:"channel"`
		Timezone       string   `yaml:"timezone"`
		Cap            int      `yaml:"cap"`
		BrandChannel   string   `yaml:"brand_channel"`
		Staff          []string `yaml:"staff"`
		StaffGroup     string   `yaml:"staff_group"`
		FullPolicy     string   `yaml:"full_policy"`     // remove (default) or warn
		Welcome        string   `yaml:"welcome"`         // {user} becomes a mention
		WelcomeIn      string   `yaml:"welcome_in"`      // channel (default) or dm
		NudgeAfter     string   `yaml:"nudge_after"`     // e.g. 72h (default)
		PromptAt       string   `yaml:"prompt_at"`       // e.g. "Wed 12:00", or off (default)
		Thanks         string   `yaml:"thanks"`          // channel (default) or dm
		ThanksReaction string   `yaml:"thanks_reaction"` // default raised_hands
		DropCooldown   int      `yaml:"drop_cooldown"`   // winners of the last K drops wait behind the rest; 0 off (default)
		Ideas          string   `yaml:"ideas"`           // channel (default) or thread: the cards in a pinned Ideas post's thread
	} `yaml:"communities"`
}

func loadCommunities(path string) ([]*engagement.Community, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CLOSEKNIT_CONFIG: %w", err)
	}
	var f communityFile
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("CLOSEKNIT_CONFIG %s: %w", path, err)
	}
	if len(f.Communities) == 0 {
		return nil, fmt.Errorf("CLOSEKNIT_CONFIG %s: no communities declared", path)
	}
	var out []*engagement.Community
	seen := map[string]int{}
	for i, fc := range f.Communities {
		if j, dup := seen[fc.ID]; dup {
			// one ID, one set of keys: two communities would share seats and tallies
			return nil, fmt.Errorf("CLOSEKNIT_CONFIG %s: communities[%d] and communities[%d] both have id %q", path, j, i, fc.ID)
		}
		seen[fc.ID] = i
		tz := fc.Timezone
		if tz == "" {
			tz = "UTC"
		}
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("CLOSEKNIT_CONFIG %s: communities[%d].timezone: %q is not a known IANA time zone", path, i, tz)
		}
		seats := fc.Cap
		if seats == 0 {
			seats = 100
		}
		var nudge time.Duration
		if fc.NudgeAfter != "" {
			if nudge, err = time.ParseDuration(fc.NudgeAfter); err != nil || nudge <= 0 {
				return nil, fmt.Errorf("CLOSEKNIT_CONFIG %s: communities[%d].nudge_after: %q is not a duration such as 72h", path, i, fc.NudgeAfter)
			}
		}
		c := &engagement.Community{ID: fc.ID, Channel: fc.Channel, Location: loc, Cap: seats, BrandChannel: fc.BrandChannel, Staff: fc.Staff, StaffGroup: fc.StaffGroup,
			FullPolicy: fc.FullPolicy, Welcome: fc.Welcome, WelcomeIn: fc.WelcomeIn, NudgeAfter: nudge, PromptAt: fc.PromptAt,
			Thanks: fc.Thanks, ThanksReaction: fc.ThanksReaction, DropCooldown: fc.DropCooldown, Ideas: fc.Ideas}
		c.Defaults()
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("CLOSEKNIT_CONFIG %s: communities[%d]: %w", path, i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
