package slacktest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Call is one recorded Web API call.
type Call struct {
	Method string
	// Token is the token the call carried, from the Authorization header
	// or the form body.
	Token string
	// Args holds the call's arguments without the token: the form fields
	// and query of a form-encoded call, or the top-level fields of a JSON
	// body, objects and arrays as JSON text (the way slack-go sends blocks
	// in forms).
	Args url.Values
	// JSON is the decoded body of a JSON call (views.*, apps.connections.open),
	// nil for form-encoded calls.
	JSON map[string]any
	At   time.Time
}

// Message is a message posted through chat.postMessage or
// chat.postEphemeral, as last updated by chat.update.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	Text     string
	// Blocks is the blocks argument as sent, nil if none.
	Blocks json.RawMessage
	// Ephemeral marks a chat.postEphemeral message, visible to User only.
	Ephemeral bool
	User      string
	// Updates counts chat.update calls on the message.
	Updates int
	// Args holds every argument of the call that posted the message.
	Args url.Values
	// PostedBy and PostedByBot are the user and bot_id the message carries
	// when someone other than the app posted it (AddMessage); empty for
	// the app's own posts.
	PostedBy, PostedByBot string
}

// Button returns the value of m's button whose action_id is actionID, in
// any actions block, and whether m has one: what a press of it sends.
func (m Message) Button(actionID string) (string, bool) {
	var blocks []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if json.Unmarshal(m.Blocks, &blocks) != nil {
		return "", false
	}
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.ActionID == actionID {
				return e.Value, true
			}
		}
	}
	return "", false
}

// User is a workspace user as users.info reports it.
type User struct {
	ID       string
	Name     string
	RealName string
	Email    string
	IsBot    bool
	Deleted  bool
	TZ       string
}

// Channel is a conversation as conversations.info reports it.
type Channel struct {
	ID        string
	Name      string
	IsPrivate bool
	// Archived channels refuse posts with is_archived (StrictChannels).
	Archived bool
	// BotNotMember: the app's bot user is not in the channel, so posts,
	// reactions, history, invites and kicks answer not_in_channel
	// (StrictChannels).
	BotNotMember bool
}

// File is a file uploaded through files.getUploadURLExternal, the upload URL
// and files.completeUploadExternal.
type File struct {
	ID             string
	Name           string
	Title          string
	Length         int
	Data           []byte
	Uploaded       bool // bytes received at the upload URL
	Completed      bool // files.completeUploadExternal called
	Channel        string
	InitialComment string
	ThreadTS       string
}

// webState is the Web API half of the server's state, guarded by Server.mu.
type webState struct {
	calls     []Call
	unknown   []string
	messages  []*Message
	members   map[string][]string
	channels  map[string]Channel
	users     map[string]User
	files     map[string]*File
	fileOrder []string
	reactions map[string]bool     // channel/ts/name reacted by the bot
	pins      map[string][]string // channel -> pinned message ts, in pinning order
	lastTS    int64               // microseconds of the last ts handed out
	followUps []map[string]any    // events to send once the current call has answered
	groups    map[string][]string
}

func (st *webState) init() {
	st.members = make(map[string][]string)
	st.channels = make(map[string]Channel)
	st.users = make(map[string]User)
	st.files = make(map[string]*File)
	st.reactions = make(map[string]bool)
	st.pins = make(map[string][]string)
}

// apiRequest is a decoded Web API call handed to a method handler.
type apiRequest struct {
	method string
	args   url.Values
	json   map[string]any
}

// result is a Web API response body. Handlers return it without "ok";
// serveAPI adds "ok":true unless it is an error.
type result map[string]any

func apiError(code string) result { return result{"ok": false, "error": code} }

// method describes one known Web API method. Adding a method to the
// emulator is one line in methods and a handler.
type method struct {
	appToken bool // needs the app-level token instead of the bot token
	// handle runs with Server.mu held.
	handle func(*Server, *apiRequest) result
}

