package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/firebreak-hq/firebreak/internal/gosrc"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// manifest is the part of slack-app-manifest.yaml the bot depends on:
// what Slack installs (scopes, events, the Messages tab, as the fake
// Slack reads them) and the settings the socket and the command need.
type manifest struct {
	slackfake.Manifest `yaml:"-"`
	Features           struct {
		SlashCommands []struct {
			Command      string `yaml:"command"`
			ShouldEscape bool   `yaml:"should_escape"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	Settings struct {
		Interactivity struct {
			IsEnabled bool `yaml:"is_enabled"`
		} `yaml:"interactivity"`
		SocketModeEnabled bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

// repoRoot is where go.mod lives, two levels above this package.
var repoRoot = filepath.Join("..", "..")

// readManifest reads the shipped manifest; Slack (the fake) must accept it.
func readManifest(t *testing.T) manifest {
	t.Helper()
	b := mustRead(t, filepath.Join(repoRoot, "slack-app-manifest.yaml"))
	var m manifest
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("slack-app-manifest.yaml: %v", err)
	}
	var err error
	if m.Manifest, err = slackfake.ParseManifest(b); err != nil {
		t.Fatalf("Slack would refuse the manifest: %v", err)
	}
	return m
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

func TestManifest(t *testing.T) {
	t.Parallel()
	m := readManifest(t)
	cases := []struct {
		name string
		got  any
		want any
	}{
		{"RequiredScopes reads the manifest", sorted(m.Scopes), RequiredScopes()},
		{"bot events are exactly those the bot handles", sorted(m.BotEvents), handledEvents(t)},
		{"socket mode is on", m.Settings.SocketModeEnabled, true},
		{"interactivity is on", m.Settings.Interactivity.IsEnabled, true},
		{"one slash command", len(m.Features.SlashCommands), 1},
		// Slack refuses an app's DMs (messages_tab_disabled) unless its Messages tab is on.
		{"the App Home messages tab is on", m.MessagesTab, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !equal(tc.got, tc.want) {
				t.Errorf("manifest has %v, want %v", tc.got, tc.want)
			}
		})
	}
	t.Run("the /incident command escapes mentions", func(t *testing.T) {
		for _, c := range m.Features.SlashCommands {
			if c.Command != "/incident" || !c.ShouldEscape {
				t.Errorf("slash command %q should_escape=%v, want /incident with should_escape: true (mentions must arrive as <@U…>)", c.Command, c.ShouldEscape)
			}
		}
	})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// handledEvents lists, sorted, the event types the bot's onEvent switches on.
func handledEvents(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, filepath.Join(repoRoot, "bot", "events.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(file, func(n ast.Node) bool {
		fn, ok := n.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "onEvent" {
			return true
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			sw, ok := n.(*ast.SwitchStmt)
			if !ok {
				return true
			}
			if sel, ok := sw.Tag.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Type" {
				return true
			}
			for _, c := range sw.Body.List {
				for _, e := range c.(*ast.CaseClause).List {
					if lit, ok := e.(*ast.BasicLit); ok {
						out = append(out, strings.Trim(lit.Value, `"`))
					}
				}
			}
			return false
		})
		return false
	})
	if len(out) == 0 {
		t.Fatal("found no event types in bot.onEvent: the scan no longer recognises it")
	}
	return sorted(out)
}

// TestManifestScopesAreWhatTheCallsNeed: the manifest asks for exactly the scopes that the
// Web API methods Firebreak calls and the events it subscribes to require, per Slack's
// reference (the fake's MethodScopes and EventScopes tables), plus commands for /incident.
func TestManifestScopesAreWhatTheCallsNeed(t *testing.T) {
	t.Parallel()
	m := readManifest(t)
	need := map[string]string{"commands": "the /incident command"}
	for name, pos := range botCalls(t) {
		method, ok := webAPI[strings.TrimSuffix(name, "Context")]
		if !ok {
			t.Errorf("%s: api.%s is not in this test's webAPI table: add its Web API method there", pos, name)
			continue
		}
		scope, ok := slackfake.MethodScopes[method]
		if !ok {
			t.Errorf("%s: %s has no row in slackfake.MethodScopes: add the scope its reference page names", pos, method)
			continue
		}
		if scope != "" {
			need[scope] = method
		}
		// Private incidents have private channels: the methods acting on
		// channels need the private channel's scope as well.
		if scope, ok := slackfake.PrivateChannelScopes[method]; ok {
			need[scope] = method + " on a private channel"
		}
	}
	for _, ev := range m.BotEvents {
		scope, ok := slackfake.EventScopes[ev]
		if !ok {
			t.Errorf("event %s has no row in slackfake.EventScopes", ev)
		}
		if scope != "" {
			need[scope] = ev
		}
		if scope, ok := slackfake.PrivateEventScopes[ev]; ok {
			need[scope] = ev + " from a private channel"
		}
	}
	var want []string
	for s := range need {
		want = append(want, s)
	}
	if got := sorted(m.Scopes); !slices.Equal(got, sorted(want)) {
		t.Errorf("manifest scopes %v, the calls and events need %v (%v)", got, sorted(want), need)
	}
}

