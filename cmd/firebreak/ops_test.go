package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/internal/testwait"
	"github.com/firebreak-hq/firebreak/store"
)

func TestBackupVerifyRestoreCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "firebreak.db")
	backup := filepath.Join(dir, "backups", "fb.db")
	if err := os.MkdirAll(filepath.Dir(backup), 0o700); err != nil {
		t.Fatal(err)
	}
	seedDB(t, db, 2)
	env := map[string]string{"FIREBREAK_DB": db}

	// With no bot running, backup opens the file itself.
	code, out, errOut := cli(t, env, "backup", "--out", backup)
	if code != 0 || !strings.Contains(out, "2 incidents") {
		t.Fatalf("backup: exit %d, %q %q", code, out, errOut)
	}
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi.Mode(), err)
	}
	code, out, _ = cli(t, nil, "verify-backup", backup)
	if code != 0 || out != "ok: schema 5, 2 incidents, 4 events, 12 pending effects, 2 Slack records\n" {
		t.Fatalf("verify-backup: exit %d, %q", code, out)
	}

	damaged := filepath.Join(dir, "damaged.db")
	pointOutside(t, backup, damaged)
	empty := filepath.Join(dir, "empty.db")
	_ = os.WriteFile(empty, nil, 0o600)
	notDB := filepath.Join(dir, "notes.txt")
	_ = os.WriteFile(notDB, bytes.Repeat([]byte("not a database\n"), 2000), 0o600)
	bad := []struct{ name, file, want string }{
		{"damaged pages", damaged, "corrupt"},
		{"empty file", empty, "empty"},
		{"not a database", notDB, "verify"},
		{"missing", filepath.Join(dir, "nope.db"), "no such file"},
	}
	for _, tc := range bad {
		t.Run("verify rejects "+tc.name, func(t *testing.T) {
			code, out, errOut := cli(t, nil, "verify-backup", tc.file)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want non-zero naming %q", code, out, errOut, tc.want)
			}
		})
		t.Run("restore refuses "+tc.name, func(t *testing.T) {
			before, _ := os.ReadFile(db)
			if code, _, errOut := cli(t, nil, "restore", "--from", tc.file, "--db", db, "--force"); code == 0 {
				t.Fatalf("restored from a %s backup: %q", tc.name, errOut)
			}
			if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
				t.Fatal("a refused restore changed the database")
			}
		})
	}

	// The live database moves on; restoring the older backup is refused
	// without --force and names the way out.
	seedDB(t, db, 1)
	code, _, errOut = cli(t, nil, "restore", "--from", backup, "--db", db)
	if code == 0 || !strings.Contains(errOut, "newer") || !strings.Contains(errOut, "--force") {
		t.Fatalf("restore over a newer DB: exit %d, %q", code, errOut)
	}
	// A running process holds the file: refused too.
	live, err := store.Open(db, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut = cli(t, nil, "restore", "--from", backup, "--db", db)
	_ = live.Close()
	if code == 0 || !strings.Contains(errOut, "in use") {
		t.Fatalf("restore over a live DB: exit %d, %q", code, errOut)
	}
	code, out, errOut = cli(t, nil, "restore", "--from", backup, "--db", db, "--force")
	if code != 0 || !strings.Contains(out, "restored") {
		t.Fatalf("forced restore: exit %d, %q %q", code, out, errOut)
	}

	// The restored database serves: numbering continues after the backup's.
	d, err := store.Open(db, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if n := declare(t, d, "after restore", time.Now()); n != 3 {
		t.Fatalf("after restore the next incident is %d, want 3", n)
	}

	usage := []struct {
		name string
		args []string
		want string
	}{
		{"backup without --out", []string{"backup", "--db", db}, "--out"},
		{"restore without --db", []string{"restore", "--from", backup}, "--db"},
		{"verify without a file", []string{"verify-backup"}, "usage"},
	}
	for _, tc := range usage {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, errOut := cli(t, nil, tc.args...); code == 0 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, %q", code, errOut)
			}
		})
	}
}