var methods = map[string]method{
	"apps.connections.open":        {appToken: true, handle: (*Server).appsConnectionsOpen},
	"auth.test":                    {handle: (*Server).authTest},
	"chat.getPermalink":            {handle: (*Server).chatGetPermalink},
	"chat.postEphemeral":           {handle: (*Server).chatPostEphemeral},
	"chat.postMessage":             {handle: (*Server).chatPostMessage},
	"chat.update":                  {handle: (*Server).chatUpdate},
	"conversations.history":        {handle: (*Server).conversationsHistory},
	"conversations.info":           {handle: (*Server).conversationsInfo},
	"conversations.invite":         {handle: (*Server).conversationsInvite},
	"conversations.kick":           {handle: (*Server).conversationsKick},
	"conversations.members":        {handle: (*Server).conversationsMembers},
	"files.completeUploadExternal": {handle: (*Server).filesCompleteUploadExternal},
	"files.getUploadURLExternal":   {handle: (*Server).filesGetUploadURLExternal},
	"pins.add":                     {handle: (*Server).pinsAdd},
	"reactions.add":                {handle: (*Server).reactionsAdd},
	"usergroups.users.list":        {handle: (*Server).usergroupsUsersList},
	"users.info":                   {handle: (*Server).usersInfo},
	"views.open":                   {handle: (*Server).viewsOpen},
	"views.publish":                {handle: (*Server).viewsPublish},
}

// serveAPI answers /api/<method>. Every answer is HTTP 200, except an
// injected rate limit (429): slack-go turns any other status into a
// StatusCodeError that real Slack would not produce.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("method")
	req, token, err := decodeRequest(r)
	if err != nil {
		s.fail("slacktest: %s: bad request: %v", name, err)
		writeJSON(w, http.StatusOK, apiError("invalid_form_data"))
		return
	}
	req.method = name

	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: name, Token: token, Args: req.args, JSON: req.json, At: time.Now()})
	s.notifyLocked()
	m, known := methods[name]
	if !known {
		s.unknown = append(s.unknown, name)
	}
	rateLimit, methodError := s.RateLimit, s.MethodError
	tierAfter, tierLimited := time.Duration(0), false
	if known {
		tierAfter, tierLimited = s.rateLimitedLocked(name, req.args)
	}
	wantToken := s.BotToken
	if m.appToken {
		wantToken = s.AppToken
	}
	s.mu.Unlock()

	if !known {
		s.fail("slacktest: unknown Web API method %q", name)
		writeJSON(w, http.StatusOK, apiError("unknown_method"))
		return
	}
	if rateLimit != nil && !tierLimited {
		tierAfter, tierLimited = rateLimit(name)
	}
	if tierLimited {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(tierAfter.Seconds()))))
		writeJSON(w, http.StatusTooManyRequests, apiError("ratelimited"))
		return
	}
	if token == "" || token != wantToken {
		writeJSON(w, http.StatusOK, apiError("invalid_auth"))
		return
	}
	if methodError != nil {
		if code := methodError(name, req.args); code != "" {
			writeJSON(w, http.StatusOK, apiError(code))
			return
		}
	}

	s.mu.Lock()
	res := m.handle(s, req)
	s.notifyLocked()
	follow := s.followUps
	s.followUps = nil
	delay := s.MethodDelay
	s.mu.Unlock()
	s.delayAnswer(delay, req)
	if _, ok := res["ok"]; !ok {
		res["ok"] = true
	}
	writeJSON(w, http.StatusOK, res)
	// Events a call causes (MemberEvents, OwnEchoes) arrive after its
	// response, as on Slack, and late (EchoDelay).
	for _, ev := range follow {
		s.sendEcho(ev)
	}
}