func botCalls(t *testing.T) map[string]string {
	t.Helper()
	calls := map[string]string{}
	for _, dir := range []string{filepath.Join(repoRoot, "bot"), ".", filepath.Join(repoRoot, "cmd", "firebreak")} {
		for name, pos := range apiCalls(t, dir) {
			calls[name] = pos
		}
	}
	return calls
}

func equal(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok && bok {
		return slices.Equal(as, bs)
	}
	return a == b
}

// webAPI maps slack-go client methods (without their Context suffix) to the
// Web API method they call. A call to a method missing here fails
// TestEveryCallHasItsScope: add it, with its Web API name (slackfake.MethodScopes gives
// its scope, which the manifest must then ask for).
var webAPI = map[string]string{
	"AuthTest":                       "auth.test",
	"PostMessage":                    "chat.postMessage",
	"SendMessage":                    "chat.postMessage",
	"UpdateMessage":                  "chat.update",
	"PostEphemeral":                  "chat.postEphemeral",
	"DeleteMessage":                  "chat.delete",
	"GetPermalink":                   "chat.getPermalink",
	"CreateConversation":             "conversations.create",
	"InviteUsersToConversation":      "conversations.invite",
	"ForceInviteUsersToConversation": "conversations.invite",
	"GetConversationsForUser":        "users.conversations",
	"StartSocketMode":                "apps.connections.open",
	"SetTopicOfConversation":         "conversations.setTopic",
	"SetPurposeOfConversation":       "conversations.setPurpose",
	"JoinConversation":               "conversations.join",
	"GetConversationHistory":         "conversations.history",
	"GetConversationReplies":         "conversations.replies",
	"GetConversations":               "conversations.list",
	"GetConversationInfo":            "conversations.info",
	"GetUsersInConversation":         "conversations.members",
	"ArchiveConversation":            "conversations.archive",
	"RenameConversation":             "conversations.rename",
	"OpenConversation":               "conversations.open",
	"AddPin":                         "pins.add",
	"RemovePin":                      "pins.remove",
	"ListPins":                       "pins.list",
	"AddReaction":                    "reactions.add",
	"AddBookmark":                    "bookmarks.add",
	"ListBookmarks":                  "bookmarks.list",
	"GetUserInfo":                    "users.info",
	"GetUsers":                       "users.list",
	"GetTeamInfo":                    "team.info",
	"OpenView":                       "views.open",
	"UpdateView":                     "views.update",
	"PushView":                       "views.push",
	"PublishView":                    "views.publish",
}

// apiCalls finds every call of the form api.X(…), b.api.X(…), e.b.api.X(…)
// in the non-test Go files of dir, keyed by X, with a position for errors.
func apiCalls(t *testing.T, dir string) map[string]string {
	t.Helper()
	fset, files := gosrc.Files(t, dir)
	calls := map[string]string{}
	for _, file := range files {
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			recv := ""
			switch x := sel.X.(type) {
			case *ast.Ident:
				recv = x.Name
			case *ast.SelectorExpr:
				recv = x.Sel.Name
			}
			if recv == "api" {
				calls[sel.Sel.Name] = fset.Position(call.Pos()).String()
			}
			return true
		})
	}
	return calls
}

func TestEveryCallHasItsScope(t *testing.T) {
	t.Parallel()
	calls := botCalls(t)
	// The bot posts, updates the card and opens channels: a scan that
	// finds none of these has stopped seeing the calls.
	for _, want := range []string{"PostMessageContext", "UpdateMessageContext", "CreateConversationContext"} {
		if _, ok := calls[want]; !ok {
			t.Fatalf("the scan found no call to %s among %v: it no longer recognises the bot's Slack client", want, calls)
		}
	}
	for name, pos := range calls {
		method, ok := webAPI[strings.TrimSuffix(name, "Context")]
		if !ok {
			t.Errorf("%s: api.%s is not in this test's webAPI table: add its Web API method there", pos, name)
			continue
		}
		if _, ok := slackfake.MethodScopes[method]; !ok {
			t.Errorf("%s: api.%s calls %s, which slackfake.MethodScopes does not list: add it with the scope its reference page names, and the scope to slack-app-manifest.yaml", pos, name, method)
		}
	}
}

// TestScanFindsCalls keeps the scan honest: it must see calls through any
// receiver chain ending in api, and ignore the same names elsewhere.
func TestScanFindsCalls(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := `package x
func f() {
	b.api.PostMessageContext(ctx, "C")
	e.b.api.FrobnicateContext(ctx)
	api.AddPin("C", ref)
	b.other.UpdateMessage("C")
}
`
	if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x_test.go"), []byte("package x\nfunc g() { b.api.OpenViewContext() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := apiCalls(t, dir)
	var names []string
	for n := range got {
		names = append(names, n)
	}
	want := []string{"AddPin", "FrobnicateContext", "PostMessageContext"}
	if !slices.Equal(sorted(names), want) {
		t.Errorf("scan found %v, want %v", sorted(names), want)
	}
	if _, ok := webAPI["Frobnicate"]; ok {
		t.Error("the table knows a made-up method")
	}
}
