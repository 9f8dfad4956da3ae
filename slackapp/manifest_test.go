package slackapp

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// manifestPath is the app manifest at the module root, relative to this
// package's directory (where go test runs).
const manifestPath = "../manifest.yaml"

// slackManifest is the part of a v1 Slack app manifest closeknit uses
// (SLACK.md §5). It is decoded with KnownFields, so a misspelt key such as
// socket_mode_enable, or a new section nobody checks yet (shortcuts with no
// interaction routes, user scopes), fails the test instead of being ignored.
type slackManifest struct {
	Metadata struct {
		MajorVersion int `yaml:"major_version"`
		MinorVersion int `yaml:"minor_version"`
	} `yaml:"_metadata"`
	DisplayInformation struct {
		Name            string `yaml:"name"`
		Description     string `yaml:"description"`
		LongDescription string `yaml:"long_description"`
		BackgroundColor string `yaml:"background_color"`
	} `yaml:"display_information"`
	Features struct {
		BotUser struct {
			DisplayName  string `yaml:"display_name"`
			AlwaysOnline bool   `yaml:"always_online"`
		} `yaml:"bot_user"`
		AppHome struct {
			HomeTabEnabled             bool `yaml:"home_tab_enabled"`
			MessagesTabEnabled         bool `yaml:"messages_tab_enabled"`
			MessagesTabReadOnlyEnabled bool `yaml:"messages_tab_read_only_enabled"`
		} `yaml:"app_home"`
		SlashCommands []struct {
			Command      string `yaml:"command"`
			Description  string `yaml:"description"`
			UsageHint    string `yaml:"usage_hint"`
			ShouldEscape bool   `yaml:"should_escape"`
		} `yaml:"slash_commands"`
		Shortcuts []struct {
			Name        string `yaml:"name"`
			Type        string `yaml:"type"`
			CallbackID  string `yaml:"callback_id"`
			Description string `yaml:"description"`
		} `yaml:"shortcuts"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		EventSubscriptions struct {
			BotEvents []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled bool `yaml:"is_enabled"`
		} `yaml:"interactivity"`
		SocketModeEnabled    bool `yaml:"socket_mode_enabled"`
		OrgDeployEnabled     bool `yaml:"org_deploy_enabled"`
		TokenRotationEnabled bool `yaml:"token_rotation_enabled"`
	} `yaml:"settings"`
}

// subscriptionsFor maps a routed event type (the inner event's "type") to
// the bot_events that deliver it. message.channels, message.groups and
// message.im (direct messages to the app) all arrive as "message"; every
// other event is subscribed under its own name.
func subscriptionsFor(eventType string) []string {
	if eventType == "message" {
		return []string{"message.channels", "message.groups", "message.im"}
	}
	return []string{eventType}
}

// routedEventFor is the inverse of subscriptionsFor: the event type a
// bot_event arrives as.
func routedEventFor(botEvent string) string {
	if strings.HasPrefix(botEvent, "message.") {
		return "message"
	}
	return botEvent
}

// eventScopes is the bot scope each subscribable event needs (SLACK.md §5,
// from Slack's events.json). An event missing here fails the test: look its
// scope up and add it before subscribing.
var eventScopes = map[string][]string{
	"message.channels":      {"channels:history"},
	"message.groups":        {"groups:history"},
	"message.im":            {"im:history"},
	"reaction_added":        {"reactions:read"},
	"reaction_removed":      {"reactions:read"},
	"member_joined_channel": {"channels:read", "groups:read"}, // public and private community channels
	"member_left_channel":   {"channels:read", "groups:read"},
	"app_home_opened":       {}, // no scope; needs features.app_home.home_tab_enabled
}

// apiScopes is the bot scope each slack-go Client method the app calls
// needs (SLACK.md §4). The test finds the calls in this package's source;
// a method missing here fails the test: look its scope up and add it.
var apiScopes = map[string][]string{
	"AuthTest":               {}, // auth.test
	"AuthTestContext":        {},
	"StartSocketMode":        {}, // apps.connections.open: app token (connections:write), not a bot scope
	"StartSocketModeContext": {},
	"PublishView":            {}, // views.publish: no scope, needs the Home tab
	"PublishViewContext":     {},
	"PostMessage":            {"chat:write"}, // chat.postMessage
	"PostMessageContext":     {"chat:write"},
	"PostEphemeralContext":   {"chat:write"},      // chat.postEphemeral
	"UpdateMessageContext":   {"chat:write"},      // chat.update
	"AddReactionContext":     {"reactions:write"}, // reactions.add
	"AddPinContext":          {"pins:write"},      // pins.add: the idea thread's parent post
	"OpenViewContext":        {},                  // views.open: no scope, needs a trigger_id
	// conversations.invite / kick: channels:manage for public channels,
	// groups:write for private ones.
	"InviteUsersToConversationContext": {"channels:manage", "groups:write"},
	"KickUserFromConversationContext":  {"channels:manage", "groups:write"},
	"GetUsersInConversationContext":    {"channels:read", "groups:read"}, // conversations.members
	"GetConversationInfoContext":       {"channels:read", "groups:read"}, // conversations.info: is the app in the channel?
	"GetUserInfoContext":               {"users:read"},                   // users.info: is it a bot?
	"GetUserGroupMembersContext":       {"usergroups:read"},              // usergroups.users.list: staff by group
	// The digest (slackapp/digest): its chart, and finding a digest posted before a restart.
	"UploadFileContext":             {"files:write"},
	"GetConversationHistoryContext": {"channels:history", "groups:history"}, // public or private brand channel
}

// alwaysNeededScopes are required whatever the source calls today.
var alwaysNeededScopes = []string{
	"chat:write", // closeknit posts into the community channel (chat.postMessage)
}

// allowedBotScopes is every bot scope closeknit may request. Anything else
// in the manifest fails the test: ask for a scope only with the feature
// that needs it, and add it here with the reason.
var allowedBotScopes = map[string]string{
	"channels:history": "message.channels event: messages in public community channels",
	"groups:history":   "message.groups event: messages in private community channels",
	"im:history":       "message.im event: direct messages to the app, answered with the help text",
	"reactions:read":   "reaction_added / reaction_removed events",
	"channels:read":    "member_joined_channel / member_left_channel in public channels",
	"groups:read":      "member_joined_channel / member_left_channel in private channels",
	"channels:manage":  "conversations.invite / kick: seats in public community channels",
	"groups:write":     "conversations.invite / kick: seats in private community channels",
	"users:read":       "users.info: bots take no seat",
	"pins:write":       "pins.add: pinning the idea thread's parent post (ideas: thread)",
	"usergroups:read":  "usergroups.users.list: staff given as a Slack user group",
	"chat:write":       "chat.postMessage into the community channel",
	"reactions:write":  "reactions.add: seeding a prototype card's reaction set",
	"commands":         "the /closeknit slash command",
	"files:write":      "files v2 upload of the weekly digest's chart",
}

var sortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
})

func readManifest(t *testing.T) *slackManifest {
	t.Helper()
	f, err := os.Open(manifestPath)
	if err != nil {
		t.Fatalf("open manifest: %v", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var m slackManifest
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("parse %s: %v", manifestPath, err)
	}
	return &m
}

// surface is what the code handles: routed events and commands, the
// slack-go methods it calls and the usage line of /closeknit.
type surface struct {
	events     []string
	commands   []string
	shortcuts  []string // global and message shortcut callback_ids
	apiMethods []string
	usageHint  string
}

func routedSurface(t *testing.T) surface {
	t.Helper()
	a := &App{}
	a.routes()
	if len(a.events) == 0 || len(a.commands) == 0 {
		t.Fatalf("routes() filled %d events and %d commands; expected both tables to be non-empty", len(a.events), len(a.commands))
	}
	var usages []string
	for _, s := range subcommands {
		usages = append(usages, s.usage)
	}
	return surface{
		events:     slices.Sorted(maps.Keys(a.events)),
		commands:   slices.Sorted(maps.Keys(a.commands)),
		shortcuts:  slices.Sorted(maps.Keys(a.interactions.shortcuts)),
		apiMethods: apiCalls(t),
		usageHint:  strings.Join(usages, " | "),
	}
}

// apiCalls lists the methods called on an "api" field (the *slack.Client of
// App and socket, the Web API interface of a feature package) in the
// non-test source of this package and the packages under it.
func apiCalls(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	features, err := filepath.Glob("*/*.go")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, features...)
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if recv, ok := sel.X.(*ast.SelectorExpr); ok && recv.Sel.Name == "api" {
				seen[sel.Sel.Name] = true
			}
			return true
		})
	}
	return slices.Sorted(maps.Keys(seen))
}

// checkManifest returns every way m disagrees with the code's surface s.
func checkManifest(m *slackManifest, s surface) []string {
	var problems []string
	addf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	// Metadata and display limits (SLACK.md §5).
	if m.Metadata.MajorVersion != 1 || m.Metadata.MinorVersion != 1 {
		addf("_metadata is %d.%d, want 1.1", m.Metadata.MajorVersion, m.Metadata.MinorVersion)
	}
	di := m.DisplayInformation
	if di.Name == "" || len(di.Name) > 35 {
		addf("display_information.name %q must be 1-35 characters", di.Name)
	}
	if n := len(di.Description); n > 140 {
		addf("display_information.description is %d characters, at most 140 allowed", n)
	}
	if n := len([]rune(di.LongDescription)); n < 174 || n > 4000 {
		addf("display_information.long_description is %d characters, must be 174-4000", n)
	}
	if dn := m.Features.BotUser.DisplayName; !regexp.MustCompile(`^[a-z0-9_.-]{1,80}$`).MatchString(dn) {
		addf("features.bot_user.display_name %q must be 1-80 of [a-z0-9-_.]", dn)
	}

	// (a)+(b) Events: the subscriptions are exactly those the routes need.
	var wantEvents []string
	for _, ev := range s.events {
		wantEvents = append(wantEvents, subscriptionsFor(ev)...)
	}
	gotEvents := m.Settings.EventSubscriptions.BotEvents
	if d := cmp.Diff(wantEvents, gotEvents, sortStrings); d != "" {
		addf("settings.event_subscriptions.bot_events do not match the events routed in routes.go (-want +got):\n%s", d)
	}
	for _, be := range gotEvents {
		if !slices.Contains(s.events, routedEventFor(be)) {
			addf("bot_event %q arrives as %q, which routes.go does not route", be, routedEventFor(be))
		}
	}

	// (c) Slash commands: declared exactly for the routed ones.
	var gotCommands []string
	for _, c := range m.Features.SlashCommands {
		gotCommands = append(gotCommands, c.Command)
		if c.Description == "" {
			addf("slash command %s has no description", c.Command)
		}
		if c.Command == "/closeknit" && c.UsageHint != s.usageHint {
			addf("/closeknit usage_hint %q does not match the subcommands in routes.go: want %q", c.UsageHint, s.usageHint)
		}
	}
	if d := cmp.Diff(s.commands, gotCommands, sortStrings); d != "" {
		addf("features.slash_commands do not match the commands routed in routes.go (-want +got):\n%s", d)
	}

	// Shortcuts: declared exactly for the routed ones, global or on messages.
	var gotShortcuts []string
	for _, sc := range m.Features.Shortcuts {
		gotShortcuts = append(gotShortcuts, sc.CallbackID)
		if sc.Type != "global" && sc.Type != "message" || sc.Name == "" || sc.Description == "" {
			addf("shortcut %q must be global or message, with a name and a description", sc.CallbackID)
		}
	}
	if d := cmp.Diff(s.shortcuts, gotShortcuts, sortStrings); d != "" {
		addf("features.shortcuts do not match the shortcuts routed in routes.go (-want +got):\n%s", d)
	}

	// (d) Socket Mode and interactivity; the Home tab for app_home_opened.
	if !m.Settings.SocketModeEnabled {
		addf("settings.socket_mode_enabled must be true: closeknit only speaks Socket Mode")
	}
	if !m.Settings.Interactivity.IsEnabled {
		addf("settings.interactivity.is_enabled must be true")
	}
	if slices.Contains(s.events, "app_home_opened") && !m.Features.AppHome.HomeTabEnabled {
		addf("app_home_opened is routed (views.publish) but features.app_home.home_tab_enabled is false")
	}
	// People can write to the app from its Messages tab unless it is off or
	// read-only: then the app must hear them (message.im) to answer.
	ah := m.Features.AppHome
	if ah.MessagesTabEnabled && !ah.MessagesTabReadOnlyEnabled && !slices.Contains(gotEvents, "message.im") {
		addf("the Messages tab takes messages (messages_tab_enabled, not read-only) but message.im is not subscribed: they would go unanswered")
	}

	// (e) Every needed scope is requested.
	needed := map[string][]string{} // scope -> why
	for _, ev := range gotEvents {
		scopes, ok := eventScopes[ev]
		if !ok {
			addf("no scope known for bot_event %q: add it to eventScopes in manifest_test.go", ev)
		}
		for _, sc := range scopes {
			needed[sc] = append(needed[sc], "event "+ev)
		}
	}
	if len(s.commands) > 0 {
		needed["commands"] = append(needed["commands"], "slash commands")
	}
	for _, meth := range s.apiMethods {
		scopes, ok := apiScopes[meth]
		if !ok {
			addf("slackapp calls api.%s, whose scope is not known: add it to apiScopes in manifest_test.go", meth)
		}
		for _, sc := range scopes {
			needed[sc] = append(needed[sc], "api."+meth)
		}
	}
	for _, sc := range alwaysNeededScopes {
		needed[sc] = append(needed[sc], "posting")
	}
	bot := m.OAuthConfig.Scopes.Bot
	for _, sc := range slices.Sorted(maps.Keys(needed)) {
		if !slices.Contains(bot, sc) {
			addf("oauth_config.scopes.bot lacks %q, needed by %s", sc, strings.Join(needed[sc], ", "))
		}
	}

	// (f) Nothing beyond the allow-list, and no duplicates.
	for i, sc := range bot {
		if _, ok := allowedBotScopes[sc]; !ok {
			addf("oauth_config.scopes.bot requests %q, which is not in allowedBotScopes: request scopes only for what the app uses", sc)
		}
		if slices.Contains(bot[:i], sc) {
			addf("oauth_config.scopes.bot lists %q twice", sc)
		}
	}
	return problems
}

// TestManifest checks manifest.yaml against routes.go: events, commands,
// settings and scopes.
func TestManifest(t *testing.T) {
	m := readManifest(t)
	s := routedSurface(t)
	for _, p := range checkManifest(m, s) {
		t.Error(p)
	}
}

// TestManifestCheckCatchesDrift makes sure checkManifest can fail: each
// mutation of the real manifest or routes must be reported.
func TestManifestCheckCatchesDrift(t *testing.T) {
	base := routedSurface(t)
	if p := checkManifest(readManifest(t), base); len(p) != 0 {
		t.Skipf("manifest does not match the routes (TestManifest reports why): %q", p)
	}
	cases := []struct {
		name   string
		mutate func(m *slackManifest, s *surface)
	}{
		{"event routed, not subscribed", func(m *slackManifest, s *surface) { s.events = append(s.events, "team_join") }},
		{"message routed, message.groups not subscribed", func(m *slackManifest, s *surface) {
			m.Settings.EventSubscriptions.BotEvents = slices.DeleteFunc(m.Settings.EventSubscriptions.BotEvents, func(e string) bool { return e == "message.groups" })
		}},
		{"event subscribed, not routed", func(m *slackManifest, s *surface) {
			s.events = slices.DeleteFunc(s.events, func(e string) bool { return e == "reaction_removed" })
		}},
		{"extra message subscription", func(m *slackManifest, s *surface) {
			m.Settings.EventSubscriptions.BotEvents = append(m.Settings.EventSubscriptions.BotEvents, "message.mpim")
		}},
		{"messages tab open, DMs not heard", func(m *slackManifest, s *surface) {
			m.Settings.EventSubscriptions.BotEvents = slices.DeleteFunc(m.Settings.EventSubscriptions.BotEvents, func(e string) bool { return e == "message.im" })
		}},
		{"app_mention back without a route", func(m *slackManifest, s *surface) {
			m.Settings.EventSubscriptions.BotEvents = append(m.Settings.EventSubscriptions.BotEvents, "app_mention")
			m.OAuthConfig.Scopes.Bot = append(m.OAuthConfig.Scopes.Bot, "app_mentions:read")
		}},
		{"command routed, not declared", func(m *slackManifest, s *surface) { s.commands = append(s.commands, "/knit") }},
		{"command declared, not routed", func(m *slackManifest, s *surface) { s.commands = nil }},
		{"shortcut routed, not declared", func(m *slackManifest, s *surface) { s.shortcuts = append(s.shortcuts, "other") }},
		{"shortcut declared, not routed", func(m *slackManifest, s *surface) { s.shortcuts = nil }},
		{"usage hint stale", func(m *slackManifest, s *surface) { s.usageHint += " | invite @user" }},
		{"socket mode off", func(m *slackManifest, s *surface) { m.Settings.SocketModeEnabled = false }},
		{"interactivity off", func(m *slackManifest, s *surface) { m.Settings.Interactivity.IsEnabled = false }},
		{"event scope missing", func(m *slackManifest, s *surface) {
			m.OAuthConfig.Scopes.Bot = slices.DeleteFunc(m.OAuthConfig.Scopes.Bot, func(sc string) bool { return sc == "groups:read" })
		}},
		{"commands scope missing", func(m *slackManifest, s *surface) {
			m.OAuthConfig.Scopes.Bot = slices.DeleteFunc(m.OAuthConfig.Scopes.Bot, func(sc string) bool { return sc == "commands" })
		}},
		{"chat:write missing", func(m *slackManifest, s *surface) {
			m.OAuthConfig.Scopes.Bot = slices.DeleteFunc(m.OAuthConfig.Scopes.Bot, func(sc string) bool { return sc == "chat:write" })
		}},
		{"unneeded scope", func(m *slackManifest, s *surface) {
			m.OAuthConfig.Scopes.Bot = append(m.OAuthConfig.Scopes.Bot, "users:read.email")
		}},
		{"unknown api method", func(m *slackManifest, s *surface) {
			s.apiMethods = append(s.apiMethods, "ArchiveConversationContext")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := readManifest(t)
			s := base
			s.events = slices.Clone(base.events)
			s.commands = slices.Clone(base.commands)
			s.apiMethods = slices.Clone(base.apiMethods)
			s.shortcuts = slices.Clone(base.shortcuts)
			tc.mutate(m, &s)
			if p := checkManifest(m, s); len(p) == 0 {
				t.Error("checkManifest reported nothing")
			} else {
				t.Logf("reported: %s", strings.Join(p, "\n"))
			}
		})
	}
}

// Every subcommand in the help table has a handler, and every handler is
// in the help table.
func TestSubcommandsTableMatchesRoutes(t *testing.T) {
	var listed []string
	for _, s := range subcommands {
		listed = append(listed, s.name)
	}
	slices.Sort(listed)
	a := &App{}
	a.routes()
	routed := slices.Sorted(maps.Keys(a.subcommands))
	if !slices.Equal(listed, routed) {
		t.Errorf("subcommands table %v, routed %v", listed, routed)
	}
}
