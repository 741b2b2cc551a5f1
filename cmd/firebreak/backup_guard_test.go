package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/internal/logbuf"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/store"
)

// sameInode fails the test unless path is still the file fi described.
func sameInode(t *testing.T, path string, fi os.FileInfo) {
	t.Helper()
	now, err := os.Stat(path)
	if err != nil || !os.SameFile(now, fi) {
		t.Fatalf("%s was replaced (%v)", path, err)
	}
}

// TestBackupRefusesTheDatabaseItself: a backup whose output is the
// database (by name or through links), a directory or the backup socket
// is refused, offline and while the bot runs, and the database is left
// as it was.
func TestBackupRefusesTheDatabaseItself(t *testing.T) {
	dir, db := seededDir(t, 2)
	hard := filepath.Join(dir, "hard.db")
	if err := os.Link(db, hard); err != nil {
		t.Fatal(err)
	}
	sym := filepath.Join(dir, "sym.db")
	if err := os.Symlink(db, sym); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "backups")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	orig, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	itself := func(p string) string {
		return "firebreak: backup: " + p + " is the database itself; write the backup to another file\n"
	}
	cases := []struct{ name, out, want string }{
		{"same name", db, itself(db)},
		{"hard link", hard, itself(hard)},
		{"symbolic link", sym, itself(sym)},
		{"directory", sub, "firebreak: backup: " + sub + " is a directory; name the backup file, such as " + filepath.Join(sub, "firebreak-backup.db") + "\n"},
	}
	check := func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				code, out, errOut := cli(t, nil, "backup", "--db", db, "--out", tc.out)
				if code != 1 || out != "" || errOut != tc.want {
					t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, out, errOut, tc.want)
				}
				sameInode(t, db, orig)
			})
		}
	}
	t.Run("offline", check)

	a, stop := runningApp(t, db)
	defer stop()
	t.Run("bot running", check)
	sock := socketPath(db)
	cases = []struct{ name, out, want string }{
		{"the socket", sock, "firebreak: backup: " + sock + " exists and is not a regular file\n"},
	}
	t.Run("bot running", check)

	// The bot refuses such requests itself, whoever sends them.
	for _, out := range []string{db, hard, sym, sub, sock} {
		answer := socketRequest(t, sock, "backup "+out+"\n")
		if !strings.HasPrefix(answer, "error backup: "+out+" ") {
			t.Fatalf("bot answered %q to a backup onto %s", answer, out)
		}
	}
	sameInode(t, db, orig)

	// The bot still writes into the file everyone opens.
	n := declare(t, a.DB, "after the refusals", time.Now())
	stop()
	_ = a.Close()
	d, err := store.Open(db, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got, err := d.Get(n); err != nil || got.Title != "after the refusals" {
		t.Fatalf("incident written after the refusals: %+v, %v", got, err)
	}
}

// socketRequest sends raw bytes to the backup socket and returns the
// answer line.
func socketRequest(t *testing.T, sock, req string) string {
	t.Helper()
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = conn.Write([]byte(req)) }()
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	return strings.TrimSuffix(line, "\n")
}

// TestSecondRunOnTheSameDatabaseIsRefused: bbolt's lock keeps a second
// process off the file, and the message says what to do.
func TestSecondRunOnTheSameDatabaseIsRefused(t *testing.T) {
	db := filepath.Join(t.TempDir(), "fb.db")
	newApp(t, map[string]string{"FIREBREAK_DB": db})
	cfg, err := app.FromEnv(func(k string) string { return map[string]string{"FIREBREAK_DB": db}[k] })
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.New(cfg, app.Options{NoHTTP: true, Logger: zaptest.NewLogger(t)})
	want := "database " + db + " is in use by another firebreak process (bbolt holds an exclusive lock); stop it or use a different --db"
	if err == nil || err.Error() != want {
		t.Fatalf("second app on the same file: %v; want %q", err, want)
	}
}

