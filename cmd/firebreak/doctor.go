package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/playbooks"
	"github.com/firebreak-hq/firebreak/postmortem"
	"github.com/firebreak-hq/firebreak/store"
	"github.com/firebreak-hq/firebreak/store/pgstore"
)

// cmdDoctor prints one line per check with the fix, and fails if any fails.
func cmdDoctor(ctx context.Context, w io.Writer, getenv func(string) string) error {
	failed := 0
	report := func(ok bool, what, detail string) {
		mark := "ok  "
		if !ok {
			mark = "FAIL"
			failed++
		}
		fmt.Fprintf(w, "%s %-22s %s\n", mark, what, detail)
	}
	// notChecked is for a check that could not be made: neither ok nor a
	// failure of the setup.
	notChecked := func(what, why string) {
		fmt.Fprintf(w, "%s %-22s not checked: %s\n", "--  ", what, why)
	}
	// reached reports a failed call to a service (unreachable, with the
	// hint, or refused, with before+error+after) and is true when err is nil.
	reached := func(what string, err error, service, variable, base, before, after string) bool {
		if hint, unreachable := unreachableHint(err, service, variable, base); unreachable {
			report(false, what, hint)
			return false
		}
		if err != nil {
			report(false, what, before+err.Error()+after)
			return false
		}
		return true
	}
	cfg, err := app.FromEnv(getenv)
	if err != nil {
		report(false, "configuration", err.Error())
		return exitError(1)
	}
	report(true, "configuration", "environment parsed")
	if err := cfg.RequireTokens(); err != nil {
		report(false, "slack tokens", err.Error())
	} else {
		api := slack.New(cfg.BotToken, slack.OptionAPIURL(cfg.SlackAPIURL), slack.OptionAppLevelToken(cfg.AppToken))
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		auth, err := api.AuthTestContext(cctx)
		cancel()
		if reached("slack bot token", err, "Slack", "SLACK_API_URL", cfg.SlackAPIURL, "auth.test failed: ", " — reinstall the app and copy the xoxb- token") {
			report(true, "slack bot token", "authenticated as "+auth.User+" in "+auth.Team)
			missing, known := app.MissingScopesAt(cfg.SlackAPIURL, cfg.BotToken)
			switch {
			case !known:
				notChecked("slack scopes", "Slack did not report the token's scopes; compare the app's OAuth scopes with slack-app-manifest.yaml")
			case len(missing) > 0:
				report(false, "slack scopes", fmt.Sprintf("the bot token lacks %s — add them under OAuth & Permissions → Bot Token Scopes (or recreate the app from slack-app-manifest.yaml), reinstall the app and use the new xoxb- token", strings.Join(missing, ", ")))
			default:
				report(true, "slack scopes", "the token has every scope slack-app-manifest.yaml asks for")
			}
			report(announceCheck(ctx, api, cfg.AnnounceChannel))
		}
		cctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		_, _, err = api.StartSocketModeContext(cctx)
		cancel()
		if reached("slack app token", err, "Slack", "SLACK_API_URL", cfg.SlackAPIURL, "apps.connections.open failed: ", " — enable Socket Mode and create an app-level token with connections:write") {
			report(true, "slack app token", "Socket Mode connection can be opened")
		}
	}
	if cfg.GitHubRepo == "" {
		report(true, "github", "not configured: postmortems go to "+cfg.PostmortemDir)
	} else {
		gh, err := postmortem.NewGitHub(postmortem.GitHubConfig{Token: cfg.GitHubToken, Repo: cfg.GitHubRepo, BaseURL: cfg.GitHubAPIURL, Location: cfg.Location})
		if err == nil {
			cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			err = gh.Check(cctx)
			cancel()
		}
		if reached("github", err, "GitHub", "GITHUB_API_URL", cfg.GitHubAPIURL, "", "") {
			report(true, "github", "repository "+cfg.GitHubRepo+" reachable, labels ready")
		}
	}
	if ok, what, detail := dbWritable(cfg.DBPath); ok && strings.HasPrefix(detail, inUse) {
		notChecked(what, detail)
	} else {
		report(ok, what, detail)
	}
	if errs := playbooks.Check(cfg.PlaybooksDir); len(errs) > 0 {
		report(false, "playbooks", fmt.Sprintf("%d problem(s), first: %v — run `firebreak playbooks check %s`", len(errs), errs[0], cfg.PlaybooksDir))
	} else {
		report(true, "playbooks", "valid")
	}
	if failed > 0 {
		return exitError(1)
	}
	return nil
}

const inUse = "in use: "

