package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/store"
)

func TestPostmortemPreview(t *testing.T) {
	db := filepath.Join(t.TempDir(), "fb.db")
	d, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	if _, err := d.Create(func(n uint64) (incident.Result, error) {
		return incident.Declare(n, incident.Declaration{Title: "Disk full on db-3", Declarer: slackfake.Alice}, now)
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []incident.Command{
		{Kind: incident.CmdNote, Actor: slackfake.Bob, Text: "WAL archiving stalled since 08:40"},
		{Kind: incident.CmdClose, Actor: slackfake.Alice, Force: true, Text: "space freed, archiving resumed"},
	} {
		if _, err := d.Apply(1, func(cur incident.Incident) (incident.Result, error) { return incident.Apply(cur, c, now) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	fs, err := slackfake.New()
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()

	code, out, stderr := runCLI(t, map[string]string{"SLACK_BOT_TOKEN": fs.BotToken(), "SLACK_API_URL": fs.APIURL()},
		"postmortem", "preview", "INC-1", "--db", db)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(out, "# Postmortem: INC-1 Disk full on db-3") || !strings.Contains(out, "WAL archiving stalled") {
		t.Fatalf("preview:\n%.600s", out)
	}
	if !strings.Contains(out, "Alice") || !strings.Contains(out, "Bob") || strings.Contains(out, slackfake.Bob) {
		t.Fatalf("preview does not use display names:\n%.1500s", out)
	}

	code, out, stderr = runCLI(t, nil, "postmortem", "preview", "INC-1", "--db", db)
	if code != 0 || !strings.Contains(stderr, "SLACK_BOT_TOKEN") || !strings.Contains(out, "Disk full on db-3") {
		t.Fatalf("preview without a token: %d %q", code, stderr)
	}
	if code, _, stderr = runCLI(t, nil, "postmortem", "preview", "INC-9", "--db", db); code == 0 || !strings.Contains(stderr, "INC-9") {
		t.Fatalf("unknown incident: %d %q", code, stderr)
	}
}