// TestBackupSocketBoundsTheRequest: a client that sends an endless line
// gets an error after maxRequestLine bytes instead of filling the bot's
// memory; a request without a newline or with a relative path is refused.
func TestBackupSocketBoundsTheRequest(t *testing.T) {
	dir, db := seededDir(t, 1)
	_, stop := runningApp(t, db)
	defer stop()
	sock := socketPath(db)
	long := "backup /" + strings.Repeat("a", 8<<20) + "\n"
	if got, want := socketRequest(t, sock, long), fmt.Sprintf("error request longer than %d bytes", maxRequestLine); got != want {
		t.Fatalf("endless line: %q, want %q", got, want)
	}
	if got, want := socketRequest(t, sock, "backup relative.db\n"), "error expected: backup /absolute/path"; got != want {
		t.Fatalf("relative path: %q, want %q", got, want)
	}
	out := filepath.Join(dir, "ok.db")
	if got, want := socketRequest(t, sock, "backup "+out+"\n"), out+" (schema "+fmt.Sprint(store.SchemaVersion)+", 1 incidents, 2 events, 6 pending effects, 1 Slack records)"; got != want {
		t.Fatalf("valid request: %q, want %q", got, want)
	}
}

// TestLongDatabasePathKeepsOnlineBackups: a database whose socket path
// would be too long for a Unix socket still serves online backups, from a
// private directory, and start-up says where.
func TestLongDatabasePathKeepsOnlineBackups(t *testing.T) {
	base := t.TempDir()
	t.Setenv("TMPDIR", base)
	dir := filepath.Join(base, strings.Repeat("long-directory-name-", 6))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "firebreak.db")
	if len(db+".sock") <= maxSocketPath {
		t.Fatalf("test path %d bytes is not too long", len(db))
	}
	seedDB(t, db, 1)
	_, stop := runningApp(t, db)
	defer stop()
	sock := socketPath(db)
	if filepath.Dir(sock) != filepath.Join(base, fmt.Sprintf("firebreak-%d", os.Getuid())) {
		t.Fatalf("socket at %s, want it in the private directory under TMPDIR", sock)
	}
	fi, err := os.Lstat(filepath.Dir(sock))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket directory: %v %v", fi, err)
	}
	out := filepath.Join(base, "online.db")
	code, stdout, errOut := cli(t, nil, "backup", "--db", db, "--out", out)
	want := "backup written by the running bot: " + out + " (schema " + fmt.Sprint(store.SchemaVersion) + ", 1 incidents, 2 events, 6 pending effects, 1 Slack records)\n"
	if code != 0 || stdout != want {
		t.Fatalf("online backup with a long path: exit %d, %q %q; want %q", code, stdout, errOut, want)
	}
}

// TestCommandsNeverCreateADatabase: a typo in --db is reported; no empty
// database appears and nothing "succeeds".
func TestCommandsNeverCreateADatabase(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "firebrake.db")
	good := filepath.Join(dir, "fb.db")
	seedDB(t, good, 1)
	missing := "firebreak: database " + typo + " does not exist; check --db or FIREBREAK_DB\n"
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"backup", []string{"backup", "--db", typo, "--out", filepath.Join(dir, "b.db")}, missing},
		{"postmortem preview", []string{"postmortem", "preview", "INC-1", "--db", typo}, missing},
		{"verify-backup", []string{"verify-backup", typo}, "firebreak: verify: stat " + typo + ": no such file or directory\n"},
		{"restore --from", []string{"restore", "--from", typo, "--db", good}, "firebreak: restore: backup " + typo + " is not usable: verify: stat " + typo + ": no such file or directory\n"},
		{"restore into a missing directory", []string{"restore", "--from", good, "--db", filepath.Join(dir, "nope", "fb.db")},
			"firebreak: restore: the directory " + filepath.Join(dir, "nope") + " of " + filepath.Join(dir, "nope", "fb.db") + " does not exist; create it first\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cli(t, nil, tc.args...)
			if code != 1 || out != "" || errOut != tc.want {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, out, errOut, tc.want)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Fatalf("files after a refused command: %v", entries)
			}
		})
	}
}