// unreachableHint explains an error that is a failure to reach service
// (DNS, refused or reset connection, timeout, TLS) rather than an answer
// from it: the credentials were not checked, and the place to look is the
// network or the URL variable.
func unreachableHint(err error, service, variable, base string) (string, bool) {
	var ue *url.Error
	var ne net.Error
	if err == nil || (!errors.As(err, &ue) && !errors.As(err, &ne)) {
		return "", false
	}
	return fmt.Sprintf("could not reach %s at %s (%v) — check the network, proxy settings and %s; the token was not checked",
		service, base, innermost(err), variable), true
}

// innermost is the root cause of a chain of wrapped errors.
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// announceCheck makes sure the bot can post in the announce channel: it exists, is not
// archived, and the bot is in it (joining a public channel now, as the bot would at start).
func announceCheck(ctx context.Context, api *slack.Client, id string) (bool, string, string) {
	const what = "announce channel"
	if id == "" {
		return true, what, "FIREBREAK_ANNOUNCE_CHANNEL not set: declarations, updates and closures are not announced"
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ch, err := api.GetConversationInfoContext(cctx, &slack.GetConversationInfoInput{ChannelID: id})
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && se.Err == "channel_not_found" {
			return false, what, id + " was not found: check FIREBREAK_ANNOUNCE_CHANNEL (channel details → the ID at the bottom); if it is a private channel, invite @firebreak to it first"
		}
		return false, what, "conversations.info " + id + " failed: " + err.Error()
	}
	name := "#" + ch.Name + " (" + id + ")"
	switch {
	case ch.IsArchived:
		return false, what, name + " is archived: unarchive it or set FIREBREAK_ANNOUNCE_CHANNEL to another channel"
	case ch.IsMember:
		return true, what, "the bot can post in " + name
	case ch.IsPrivate:
		return false, what, name + " is private and the bot is not in it: invite @firebreak there"
	}
	if _, _, _, err := api.JoinConversationContext(cctx, id); err != nil {
		return false, what, "the bot is not in " + name + " and could not join it (" + err.Error() + "): invite @firebreak there, or grant channels:join"
	}
	return true, what, "the bot joined " + name + " and can post there"
}

func dbWritable(path string) (bool, string, string) {
	if pgstore.IsURL(path) {
		return pgDoctor(path)
	}
	if _, err := os.Stat(path); err == nil {
		// Read-only: doctor neither migrates nor changes the file.
		rep, err := store.Verify(path)
		if errors.Is(err, store.ErrLocked) {
			if conn, cerr := os.Stat(socketPath(path)); cerr == nil && conn != nil {
				return true, "database", inUse + path + " (a running firebreak holds its lock)"
			}
		}
		if err != nil {
			return false, "database", err.Error()
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return false, "database", fmt.Sprintf("%s verifies but cannot be written: %v", path, err)
		}
		_ = f.Close()
		detail := fmt.Sprintf("%s verifies (schema %d, %d incidents)", path, rep.Schema, rep.Incidents)
		if rep.Schema < store.SchemaVersion {
			detail = fmt.Sprintf("%s verifies (schema %d, %d incidents; `firebreak run` migrates it to schema %d)", path, rep.Schema, rep.Incidents, store.SchemaVersion)
		}
		return true, "database", detail
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".firebreak-doctor-*")
	if err != nil {
		return false, "database", "cannot create files in " + dir + ": " + err.Error()
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return true, "database", path + " will be created in " + dir
}

// pgDoctor checks a PostgreSQL database without changing it: the server
// answers and is new enough, the schema is known, the invariants hold.
func pgDoctor(dsn string) (bool, string, string) {
	where := pgstore.Redact(dsn)
	rep, err := pgstore.Inspect(dsn)
	switch {
	case err != nil:
		return false, "database", err.Error() + " — check FIREBREAK_DB and that the server accepts this user"
	case rep.Version == 0:
		return true, "database", fmt.Sprintf("%s (PostgreSQL %s) is empty; `firebreak run` creates the schema", where, rep.Server)
	case rep.Version > pgstore.SchemaVersion:
		return false, "database", fmt.Sprintf("%s has schema %d, newer than this binary's %d: run the newer firebreak", where, rep.Version, pgstore.SchemaVersion)
	case rep.Version < pgstore.SchemaVersion:
		return true, "database", fmt.Sprintf("%s (PostgreSQL %s) has schema %d; `firebreak run` migrates it to %d", where, rep.Server, rep.Version, pgstore.SchemaVersion)
	case rep.Check != nil:
		return false, "database", fmt.Sprintf("%s: %v — restore from a backup (docs/POSTGRESQL.md)", where, rep.Check)
	}
	return true, "database", fmt.Sprintf("%s (PostgreSQL %s) checks out (schema %d, %d incidents, %d open, %d pending effects)",
		where, rep.Server, rep.Version, rep.Stats.Incidents, rep.Stats.Open, rep.Stats.Outbox)
}