// decodeRequest reads a call's arguments and token. slack-go sends most
// methods form-encoded with the token in the body, views.* and
// apps.connections.open as JSON with a Bearer header, and chat.getPermalink
// as a GET with a query.
func decodeRequest(r *http.Request) (*apiRequest, string, error) {
	req := &apiRequest{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		req.args = r.URL.Query()
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, "", err
		}
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, &req.json); err != nil {
				return nil, "", err
			}
		}
		for k, v := range req.json {
			switch v := v.(type) {
			case string:
				req.args.Set(k, v)
			case nil:
			default:
				b, _ := json.Marshal(v)
				req.args.Set(k, string(b))
			}
		}
	} else {
		if err := r.ParseForm(); err != nil {
			return nil, "", err
		}
		req.args = r.Form
	}
	token := req.args.Get("token")
	req.args.Del("token")
	if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		token = h
	}
	return req, token, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Calls returns the recorded Web API calls to method, or all calls if method
// is empty, in the order they arrived. Callers must not modify the Args.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsLocked(method)
}

func (s *Server) callsLocked(method string) []Call {
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitCall blocks until at least n calls to method (any method if empty)
// have arrived and returns all of them.
func (s *Server) WaitCall(ctx context.Context, method string, n int) ([]Call, error) {
	var calls []Call
	err := s.waitFor(ctx, func() bool {
		calls = s.callsLocked(method)
		return len(calls) >= n
	})
	if err != nil {
		return calls, fmt.Errorf("slacktest: waiting for %d %q calls, have %d: %w", n, method, len(calls), err)
	}
	return calls, nil
}

// UnknownMethods returns the names of the unknown Web API methods that were
// called, once per call. With NewServer each call has also failed the test.
func (s *Server) UnknownMethods() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.unknown)
}

// AddMessage puts a message posted by someone else (m.PostedBy, a user or
// another app's bot user, and m.PostedByBot, its bot_id) into m.Channel's
// history, with its metadata in m.Args ("metadata", as chat.postMessage
// takes it). It returns the message's ts.
func (s *Server) AddMessage(m Message) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.TS = s.nextTSLocked()
	s.messages = append(s.messages, &m)
	return m.TS
}

// Messages returns copies of the messages posted to channel (every channel
// if empty), in posting order.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if channel == "" || m.Channel == channel {
			out = append(out, *m)
		}
	}
	return out
}

// SetMembers sets the member list conversations.members returns for
// channel; conversations.invite and conversations.kick change it.
func (s *Server) SetMembers(channel string, members []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members[channel] = slices.Clone(members)
}

// Members returns the current members of channel.
func (s *Server) Members(channel string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.members[channel])
}

// SetChannel sets what conversations.info reports for ch.ID. Channels not
// set are reported as public channels named after their lower-cased ID.
func (s *Server) SetChannel(ch Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[ch.ID] = ch
}

// SetUser sets what users.info reports for u.ID. Users not set get a profile
// derived from their ID, so tests need not register every user.
func (s *Server) SetUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// Files returns copies of the files started with files.getUploadURLExternal,
// in order.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]File, 0, len(s.fileOrder))
	for _, id := range s.fileOrder {
		out = append(out, *s.files[id])
	}
	return out
}

// nextTSLocked returns a message timestamp after every earlier one.
func (s *Server) nextTSLocked() string {
	now := time.Now().UnixMicro()
	if now <= s.lastTS {
		now = s.lastTS + 1
	}
	s.lastTS = now
	return fmt.Sprintf("%d.%06d", now/1e6, now%1e6)
}

// randomID returns a Slack-looking ID: prefix and ten upper-case characters.
func randomID(prefix string) string { return prefix + NewEventID()[2:] }

func (s *Server) appsConnectionsOpen(*apiRequest) result {
	return result{
		"url": s.socketURLLocked(),
		"response_metadata": map[string]any{
			"scopes":         []string{"connections:write"},
			"acceptedScopes": []string{"connections:write"},
		},
	}
}

func (s *Server) authTest(*apiRequest) result {
	return result{
		"url":                   s.WorkspaceURL,
		"team":                  "Acme Ops",
		"user":                  "closeknit",
		"team_id":               s.TeamID,
		"user_id":               s.BotUserID,
		"bot_id":                s.BotID,
		"is_enterprise_install": false,
	}
}

