package app

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// Config is everything the environment can set (see CONTRACT.md).
type Config struct {
	AppToken, BotToken string
	SlackAPIURL        string
	DBPath             string
	AnnounceChannel    string
	Responders         []string
	PlaybooksDir       string
	PostmortemDir      string
	GitHubToken        string
	GitHubRepo         string
	// GitHubPrivateRepo is where private incidents' postmortems are filed
	// (with GITHUB_TOKEN); without it they are only written to
	// PostmortemDir.
	GitHubPrivateRepo string
	GitHubAPIURL      string
	HTTPAddr          string
	// HTTPToken, when set, is the bearer token /metrics requires.
	HTTPToken string
	// FreezeDetails shows titles, status and channels on /freeze;
	// without it /freeze gives incident numbers and severities only.
	FreezeDetails   bool
	Location        *time.Location
	UpdateReminders map[incident.Severity]time.Duration
	VerifyWindow    time.Duration
	BackupDir       string
	BackupCron      string
	BackupKeep      int
	DigestCron      string
	Alerts          AlertConfig

	// ClaimLease is how long a PostgreSQL process's claim on pending
	// effects outlives it (FIREBREAK_CLAIM_LEASE).
	ClaimLease time.Duration

	// NoSync trades durability for speed; only the throwaway demo uses it.
	NoSync bool
	// ReminderEvery is how often reminders are checked (≤ 10 s).
	ReminderEvery time.Duration
}

// Defaults mirror CONTRACT.md.
const (
	DefaultSlackAPIURL  = "https://slack.com/api/"
	DefaultGitHubAPIURL = "https://api.github.com/"
	DefaultHTTPAddr     = "127.0.0.1:9090"
)

var (
	userID    = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
	channelID = regexp.MustCompile(`^[CGD][A-Z0-9]{2,20}$`)
	repoName  = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
)