// TestPostmortemPreview: the preview prints an incident's postmortem from
// its database, naming people as Slack does when a token is set; without
// one it still prints and says so; an unknown incident is an error.
func TestPostmortemPreview(t *testing.T) {
	db := filepath.Join(t.TempDir(), "fb.db")
	d, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	declare(t, d, "Disk full on db-3", now)
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
	fs := fakeSlack(t)

	code, out, stderr := cli(t, map[string]string{"SLACK_BOT_TOKEN": fs.BotToken(), "SLACK_API_URL": fs.APIURL()},
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

	code, out, stderr = cli(t, nil, "postmortem", "preview", "INC-1", "--db", db)
	if code != 0 || !strings.Contains(stderr, "SLACK_BOT_TOKEN") || !strings.Contains(out, "Disk full on db-3") {
		t.Fatalf("preview without a token: %d %q", code, stderr)
	}
	if code, _, stderr = cli(t, nil, "postmortem", "preview", "INC-9", "--db", db); code == 0 || !strings.Contains(stderr, "INC-9") {
		t.Fatalf("unknown incident: %d %q", code, stderr)
	}
}

// TestPostmortemPreviewWhileRunning: the preview reads through the
// running bot's socket, as backup does, and shows what it shows offline.
func TestPostmortemPreviewWhileRunning(t *testing.T) {
	dir, db := seededDir(t, 2)
	a, stop := runningApp(t, db)
	code, online, errOut := cli(t, nil, "postmortem", "preview", "INC-2", "--db", db)
	if code != 0 || !strings.HasPrefix(online, "# Postmortem: INC-2 incident 2\n") {
		t.Fatalf("preview while the bot runs: exit %d, %q\n%s", code, errOut, online)
	}
	stop()
	_ = a.Close()
	code, offline, errOut := cli(t, nil, "postmortem", "preview", "INC-2", "--db", db)
	if code != 0 || offline != online {
		t.Fatalf("offline preview: exit %d, %q\n%s\nwant the same as online:\n%s", code, errOut, offline, online)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("preview left files beside the database: %v", entries)
	}
	code, out, errOut := cli(t, nil, "postmortem", "preview", "INC-9", "--db", db)
	if want := "firebreak: INC-9 is not in " + db + "\n"; code != 1 || out != "" || errOut != want {
		t.Fatalf("unknown incident: exit %d, %q %q; want %q", code, out, errOut, want)
	}
}

// TestRestoreForceKeepsTheReplacedFile: the database a restore replaces
// is kept beside it, and the output says where.
func TestRestoreForceKeepsTheReplacedFile(t *testing.T) {
	_, db, backup := backedUp(t, 2)
	seedDB(t, db, 1) // the live database moves on: 3 incidents
	code, out, errOut := cli(t, nil, "restore", "--from", backup, "--db", db, "--force")
	first := "restored " + backup + " into " + db + "\n"
	keptPrefix := "the database it replaced is kept as " + db + ".replaced-"
	rest, ok := strings.CutPrefix(out, first+keptPrefix)
	if code != 0 || !ok || len(rest) != len("20060102T150405Z\n") || !strings.HasSuffix(rest, "Z\n") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want %q then %q<UTC time>", code, out, errOut, first, keptPrefix)
	}
	kept := db + ".replaced-" + strings.TrimSuffix(rest, "\n")
	if _, err := time.Parse("20060102T150405Z", strings.TrimPrefix(kept, db+".replaced-")); err != nil {
		t.Fatalf("kept file name %s: %v", kept, err)
	}
	for _, tc := range []struct {
		file string
		want int
	}{{db, 2}, {kept, 3}} {
		rep, err := store.Verify(tc.file)
		if err != nil || rep.Incidents != tc.want {
			t.Fatalf("%s: %d incidents (%v), want %d", tc.file, rep.Incidents, err, tc.want)
		}
	}
}

