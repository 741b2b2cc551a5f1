package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/playbooks"
	"github.com/firebreak-hq/firebreak/postmortem"
	"github.com/firebreak-hq/firebreak/store"
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
		if err != nil {
			report(false, "slack bot token", "auth.test failed: "+err.Error()+" — reinstall the app and copy the xoxb- token")
		} else {
			report(true, "slack bot token", "authenticated as "+auth.User+" in "+auth.Team)
			missing, known := app.MissingScopesAt(cfg.SlackAPIURL, cfg.BotToken)
			switch {
			case !known:
				report(true, "slack scopes", "Slack did not report the token's scopes, so they could not be checked; compare the app's OAuth scopes with slack-app-manifest.yaml")
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
		if err != nil {
			report(false, "slack app token", "apps.connections.open failed: "+err.Error()+" — enable Socket Mode and create an app-level token with connections:write")
		} else {
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
		if err != nil {
			report(false, "github", err.Error())
		} else {
			report(true, "github", "repository "+cfg.GitHubRepo+" reachable, labels ready")
		}
	}
	report(dbWritable(cfg.DBPath))
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
	if _, err := os.Stat(path); err == nil {
		d, err := store.Open(path, store.Options{Timeout: time.Second})
		if err != nil {
			if conn, cerr := os.Stat(socketPath(path)); cerr == nil && conn != nil {
				return true, "database", path + " is in use by a running firebreak (its lock is held)"
			}
			return false, "database", err.Error()
		}
		defer d.Close()
		st, err := d.Stats()
		if err != nil {
			return false, "database", err.Error()
		}
		return true, "database", fmt.Sprintf("%s opens (schema %d, %d incidents)", path, st.Schema, st.Incidents)
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