// messageJSON renders a stored message the way chat.postMessage and
// chat.update return it.
func (s *Server) messageJSON(m *Message) map[string]any {
	out := map[string]any{
		"user":   s.BotUserID,
		"type":   "message",
		"ts":     m.TS,
		"bot_id": s.BotID,
		"app_id": s.AppID,
		"text":   m.Text,
		"team":   s.TeamID,
	}
	if m.PostedBy != "" || m.PostedByBot != "" { // someone else's post
		out["user"], out["bot_id"] = m.PostedBy, m.PostedByBot
		delete(out, "app_id")
		if m.PostedBy == "" {
			delete(out, "user")
		}
		if m.PostedByBot == "" {
			delete(out, "bot_id")
		}
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	return out
}

// newMessageLocked validates and stores a message from chat.postMessage or
// chat.postEphemeral.
func (s *Server) newMessageLocked(req *apiRequest, ephemeral bool) (*Message, string) {
	a := req.args
	if code := s.channelRefusalLocked(a.Get("channel"), true); code != "" {
		return nil, code
	}
	if a.Get("text") == "" && a.Get("blocks") == "" && a.Get("attachments") == "" && a.Get("markdown_text") == "" {
		return nil, "no_text"
	}
	m := &Message{
		Channel:   a.Get("channel"),
		TS:        s.nextTSLocked(),
		ThreadTS:  a.Get("thread_ts"),
		Text:      a.Get("text"),
		Ephemeral: ephemeral,
		Args:      a,
	}
	if b := a.Get("blocks"); b != "" {
		if !json.Valid([]byte(b)) {
			return nil, "invalid_blocks_format"
		}
		m.Blocks = json.RawMessage(b)
	}
	if ephemeral {
		m.User = a.Get("user")
	}
	s.messages = append(s.messages, m)
	return m, ""
}

func (s *Server) chatPostMessage(req *apiRequest) result {
	m, code := s.newMessageLocked(req, false)
	if code != "" {
		return apiError(code)
	}
	s.echoMessageLocked(m)
	return result{"channel": m.Channel, "ts": m.TS, "message": s.messageJSON(m)}
}

func (s *Server) chatPostEphemeral(req *apiRequest) result {
	if req.args.Get("user") == "" {
		return apiError("user_not_in_channel")
	}
	m, code := s.newMessageLocked(req, true)
	if code != "" {
		return apiError(code)
	}
	return result{"message_ts": m.TS}
}

func (s *Server) chatUpdate(req *apiRequest) result {
	a := req.args
	if code := s.channelRefusalLocked(a.Get("channel"), true); code != "" {
		return apiError(code)
	}
	for _, m := range s.messages {
		if m.Ephemeral || m.Channel != a.Get("channel") || m.TS != a.Get("ts") {
			continue
		}
		prev := *m
		if a.Has("text") {
			m.Text = a.Get("text")
		}
		if b := a.Get("blocks"); b != "" {
			if !json.Valid([]byte(b)) {
				return apiError("invalid_blocks_format")
			}
			m.Blocks = json.RawMessage(b)
		}
		m.Updates++
		s.echoChangedLocked(&prev, m)
		return result{"channel": m.Channel, "ts": m.TS, "text": m.Text, "message": s.messageJSON(m)}
	}
	return apiError("message_not_found")
}

func (s *Server) chatGetPermalink(req *apiRequest) result {
	ch, ts := req.args.Get("channel"), req.args.Get("message_ts")
	if code := s.channelRefusalLocked(ch, false); code != "" && code != "is_archived" {
		return apiError(code)
	}
	if ts == "" {
		return apiError("message_not_found")
	}
	return result{
		"channel":   ch,
		"permalink": strings.TrimSuffix(s.WorkspaceURL, "/") + "/archives/" + ch + "/p" + strings.Replace(ts, ".", "", 1),
	}
}

func (s *Server) channelJSON(id string, withCount bool) map[string]any {
	ch, ok := s.channels[id]
	if !ok {
		ch = Channel{ID: id, Name: strings.ToLower(id)}
	}
	out := map[string]any{
		"id":          ch.ID,
		"name":        ch.Name,
		"is_channel":  !ch.IsPrivate,
		"is_group":    false,
		"is_im":       false,
		"is_private":  ch.IsPrivate,
		"is_archived": ch.Archived,
		"is_member":   s.isMemberLocked(id),
		"created":     1767000000,
	}
	if withCount {
		out["num_members"] = len(s.members[id])
	}
	return out
}

func (s *Server) conversationsInfo(req *apiRequest) result {
	id := req.args.Get("channel")
	if code := s.channelRefusalLocked(id, false); code == "channel_not_found" {
		return apiError(code)
	}
	return result{"channel": s.channelJSON(id, req.args.Get("include_num_members") == "true")}
}

// conversationsMembers pages like Slack: the cursor is base64 of
// "user:<last user returned>", and the last page has an empty next_cursor.
func (s *Server) conversationsMembers(req *apiRequest) result {
	id := req.args.Get("channel")
	if code := s.channelRefusalLocked(id, false); code == "channel_not_found" {
		return apiError(code)
	}
	limit := 100
	if l := req.args.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 || n > 1000 {
			return apiError("invalid_limit")
		}
		if n > 0 {
			limit = n
		}
	}
	members := s.membersWithBotLocked(id)
	start := 0
	if c := req.args.Get("cursor"); c != "" {
		raw, err := base64.StdEncoding.DecodeString(c)
		after, ok := strings.CutPrefix(string(raw), "user:")
		i := slices.Index(members, after)
		if err != nil || !ok || i < 0 {
			return apiError("invalid_cursor")
		}
		start = i + 1
	}
	end := min(start+limit, len(members))
	next := ""
	if end < len(members) {
		next = base64.StdEncoding.EncodeToString([]byte("user:" + members[end-1]))
	}
	return result{
		"members":           slices.Clone(members[start:end]),
		"response_metadata": map[string]any{"next_cursor": next},
	}
}

