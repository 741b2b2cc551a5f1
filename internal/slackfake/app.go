package slackfake

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// MethodScopes is the bot scope each Web API method needs, as its reference page
// (https://api.slack.com/methods/<method>, "Required scopes") names it for a bot token on a
// public channel or a DM; "" when the method needs none. A call whose scope the app was not
// granted answers missing_scope (row "method_scopes").
var MethodScopes = map[string]string{
	"auth.test":                "",
	"apps.connections.open":    "", // app-level token with connections:write
	"team.info":                "team:read",
	"users.info":               "users:read",
	"users.list":               "users:read",
	"users.conversations":      "channels:read",
	"conversations.create":     "channels:manage",
	"conversations.invite":     "channels:manage",
	"conversations.setTopic":   "channels:manage",
	"conversations.setPurpose": "channels:manage",
	"conversations.archive":    "channels:manage",
	"conversations.rename":     "channels:manage",
	"conversations.join":       "channels:join",
	"conversations.info":       "channels:read",
	"conversations.members":    "channels:read",
	"conversations.list":       "channels:read",
	"conversations.history":    "channels:history",
	"conversations.replies":    "channels:history",
	"conversations.open":       "im:write",
	"chat.postMessage":         "chat:write",
	"chat.update":              "chat:write",
	"chat.postEphemeral":       "chat:write",
	"chat.delete":              "chat:write",
	"chat.getPermalink":        "",
	"pins.add":                 "pins:write",
	"pins.remove":              "pins:write",
	"pins.list":                "pins:read",
	"bookmarks.add":            "bookmarks:write",
	"bookmarks.list":           "bookmarks:read",
	"reactions.add":            "reactions:write",
	"views.open":               "",
	"views.update":             "",
	"views.push":               "",
	"views.publish":            "",
}

// PrivateChannelScopes is the bot scope a method needs when the conversation it acts on is a
// private channel (conversations.create: when is_private is true), where MethodScopes names
// the public channel's: the reference pages list both ("channels:manage, groups:write" …),
// and each groups:* scope page lists its compatible methods
// (https://api.slack.com/scopes/groups:write, https://api.slack.com/scopes/groups:read,
// https://api.slack.com/scopes/groups:history). Row "private_channel_scopes".
var PrivateChannelScopes = map[string]string{
	"conversations.create":     "groups:write",
	"conversations.invite":     "groups:write",
	"conversations.setTopic":   "groups:write",
	"conversations.setPurpose": "groups:write",
	"conversations.archive":    "groups:write",
	"conversations.rename":     "groups:write",
	"conversations.info":       "groups:read",
	"conversations.members":    "groups:read",
	"conversations.history":    "groups:history",
	"conversations.replies":    "groups:history",
	// users.conversations lists private channels when types names private_channel.
	"users.conversations": "groups:read",
}

// PrivateEventScopes is the scope an event needs to be delivered from a private channel
// (https://api.slack.com/events/member_joined_channel: "channels:read, groups:read").
var PrivateEventScopes = map[string]string{
	"member_joined_channel": "groups:read",
	"member_left_channel":   "groups:read",
}

// EventScopes is the scope each event needs before an app may subscribe to it
// (https://api.slack.com/events/<event>, "Required scopes").
var EventScopes = map[string]string{
	"member_joined_channel": "channels:read",
	"member_left_channel":   "channels:read",
	"message.channels":      "channels:history",
	"message.groups":        "groups:history",
	"message.im":            "im:history",
	"pin_added":             "pins:read",
	"pin_removed":           "pins:read",
	"reaction_added":        "reactions:read",
	"reaction_removed":      "reactions:read",
	"app_home_opened":       "",
	"app_mention":           "app_mentions:read",
}

// Manifest is what Slack takes from an app manifest
// (https://api.slack.com/reference/manifests): the bot scopes the token is granted, the bot
// events delivered, and whether the App Home Messages tab is on.
type Manifest struct {
	Scopes      []string
	BotEvents   []string
	MessagesTab bool
	// HomeTab: the App Home tab is on (features.app_home.home_tab_enabled).
	HomeTab bool
	// Shortcuts are the message shortcuts (features.shortcuts with type
	// message).
	Shortcuts []Shortcut
}

// Shortcut is a message shortcut as the app's manifest declares it: the
// name people see in a message's menu and the callback_id sent with it.
type Shortcut struct {
	Name       string
	CallbackID string
}