// FromEnv reads the configuration. Every malformed value is reported in
// one line naming the variable; tokens are never echoed.
func FromEnv(getenv func(string) string) (Config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		AppToken:          get("SLACK_APP_TOKEN", ""),
		BotToken:          get("SLACK_BOT_TOKEN", ""),
		SlackAPIURL:       get("SLACK_API_URL", DefaultSlackAPIURL),
		DBPath:            get("FIREBREAK_DB", "firebreak.db"),
		AnnounceChannel:   get("FIREBREAK_ANNOUNCE_CHANNEL", ""),
		PlaybooksDir:      get("FIREBREAK_PLAYBOOKS", ""),
		PostmortemDir:     get("FIREBREAK_POSTMORTEM_DIR", "postmortems"),
		GitHubToken:       get("GITHUB_TOKEN", ""),
		GitHubRepo:        get("GITHUB_REPO", ""),
		GitHubPrivateRepo: get("GITHUB_PRIVATE_REPO", ""),
		GitHubAPIURL:      get("GITHUB_API_URL", DefaultGitHubAPIURL),
		HTTPAddr:          get("FIREBREAK_HTTP_ADDR", DefaultHTTPAddr),
		HTTPToken:         get("FIREBREAK_HTTP_TOKEN", ""),
		BackupDir:         get("FIREBREAK_BACKUP_DIR", ""),
		BackupCron:        get("FIREBREAK_BACKUP_CRON", "0 * * * *"),
		DigestCron:        get("FIREBREAK_DIGEST_CRON", "0 9 * * 1-5"),
	}
	for _, u := range []struct{ name, value, example string }{
		{"SLACK_API_URL", c.SlackAPIURL, DefaultSlackAPIURL},
		{"GITHUB_API_URL", c.GitHubAPIURL, DefaultGitHubAPIURL},
	} {
		if p, err := url.Parse(u.value); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.RawQuery != "" || p.Fragment != "" {
			return c, fmt.Errorf("%s must be an http(s) URL such as %s, not %q", u.name, u.example, u.value)
		}
	}
	if !strings.HasSuffix(c.SlackAPIURL, "/") {
		c.SlackAPIURL += "/"
	}
	if !strings.HasSuffix(c.GitHubAPIURL, "/") {
		c.GitHubAPIURL += "/"
	}
	if c.AnnounceChannel != "" && !channelID.MatchString(c.AnnounceChannel) {
		return c, fmt.Errorf("FIREBREAK_ANNOUNCE_CHANNEL must be a channel ID like C0123456789, not %q", c.AnnounceChannel)
	}
	for _, u := range strings.Split(get("FIREBREAK_RESPONDERS", ""), ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if !userID.MatchString(u) {
			return c, fmt.Errorf("FIREBREAK_RESPONDERS must be comma-separated user IDs like U0123ABCD; %q is not one", u)
		}
		c.Responders = append(c.Responders, u)
	}
	if (c.GitHubToken == "") != (c.GitHubRepo == "") {
		return c, fmt.Errorf("GITHUB_TOKEN and GITHUB_REPO go together: set both to file postmortems as issues, or neither to write them to FIREBREAK_POSTMORTEM_DIR")
	}
	if c.GitHubPrivateRepo != "" && c.GitHubToken == "" {
		return c, fmt.Errorf("GITHUB_PRIVATE_REPO needs GITHUB_TOKEN: set it to file private incidents' postmortems there, or leave GITHUB_PRIVATE_REPO unset to keep them in FIREBREAK_POSTMORTEM_DIR only")
	}
	if c.GitHubPrivateRepo != "" && !validRepo(c.GitHubPrivateRepo) {
		return c, fmt.Errorf("GITHUB_PRIVATE_REPO must be owner/name (letters, digits, '-', '_' and '.', neither part \".\" nor \"..\"), not %q", c.GitHubPrivateRepo)
	}
	if c.GitHubRepo != "" && !validRepo(c.GitHubRepo) {
		return c, fmt.Errorf("GITHUB_REPO must be owner/name (letters, digits, '-', '_' and '.', neither part \".\" nor \"..\"), not %q", c.GitHubRepo)
	}
	switch v := get("FIREBREAK_FREEZE_DETAILS", "false"); v {
	case "true":
		c.FreezeDetails = true
	case "false":
	default:
		return c, fmt.Errorf("FIREBREAK_FREEZE_DETAILS must be true or false, not %q", v)
	}
	if len(c.HTTPToken) > 0 && len(c.HTTPToken) < 16 {
		return c, fmt.Errorf("FIREBREAK_HTTP_TOKEN must be at least 16 characters (for example the output of `openssl rand -hex 32`)")
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return c, fmt.Errorf("FIREBREAK_HTTP_ADDR must be host:port, not %q", c.HTTPAddr)
	}
	loc, err := time.LoadLocation(get("FIREBREAK_TIMEZONE", "UTC"))
	if err != nil {
		return c, fmt.Errorf("FIREBREAK_TIMEZONE must be an IANA zone like Europe/Berlin: %v", err)
	}
	c.Location = loc
	c.UpdateReminders, err = incident.ParseUpdateReminders(get("FIREBREAK_UPDATE_REMINDERS", "sev1=15m,sev2=30m,sev3=1h,sev4=2h"))
	if err != nil {
		return c, fmt.Errorf("FIREBREAK_UPDATE_REMINDERS: %s", templates.ErrorText(err))
	}
	c.VerifyWindow, err = time.ParseDuration(get("FIREBREAK_VERIFY_WINDOW", "30m"))
	if err != nil || c.VerifyWindow <= 0 {
		return c, fmt.Errorf("FIREBREAK_VERIFY_WINDOW must be a positive duration like 30m, not %q", get("FIREBREAK_VERIFY_WINDOW", ""))
	}
	if _, err := cron.ParseStandard(c.BackupCron); err != nil {
		return c, fmt.Errorf("FIREBREAK_BACKUP_CRON must be a cron expression like \"0 * * * *\": %v", err)
	}
	if _, err := cron.ParseStandard(c.DigestCron); err != nil {
		return c, fmt.Errorf("FIREBREAK_DIGEST_CRON must be a cron expression like \"0 9 * * 1-5\": %v", err)
	}
	c.ClaimLease, err = time.ParseDuration(get("FIREBREAK_CLAIM_LEASE", "30s"))
	if err != nil || c.ClaimLease < time.Second || c.ClaimLease > 10*time.Minute {
		return c, fmt.Errorf("FIREBREAK_CLAIM_LEASE must be a duration from 1s to 10m like 30s, not %q", get("FIREBREAK_CLAIM_LEASE", ""))
	}
	keep, err := strconv.Atoi(get("FIREBREAK_BACKUP_KEEP", "24"))
	if err != nil || keep < 1 {
		return c, fmt.Errorf("FIREBREAK_BACKUP_KEEP must be a whole number ≥ 1, not %q", get("FIREBREAK_BACKUP_KEEP", ""))
	}
	c.BackupKeep = keep
	if c.Alerts, err = alertsFromEnv(get); err != nil {
		return c, err
	}
	return c, nil
}

// validRepo reports whether s is a GitHub owner/name that stays one path
// segment each inside the API's /repos/ path: no "." or ".." parts, which
// an HTTP client would resolve out of it.
func validRepo(s string) bool {
	if !repoName.MatchString(s) {
		return false
	}
	owner, name, _ := strings.Cut(s, "/")
	for _, part := range []string{owner, name} {
		if part == "." || part == ".." || strings.Trim(part, ".") == "" {
			return false
		}
	}
	return true
}

// RequireTokens checks what `run` needs and says how to get it.
func (c Config) RequireTokens() error {
	const how = "create a Slack app from slack-app-manifest.yaml (see README), or try `firebreak demo`, which needs no accounts"
	switch {
	case c.AppToken == "":
		return fmt.Errorf("SLACK_APP_TOKEN is not set: it is the app-level token (xapp-…) from your Slack app's Basic Information → App-Level Tokens, with connections:write; %s", how)
	case !strings.HasPrefix(c.AppToken, "xapp-"):
		return fmt.Errorf("SLACK_APP_TOKEN must start with xapp- (an app-level token), and the one set does not")
	case c.BotToken == "":
		return fmt.Errorf("SLACK_BOT_TOKEN is not set: it is the bot token (xoxb-…) from OAuth & Permissions after installing the app; %s", how)
	case !strings.HasPrefix(c.BotToken, "xoxb-"):
		return fmt.Errorf("SLACK_BOT_TOKEN must start with xoxb- (a bot token), and the one set does not")
	}
	return nil
}