// TestDamagedFileIsACleanError: verify-backup, restore and postmortem
// preview on a file whose page points outside it report the damage and
// exit 1; before, the process died of SIGSEGV or SIGBUS.
func TestDamagedFileIsACleanError(t *testing.T) {
	dir, _, backup := backedUp(t, 3)
	bad := filepath.Join(dir, "damaged.db")
	pages := pointOutside(t, backup, bad)
	const damage = "key or value outside the page: database is corrupt or not a firebreak database"
	cases := []struct {
		args []string
		want string // %d is the damaged page
	}{
		{[]string{"verify-backup", bad}, "firebreak: verify " + bad + ": page %d element 0: " + damage + "\n"},
		{[]string{"restore", "--from", bad, "--db", filepath.Join(dir, "restored.db")},
			"firebreak: restore: backup " + bad + " is not usable: verify " + bad + ": page %d element 0: " + damage + "\n"},
		{[]string{"postmortem", "preview", "INC-1", "--db", bad},
			"firebreak: database " + bad + " is damaged: page %d element 0: " + damage + "; restore it from a backup\n"},
	}
	for _, tc := range cases {
		t.Run(tc.args[0], func(t *testing.T) {
			code, out, errOut := cli(t, nil, tc.args...)
			matched := false
			for _, p := range pages {
				matched = matched || errOut == fmt.Sprintf(tc.want, p)
			}
			if code != 1 || out != "" || !matched {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1 and %q with a page of %v", code, out, errOut, tc.want, pages)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "restored.db")); !os.IsNotExist(err) {
		t.Fatalf("a refused restore created the database: %v", err)
	}
}

// TestOnlineBackupThroughSocket takes a backup while the running process
// holds the database's lock: the CLI asks it through the socket.
func TestOnlineBackupThroughSocket(t *testing.T) {
	dir, db := seededDir(t, 3)
	_, stop := runningApp(t, db)
	fi, err := os.Stat(socketPath(db))
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup socket: %v %v", fi, err)
	}
	if _, err := store.Open(db, store.Options{Timeout: 100 * time.Millisecond}); err == nil {
		t.Fatal("the database should be locked by the running app")
	}

	// A relative --out is resolved by the CLI, not by the bot's directory.
	wd, _ := os.Getwd()
	t.Cleanup(func() { _ = os.Chdir(wd) })
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, nil, "backup", "--db", db, "--out", "online.db")
	if code != 0 || !strings.Contains(out, "written by the running bot") || !strings.Contains(out, "3 incidents") {
		t.Fatalf("online backup: exit %d, %q %q", code, out, errOut)
	}
	rep, err := store.Verify(filepath.Join(dir, "online.db"))
	if err != nil || rep.Incidents != 3 {
		t.Fatalf("online backup verifies as %+v, %v", rep, err)
	}
	// The bot reports its failures to the CLI.
	code, _, errOut = cli(t, nil, "backup", "--db", db, "--out", filepath.Join(dir, "missing-dir", "x.db"))
	if code == 0 || !strings.Contains(errOut, "missing-dir") {
		t.Fatalf("backup into a missing directory: exit %d, %q", code, errOut)
	}

	stop()
	if _, err := os.Stat(socketPath(db)); !os.IsNotExist(err) {
		t.Fatalf("socket left behind after stop: %v", err)
	}
}

func TestScheduledBackupKeepsNewest(t *testing.T) {
	dir, db := seededDir(t, 1)
	a := newApp(t, map[string]string{"FIREBREAK_DB": db})
	bdir := filepath.Join(dir, "backups")
	base := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	var files []string
	for i := range 4 {
		f, err := scheduledBackup(a, bdir, 2, base.Add(time.Duration(i)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	left, _ := filepath.Glob(filepath.Join(bdir, "*"))
	if strings.Join(left, ",") != strings.Join(files[2:], ",") {
		t.Fatalf("kept %v, want the newest two %v", left, files[2:])
	}
	for _, f := range left {
		if _, err := store.Verify(f); err != nil {
			t.Fatal(err)
		}
	}
	blocker := filepath.Join(dir, "a-file")
	_ = os.WriteFile(blocker, nil, 0o600)
	if _, err := scheduledBackup(a, filepath.Join(blocker, "backups"), 2, base); err == nil {
		t.Fatal("a backup into an impossible directory succeeded")
	}
}

// TestScheduledBackupsOnCron runs the cron for real: backups appear and
// verify, and a failing one is announced in the announce channel.
func TestScheduledBackupsOnCron(t *testing.T) {
	fs := fakeSlack(t)
	announce, err := fs.CreateChannel(slackfake.Alice, "incidents", false, slackfake.BotUserID)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	blocker := filepath.Join(dir, "a-file")
	_ = os.WriteFile(blocker, nil, 0o600)
	cases := []struct {
		name      string
		backupDir string
		wantOK    bool
	}{
		{name: "writes verified backups", backupDir: filepath.Join(dir, "backups"), wantOK: true},
		{name: "announces a failure", backupDir: filepath.Join(blocker, "backups")},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(dir, fmt.Sprintf("fb%d.db", i))
			seedDB(t, db, 1)
			_, stop := runningAppWith(t, map[string]string{
				"FIREBREAK_DB": db, "SLACK_API_URL": fs.APIURL(), "SLACK_BOT_TOKEN": fs.BotToken(), "SLACK_APP_TOKEN": fs.AppToken(),
				"FIREBREAK_ANNOUNCE_CHANNEL": announce, "FIREBREAK_BACKUP_DIR": tc.backupDir,
				"FIREBREAK_BACKUP_CRON": "@every 1s", "FIREBREAK_BACKUP_KEEP": "2",
			})
			defer stop()
			if !tc.wantOK {
				testwait.Until(t, 15*time.Second, "the announced backup failure", func() bool {
					for _, m := range fs.Messages(announce) {
						if strings.Contains(m.Text, "scheduled backup failed") && strings.Contains(m.Text, "FIREBREAK_BACKUP_DIR") {
							return true
						}
					}
					return false
				})
				return
			}
			var files []string
			testwait.Until(t, 15*time.Second, "the scheduled backup", func() bool {
				files, _ = filepath.Glob(filepath.Join(tc.backupDir, "firebreak-*.db"))
				return len(files) > 0
			})
			if _, err := store.Verify(files[0]); err != nil {
				t.Fatal(err)
			}
		})
	}
}