// TestRunStopsWhenItsDatabaseIsReplaced: a forced restore over the
// database of a running bot replaces the file under it. The bot notices
// and stops (its writes would go to the unlinked file), and what it wrote
// until then is in the kept file.
func TestRunStopsWhenItsDatabaseIsReplaced(t *testing.T) {
	_, db, backup := backedUp(t, 1)
	a := newApp(t, map[string]string{"FIREBREAK_DB": db})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan struct{})
	replaced := watchDatabase(ctx, a.DB, 10*time.Millisecond, func() { close(stopped) })
	if a.DB.(*store.DB).Replaced() || replaced() {
		t.Fatal("the database counts as replaced before anything happened")
	}
	code, out, errOut := cli(t, nil, "restore", "--from", backup, "--db", db, "--force")
	if code != 0 {
		t.Fatalf("forced restore: %q %q", out, errOut)
	}
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the running bot did not notice its database was replaced")
	}
	if !replaced() {
		t.Fatal("watchDatabase does not report the replacement")
	}
	// A write the old process still makes lands in the kept file, not lost.
	declare(t, a.DB, "written after the restore", time.Now())
	_ = a.Close()
	kept := strings.TrimSpace(strings.TrimPrefix(strings.SplitN(out, "\n", 2)[1], "the database it replaced is kept as "))
	rep, err := store.Verify(kept)
	if err != nil || rep.Incidents != 2 {
		t.Fatalf("kept file %s: %d incidents (%v), want 2", kept, rep.Incidents, err)
	}
}

// TestRunExitsWhenItsDatabaseIsReplaced runs `firebreak run` against the
// fake Slack: a forced restore under it makes it exit with a message that
// says why, instead of writing on into the unlinked file.
func TestRunExitsWhenItsDatabaseIsReplaced(t *testing.T) {
	fs := fakeSlack(t)
	dir, db, backup := backedUp(t, 1)
	env := map[string]string{
		"SLACK_APP_TOKEN": fs.AppToken(), "SLACK_BOT_TOKEN": fs.BotToken(), "SLACK_API_URL": fs.APIURL(),
		"FIREBREAK_DB": db, "FIREBREAK_HTTP_ADDR": "127.0.0.1:0", "FIREBREAK_POSTMORTEM_DIR": filepath.Join(dir, "pm"),
	}
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		var out, errb logbuf.Buffer
		code := run([]string{"run"}, &out, &errb, func(k string) string { return env[k] })
		done <- result{code, errb.String()}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := fs.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := cli(t, nil, "restore", "--from", backup, "--db", db, "--force"); code != 0 {
		t.Fatalf("forced restore: %q %q", out, errOut)
	}
	select {
	case r := <-done:
		want := "firebreak: database " + db + " was replaced or removed while firebreak ran; it stopped so that no write went to the old file: start it again to use the file now at that path\n"
		if r.code != 1 || !strings.HasSuffix(r.stderr, want) {
			t.Fatalf("run exited %d with\n%s\nwant it to end with %q", r.code, r.stderr, want)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run kept running on a replaced database")
	}
}

// TestLockedWithoutSocketIsExplained: when another process holds the
// database and nothing answers on the backup socket, backup and preview
// say so, instead of suggesting a different --db.
func TestLockedWithoutSocketIsExplained(t *testing.T) {
	dir, db := seededDir(t, 1)
	holder, err := store.Open(db, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	want := "firebreak: database " + db + " is in use by another process, and no firebreak answers on its backup socket " + db + ".sock; if that process is firebreak, run this command as the same user and with the same database path, or stop it first\n"
	for _, args := range [][]string{
		{"backup", "--db", db, "--out", filepath.Join(dir, "b.db")},
		{"postmortem", "preview", "INC-1", "--db", db},
	} {
		code, out, errOut := cli(t, nil, args...)
		if code != 1 || out != "" || errOut != want {
			t.Fatalf("%s: exit %d, %q %q; want %q", args[0], code, out, errOut, want)
		}
	}
}