// conversationsInvite fails as a whole, with a per-user errors array, when
// any user cannot be invited; with force=true it still invites the others.
func (s *Server) conversationsInvite(req *apiRequest) result {
	id := req.args.Get("channel")
	if code := s.channelRefusalLocked(id, true); code != "" {
		return apiError(code)
	}
	var users []string
	for u := range strings.SplitSeq(req.args.Get("users"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		return apiError("no_user")
	}
	var errs []map[string]any
	var ok []string
	for _, u := range users {
		switch {
		case u == s.BotUserID:
			errs = append(errs, map[string]any{"user": u, "ok": false, "error": "cant_invite_self"})
		case !s.userKnownLocked(u):
			errs = append(errs, map[string]any{"user": u, "ok": false, "error": "user_not_found"})
		case slices.Contains(s.members[id], u):
			errs = append(errs, map[string]any{"user": u, "ok": false, "error": "already_in_channel"})
		default:
			ok = append(ok, u)
		}
	}
	if len(errs) == 0 || req.args.Get("force") == "true" {
		s.members[id] = append(s.members[id], ok...)
		for _, u := range ok {
			s.memberEventLocked("member_joined_channel", id, u)
		}
	}
	if len(errs) > 0 {
		return result{"ok": false, "error": errs[0]["error"], "errors": errs}
	}
	return result{"channel": s.channelJSON(id, false)}
}

func (s *Server) conversationsKick(req *apiRequest) result {
	id, u := req.args.Get("channel"), req.args.Get("user")
	if code := s.channelRefusalLocked(id, true); code != "" {
		return apiError(code)
	}
	switch {
	case u == "":
		return apiError("user_not_found")
	case u == s.BotUserID:
		return apiError("cant_kick_self")
	}
	i := slices.Index(s.members[id], u)
	if i < 0 {
		return apiError("not_in_channel")
	}
	s.members[id] = slices.Delete(s.members[id], i, i+1)
	s.memberEventLocked("member_left_channel", id, u)
	return result{}
}

func (s *Server) usersInfo(req *apiRequest) result {
	id := req.args.Get("user")
	if id == "" {
		return apiError("user_not_found")
	}
	if !s.userKnownLocked(id) {
		return apiError("user_not_found")
	}
	u, ok := s.users[id]
	if !ok {
		name := strings.ToLower(id)
		u = User{ID: id, Name: name, RealName: id, Email: name + "@example.com", IsBot: id == s.BotUserID}
	}
	tz := u.TZ
	if tz == "" {
		tz = "UTC"
	}
	return result{"user": map[string]any{
		"id":        u.ID,
		"team_id":   s.TeamID,
		"name":      u.Name,
		"real_name": u.RealName,
		"deleted":   u.Deleted,
		"is_bot":    u.IsBot,
		"tz":        tz,
		"profile": map[string]any{
			"real_name":    u.RealName,
			"display_name": u.Name,
			"email":        u.Email,
			"team":         s.TeamID,
		},
	}}
}

// viewJSON decodes the view argument and adds the fields Slack fills in.
func (s *Server) viewJSON(req *apiRequest) (map[string]any, bool) {
	var view map[string]any
	if err := json.Unmarshal([]byte(req.args.Get("view")), &view); err != nil || view == nil {
		return nil, false
	}
	id := randomID("V")
	view["id"] = id
	view["team_id"] = s.TeamID
	view["app_id"] = s.AppID
	view["bot_id"] = s.BotID
	view["root_view_id"] = id
	view["hash"] = strconv.FormatInt(time.Now().Unix(), 10) + "." + strings.ToLower(randomID(""))[:8]
	return view, true
}

// viewsOpen takes a trigger_id the server sent in an envelope, once, within
// TriggerLifetime of sending it, as Slack does: invalid_trigger_id,
// exchanged_trigger_id (opening two modals from one interaction is a real
// bug) or expired_trigger_id otherwise.
func (s *Server) viewsOpen(req *apiRequest) result {
	view, ok := s.viewJSON(req)
	if !ok {
		return apiError("invalid_arguments")
	}
	if code := s.takeTriggerLocked(req.args.Get("trigger_id")); code != "" {
		return apiError(code)
	}
	return result{"view": view}
}

func (s *Server) viewsPublish(req *apiRequest) result {
	if req.args.Get("user_id") == "" {
		return apiError("invalid_arguments")
	}
	view, ok := s.viewJSON(req)
	if !ok {
		return apiError("invalid_arguments")
	}
	return result{"view": view}
}

func (s *Server) reactionsAdd(req *apiRequest) result {
	a := req.args
	if a.Get("name") == "" {
		return apiError("invalid_name")
	}
	if a.Get("channel") == "" || a.Get("timestamp") == "" {
		return apiError("no_item_specified")
	}
	if code := s.channelRefusalLocked(a.Get("channel"), true); code != "" {
		return apiError(code)
	}
	key := a.Get("channel") + "/" + a.Get("timestamp") + "/" + a.Get("name")
	if s.reactions[key] {
		return apiError("already_reacted")
	}
	s.reactions[key] = true
	s.echoReactionLocked(a.Get("channel"), a.Get("timestamp"), a.Get("name"))
	return result{}
}

// pinsAdd pins a message as Slack does: only in a channel the bot is in
// (not_in_channel), only a message there (message_not_found), once
// (already_pinned).
func (s *Server) pinsAdd(req *apiRequest) result {
	ch, ts := req.args.Get("channel"), req.args.Get("timestamp")
	if ts == "" {
		return apiError("no_item_specified")
	}
	if code := s.channelRefusalLocked(ch, true); code != "" {
		return apiError(code)
	}
	if !slices.ContainsFunc(s.messages, func(m *Message) bool { return !m.Ephemeral && m.Channel == ch && m.TS == ts }) {
		return apiError("message_not_found")
	}
	if slices.Contains(s.pins[ch], ts) {
		return apiError("already_pinned")
	}
	s.pins[ch] = append(s.pins[ch], ts)
	return result{}
}

// Pins returns the ts of the messages pinned in channel, in pinning order.
func (s *Server) Pins(channel string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pins[channel])
}