// ParseManifest reads an app manifest in YAML.
func ParseManifest(b []byte) (Manifest, error) {
	var m struct {
		Features struct {
			AppHome struct {
				MessagesTabEnabled *bool `yaml:"messages_tab_enabled"`
				HomeTabEnabled     *bool `yaml:"home_tab_enabled"`
			} `yaml:"app_home"`
			Shortcuts []struct {
				Name       string `yaml:"name"`
				Type       string `yaml:"type"`
				CallbackID string `yaml:"callback_id"`
			} `yaml:"shortcuts"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			EventSubscriptions struct {
				BotEvents []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("slackfake: app manifest: %w", err)
	}
	out := Manifest{Scopes: m.OAuth.Scopes.Bot, BotEvents: m.Settings.EventSubscriptions.BotEvents}
	out.MessagesTab = m.Features.AppHome.MessagesTabEnabled != nil && *m.Features.AppHome.MessagesTabEnabled
	out.HomeTab = m.Features.AppHome.HomeTabEnabled != nil && *m.Features.AppHome.HomeTabEnabled
	for _, sc := range m.Features.Shortcuts {
		if sc.Type == "message" {
			out.Shortcuts = append(out.Shortcuts, Shortcut{Name: sc.Name, CallbackID: sc.CallbackID})
		}
	}
	for _, ev := range out.BotEvents {
		if sc, ok := EventScopes[ev]; ok && sc != "" && !contains(out.Scopes, sc) {
			return Manifest{}, fmt.Errorf("slackfake: app manifest subscribes to %s without the %s scope it needs", ev, sc)
		}
	}
	return out, nil
}

// WithManifest installs the app as the manifest describes it: the bot token is granted exactly
// its bot scopes (a method needing another answers missing_scope), only its bot events are
// delivered, and DMs need the Messages tab. Without it the app is granted every scope and
// subscribed to every event. A manifest that does not parse panics: it is a test's own input.
func WithManifest(yamlText []byte) Option {
	m, err := ParseManifest(yamlText)
	if err != nil {
		panic(err)
	}
	return func(c *config) { c.manifest = &m }
}

// app is the installed app's configuration as the fake holds it.
type app struct {
	scopes      map[string]bool // nil: every scope
	events      map[string]bool // nil: every event
	messagesTab bool
	homeTab     bool
	shortcuts   map[string]bool // nil: every message shortcut
	menu        []Shortcut
}

func newApp(m *Manifest) app {
	if m == nil {
		return app{messagesTab: true, homeTab: true}
	}
	a := app{scopes: map[string]bool{}, events: map[string]bool{}, messagesTab: m.MessagesTab, homeTab: m.HomeTab, shortcuts: map[string]bool{}}
	for _, sc := range m.Shortcuts {
		a.shortcuts[sc.CallbackID] = true
	}
	a.menu = m.Shortcuts
	for _, s := range m.Scopes {
		a.scopes[s] = true
	}
	for _, e := range m.BotEvents {
		a.events[e] = true
	}
	return a
}

func (a app) granted(scope string) bool { return scope == "" || a.scopes == nil || a.scopes[scope] }

// scopeList is the X-OAuth-Scopes header value: the granted scopes, comma separated.
func (a app) scopeList() string {
	if a.scopes == nil {
		set := map[string]bool{}
		for _, s := range MethodScopes {
			set[s] = true
		}
		for _, s := range EventScopes {
			set[s] = true
		}
		set["commands"] = true
		delete(set, "")
		return joinSorted(set)
	}
	return joinSorted(a.scopes)
}

func joinSorted(set map[string]bool) string {
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// subscription is the manifest event name an event is delivered under.
func subscription(inner map[string]any) string {
	typ, _ := inner["type"].(string)
	if typ != "message" {
		return typ
	}
	switch inner["channel_type"] {
	case "group":
		return "message.groups"
	case "im":
		return "message.im"
	case "mpim":
		return "message.mpim"
	}
	return "message.channels"
}

func (a app) subscribed(inner map[string]any) bool {
	if a.events != nil && !a.events[subscription(inner)] {
		return false
	}
	// From a private channel, an event also needs its private scope.
	typ, _ := inner["type"].(string)
	if sc, ok := PrivateEventScopes[typ]; ok && inner["channel_type"] == "G" && !a.granted(sc) {
		return false
	}
	return true
}

// GrantedScopes is what X-OAuth-Scopes reports for the bot token.
func (s *Server) GrantedScopes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.app.scopeList()
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// SetScopes replaces the bot token's scopes (as reinstalling the app with other scopes would).
func (s *Server) SetScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.app.scopes = map[string]bool{}
	for _, sc := range scopes {
		s.app.scopes[sc] = true
	}
}

// SetMessagesTab turns the App Home Messages tab on or off; with it off, a DM from the app
// answers messages_tab_disabled.
func (s *Server) SetMessagesTab(on bool) {
	s.mu.Lock()
	s.app.messagesTab = on
	s.mu.Unlock()
}

// MessageShortcuts lists the message shortcuts the app's manifest declares, as a message's
// menu offers them (none without a manifest).
func (s *Server) MessageShortcuts() []Shortcut {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Shortcut(nil), s.app.menu...)
}

// DroppedEvents lists the types of events that were not delivered because the app does not
// subscribe to them, oldest first.
func (s *Server) DroppedEvents() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.st.dropped...)
}

// ---- error injection ----

type injected struct {
	code  string
	n     int // <0: until cleared
	extra map[string]any
}

// FailWith makes the next n calls to method ("" for any method) answer HTTP 200 with
// {"ok":false,"error":code}, after the token is checked and before anything changes; n < 0
// keeps failing until ClearFailures. Any code may be injected: rate_limited,
// restricted_action, missing_scope (with needed and provided filled in), token_revoked,
// account_inactive, messages_tab_disabled, is_archived, not_in_channel, …
func (s *Server) FailWith(method, code string, n int) {
	s.FailWithExtra(method, code, n, nil)
}

// FailWithExtra is FailWith with extra top-level fields in the answer.
func (s *Server) FailWithExtra(method, code string, n int, extra map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n == 0 {
		delete(s.inj, method)
		return
	}
	s.inj[method] = &injected{code: code, n: n, extra: extra}
}

// ClearFailures removes every FailWith.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	s.inj = map[string]*injected{}
	s.mu.Unlock()
}

// injectedFor spends one injected failure for method, if any.
func (s *Server) injectedFor(method string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{method, ""} {
		f := s.inj[key]
		if f == nil || f.n == 0 {
			continue
		}
		if f.n > 0 {
			f.n--
		}
		e := &apiError{code: f.code, extra: map[string]any{}}
		for k, v := range f.extra {
			e.extra[k] = v
		}
		if f.code == "missing_scope" {
			if _, ok := e.extra["needed"]; !ok {
				e.extra["needed"] = MethodScopes[method]
			}
			if _, ok := e.extra["provided"]; !ok {
				e.extra["provided"] = s.app.scopeList()
			}
		}
		return e
	}
	return nil
}

// privateScopeErr is missing_scope when method acts on a private channel (or creates one)
// and the bot token lacks the private channel's scope. Called with s.mu held.
func (s *Server) privateScopeErr(method string, p params) *apiError {
	need, ok := PrivateChannelScopes[method]
	if !ok || s.app.granted(need) {
		return nil
	}
	private := method == "conversations.create" && p.boolean("is_private") ||
		method == "users.conversations" && contains(splitList(p.str("types")), "private_channel")
	if c := s.st.channels[p.str("channel")]; c != nil && c.IsPrivate && !c.IsIM {
		private = true
	}
	if !private {
		return nil
	}
	return &apiError{code: "missing_scope", extra: map[string]any{"needed": need, "provided": s.app.scopeList()}}
}

// scopeErr is missing_scope when the bot token lacks method's scope.
func (s *Server) scopeErr(method string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	need := MethodScopes[method]
	if s.app.granted(need) {
		return nil
	}
	return &apiError{code: "missing_scope", extra: map[string]any{"needed": need, "provided": s.app.scopeList()}}
}

// ---- tokens ----

// RevokeBotToken makes every call with the current bot token answer code from now on
// (token_revoked, account_inactive, invalid_auth, token_expired, …), as Slack does once the
// app is uninstalled, the token revoked or the bot user deactivated. With newToken != "" a
// fresh token is accepted in its place, as after reinstalling the app.
func (s *Server) RevokeBotToken(code, newToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deadTokens[s.cfg.botToken] = code
	if newToken != "" {
		s.cfg.botToken = newToken
		delete(s.deadTokens, newToken)
	}
}
