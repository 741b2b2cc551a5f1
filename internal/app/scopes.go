package app

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	firebreak "github.com/firebreak-hq/firebreak"
)

// RequiredScopes is every bot scope slack-app-manifest.yaml asks for, sorted: exactly the
// scopes Firebreak's Web API calls and subscribed events need (a test keeps the manifest in
// step with the code).
func RequiredScopes() []string {
	var m struct {
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
	}
	if err := yaml.Unmarshal(firebreak.Manifest, &m); err != nil {
		panic(fmt.Sprintf("the embedded slack-app-manifest.yaml does not parse: %v", err))
	}
	out := append([]string(nil), m.OAuth.Scopes.Bot...)
	sort.Strings(out)
	return out
}

// MissingScopesAt asks Slack which scopes the bot token has (every Web API answer lists them
// in X-OAuth-Scopes, https://api.slack.com/authentication/oauth-v2#scopes) and returns the
// manifest's scopes that are absent; known is false when Slack did not say.
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