// filesGetUploadURLExternal returns an upload URL on the emulator's own
// host: slack-go only sends the token to slack.com or to the API URL's host.
func (s *Server) filesGetUploadURLExternal(req *apiRequest) result {
	name := req.args.Get("filename")
	length, err := strconv.Atoi(req.args.Get("length"))
	if name == "" || err != nil || length <= 0 {
		return apiError("invalid_arguments")
	}
	id := randomID("F")
	s.files[id] = &File{ID: id, Name: name, Length: length}
	s.fileOrder = append(s.fileOrder, id)
	return result{"upload_url": s.baseURL + "upload/" + id, "file_id": id}
}

func (s *Server) filesCompleteUploadExternal(req *apiRequest) result {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(req.args.Get("files")), &files); err != nil || len(files) == 0 {
		return apiError("invalid_arguments")
	}
	for _, f := range files {
		if sf := s.files[f.ID]; sf == nil || !sf.Uploaded {
			return apiError("file_not_found")
		}
	}
	channel := req.args.Get("channel_id")
	if channel == "" {
		channel = req.args.Get("channels")
	}
	if channel != "" {
		if code := s.channelRefusalLocked(channel, true); code != "" {
			return apiError(code)
		}
	}
	out := make([]map[string]any, 0, len(files))
	for _, f := range files {
		sf := s.files[f.ID]
		sf.Title = f.Title
		if sf.Title == "" {
			sf.Title = sf.Name
		}
		sf.Completed = true
		sf.Channel = channel
		sf.InitialComment = req.args.Get("initial_comment")
		sf.ThreadTS = req.args.Get("thread_ts")
		out = append(out, map[string]any{"id": sf.ID, "title": sf.Title})
	}
	return result{"files": out}
}

