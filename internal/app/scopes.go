package app

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// MethodScopes maps every Slack Web API method Firebreak calls to the bot
// scope it needs ("" when none). slack-app-manifest.yaml must list each
// scope; a test keeps the two in step.
var MethodScopes = map[string]string{
	"auth.test":              "",
	"apps.connections.open":  "",
	"chat.postMessage":       "chat:write",
	"chat.update":            "chat:write",
	"chat.postEphemeral":     "chat:write",
	"conversations.create":   "channels:manage",
	"conversations.invite":   "channels:manage",
	"conversations.setTopic": "channels:manage",
	"conversations.archive":  "channels:manage",
	"conversations.join":     "channels:join",
	"conversations.history":  "channels:history",
	"conversations.list":     "channels:read",
	"conversations.members":  "channels:read",
	"response_url":           "",
	"pins.add":               "pins:write",
	"users.info":             "users:read",
	"views.open":             "",
}

// EventScopes are the scopes the subscribed events and the command need.
var EventScopes = []string{"commands", "reactions:read", "pins:read", "channels:history", "channels:read"}

// RequiredScopes is every bot scope, sorted.
func RequiredScopes() []string {
	set := map[string]bool{}
	for _, s := range MethodScopes {
		if s != "" {
			set[s] = true
		}
	}
	for _, s := range EventScopes {
		set[s] = true
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// MissingScopesAt asks Slack which scopes the bot token has (auth.test
// reports them in X-OAuth-Scopes) and returns the required ones absent;
// known is false when Slack did not say.
func MissingScopesAt(base, token string) (missing []string, known bool) {
	resp, err := (&http.Client{Timeout: 10 * time.Second}).PostForm(base+"auth.test", url.Values{"token": {token}})
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	granted := resp.Header.Get("X-OAuth-Scopes")
	if granted == "" {
		return nil, false
	}
	have := map[string]bool{}
	for _, s := range strings.Split(granted, ",") {
		have[strings.TrimSpace(s)] = true
	}
	for _, s := range RequiredScopes() {
		if !have[s] {
			missing = append(missing, s)
		}
	}
	return missing, true
}