// serveUpload receives the bytes of a file (step 2 of slack-go's
// UploadFile): a multipart POST with the content in the field "file".
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f, _, err := r.FormFile("file")
	if err != nil {
		s.fail("slacktest: upload %s: %v", id, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	sf := s.files[id]
	if sf != nil {
		sf.Data = data
		sf.Uploaded = true
		s.notifyLocked()
	}
	s.mu.Unlock()
	if sf == nil {
		s.fail("slacktest: upload to unknown file %q", id)
		http.NotFound(w, r)
		return
	}
	fmt.Fprintf(w, "OK - %d", len(data))
}

// memberEventLocked queues the member event Slack sends when a call
// changes a channel's members, if MemberEvents is on.
func (s *Server) memberEventLocked(typ, channel, user string) {
	if !s.MemberEvents {
		return
	}
	ev := map[string]any{
		"type": typ, "user": user, "channel": channel, "channel_type": channel[:1], // C or G
		"team": s.TeamID, "event_ts": s.nextTSLocked(),
	}
	if typ == "member_joined_channel" {
		ev["inviter"] = s.BotUserID // the app invited them
	}
	s.followUps = append(s.followUps, ev)
}

// SetUserGroup sets the members usergroups.users.list reports for the
// user group id (S…).
func (s *Server) SetUserGroup(id string, users []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups == nil {
		s.groups = map[string][]string{}
	}
	s.groups[id] = slices.Clone(users)
}

func (s *Server) usergroupsUsersList(req *apiRequest) result {
	users, ok := s.groups[req.args.Get("usergroup")]
	if !ok {
		return apiError("no_such_subteam")
	}
	return result{"users": slices.Clone(users)}
}
