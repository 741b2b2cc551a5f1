package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/slack-go/slack"
	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/bot"
	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/app"
	"github.com/firebreak-hq/firebreak/playbooks"
	"github.com/firebreak-hq/firebreak/postmortem"
	"github.com/firebreak-hq/firebreak/store"
	"github.com/firebreak-hq/firebreak/store/pgstore"
)

func cmdVersion(w io.Writer) {
	fmt.Fprintf(w, "firebreak %s (commit %s, schema %d, PostgreSQL schema %d)\n", version, commit, store.SchemaVersion, pgstore.SchemaVersion)
}

func cmdBackup(args []string, w io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	db := fs.String("db", "", "database file (default $FIREBREAK_DB or firebreak.db)")
	out := fs.String("out", "", "backup file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db == "" {
		*db = envOr(getenv, "FIREBREAK_DB", "firebreak.db")
	}
	if *out == "" {
		return errors.New("backup needs --out FILE")
	}
	if pgstore.IsURL(*db) {
		return pgBackup(*db, *out, w)
	}
	abs, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	if err := mustExist(*db); err != nil {
		return err
	}
	if err := store.CheckBackupTarget(*db, abs); err != nil {
		return err
	}
	// A running bot holds bbolt's lock: ask it to take the snapshot.
	answer, online, err := requestBackup(socketPath(*db), abs)
	if err != nil {
		return err
	}
	if online {
		fmt.Fprintf(w, "backup written by the running bot: %s\n", answer)
		return nil
	}
	d, err := store.Open(*db, store.Options{Timeout: 2 * time.Second})
	if errors.Is(err, store.ErrLocked) {
		return noSocketError(*db)
	}
	if err != nil {
		return err
	}
	defer d.Close()
	return backupVerified(w, d, abs, "")
}

// backupVerified writes src's backup to abs, verifies it and says on w
// what it holds; of names the source when it is not a file.
func backupVerified(w io.Writer, src interface{ BackupFile(string) error }, abs, of string) error {
	if err := src.BackupFile(abs); err != nil {
		return err
	}
	rep, err := store.Verify(abs)
	if err != nil {
		return fmt.Errorf("backup written but failed verification: %w", err)
	}
	if of != "" {
		abs += " of " + of
	}
	fmt.Fprintf(w, "backup %s: %s\n", abs, describe(rep))
	return nil
}

func describe(r store.VerifyReport) string {
	s := fmt.Sprintf("schema %d, %d incidents, %d events, %d pending effects", r.Schema, r.Incidents, r.Events, r.Outbox)
	if r.Schema >= 4 {
		s += fmt.Sprintf(", %d Slack records", r.Slack)
	}
	return s
}

func cmdRestore(args []string, w io.Writer) error {
	c, err := parseCopy(args, copyFlags{cmd: "restore", from: "backup file", toFlag: "db", to: "database file to restore into",
		force: "overwrite a newer database", usage: "restore needs --from BACKUP and --db FILE"})
	if err != nil {
		return err
	}
	kept, err := store.RestoreKeeping(c.from, c.to, c.force)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "restored %s into %s\n", c.from, c.to)
	if kept != "" {
		fmt.Fprintf(w, "the database it replaced is kept as %s\n", kept)
	}
	return nil
}

// copyFlags describes the flags of a command that copies a whole database
// (restore, migrate): the help of --from, of the flag naming the target
// and of --force, and the usage error when either place is missing.
type copyFlags struct {
	cmd, from, toFlag, to, force, usage string
}

// copyArgs are a copy command's parsed flags.
type copyArgs struct {
	from, to string
	force    bool
}

func parseCopy(args []string, f copyFlags) (copyArgs, error) {
	fs := flag.NewFlagSet(f.cmd, flag.ContinueOnError)
	from := fs.String("from", "", f.from)
	to := fs.String(f.toFlag, "", f.to)
	force := fs.Bool("force", false, f.force)
	if err := fs.Parse(args); err != nil {
		return copyArgs{}, err
	}
	if *from == "" || *to == "" {
		return copyArgs{}, errors.New(f.usage)
	}
	return copyArgs{from: *from, to: *to, force: *force}, nil
}

func cmdVerify(args []string, w io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: firebreak verify-backup FILE")
	}
	rep, err := store.Verify(args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "ok: %s\n", describe(rep))
	return nil
}

func cmdPlaybooks(args []string, w io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		return errors.New("usage: firebreak playbooks check [DIR]")
	}
	dir := ""
	if len(args) > 1 {
		dir = args[1]
	}
	errs := playbooks.Check(dir)
	for _, e := range errs {
		fmt.Fprintln(w, e)
	}
	if len(errs) > 0 {
		return exitError(1)
	}
	set, err := playbooks.Load(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "ok: %d playbooks (%s)\n", len(set.Names()), strings.Join(set.Names(), ", "))
	return nil
}

func cmdPostmortem(args []string, w, stderr io.Writer, getenv func(string) string) error {
	if len(args) < 2 || args[0] != "preview" {
		return errors.New("usage: firebreak postmortem preview INC-N --db FILE")
	}
	n, err := incident.ParseID(args[1])
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("postmortem preview", flag.ContinueOnError)
	db := fs.String("db", envOr(getenv, "FIREBREAK_DB", "firebreak.db"), "database file")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	cfg, err := app.FromEnv(getenv)
	if err != nil {
		return err
	}
	inc, events, err := readIncident(*db, n)
	if err != nil {
		return err
	}
	names := previewNames(cfg, inc, events, stderr)
	out, err := postmortem.Preview(inc, events, names, cfg.Location)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, out)
	return err
}

// readIncident reads incident n from a snapshot of db, taken by the
// running bot through the backup socket when one holds the database, or
// read-only from the file otherwise. The database itself is never created
// nor migrated; a damaged one is an error, not a crash.
func readIncident(db string, n uint64) (incident.Incident, []incident.Event, error) {
	if pgstore.IsURL(db) {
		return readIncidentPG(db, n)
	}
	if err := mustExist(db); err != nil {
		return incident.Incident{}, nil, err
	}
	tmp, err := os.MkdirTemp("", "firebreak-preview-")
	if err != nil {
		return incident.Incident{}, nil, err
	}
	defer os.RemoveAll(tmp)
	snap := filepath.Join(tmp, "snapshot.db")
	_, online, err := requestBackup(socketPath(db), snap)
	if err != nil {
		return incident.Incident{}, nil, err
	}
	if !online {
		err := store.Snapshot(db, snap)
		if errors.Is(err, store.ErrLocked) {
			return incident.Incident{}, nil, noSocketError(db)
		}
		if err != nil {
			return incident.Incident{}, nil, err
		}
	}
	if _, err := store.Verify(snap); err != nil {
		// The snapshot is a page-for-page copy: its damage is db's.
		msg := strings.TrimPrefix(err.Error(), "verify "+snap+": ")
		return incident.Incident{}, nil, fmt.Errorf("database %s is damaged: %s; restore it from a backup", db, msg)
	}
	d, err := store.Open(snap, store.Options{NoSync: true})
	if err != nil {
		return incident.Incident{}, nil, fmt.Errorf("database %s: %w", db, err)
	}
	defer d.Close()
	return incidentWithEvents(d, n, db)
}

// incidentWithEvents reads incident n and its timeline from d, which the
// error for an unknown incident calls where.
func incidentWithEvents(d store.Store, n uint64, where string) (incident.Incident, []incident.Event, error) {
	inc, err := d.Get(n)
	if errors.Is(err, store.ErrNotFound) {
		return incident.Incident{}, nil, fmt.Errorf("%s is not in %s", incident.ID(n), where)
	}
	if err != nil {
		return incident.Incident{}, nil, err
	}
	events, err := d.Events(n)
	return inc, events, err
}

func envOr(getenv func(string) string, k, def string) string {
	if v := strings.TrimSpace(getenv(k)); v != "" {
		return v
	}
	return def
}

// startBackups serves online backup requests on a 0600 Unix socket and,
// with FIREBREAK_BACKUP_DIR set, writes verified backups on a cron.
func startBackups(ctx context.Context, a *app.App, log *zap.Logger) (func(), error) {
	path := socketPath(a.Cfg.DBPath)
	var ln net.Listener
	var err error
	if pgstore.IsURL(a.Cfg.DBPath) {
		// `firebreak backup` reads PostgreSQL itself; no socket needed.
		path = ""
	} else if ln, err = listenBackups(path); err != nil {
		log.Warn("online backups are off: `firebreak backup` cannot reach this process while it runs; use FIREBREAK_BACKUP_DIR or stop the bot to back up",
			zap.String("socket", path), zap.Error(err))
		ln = nil
	} else {
		log.Info("online backups listen on the backup socket", zap.String("socket", path))
		go serveBackups(ln, a, log)
	}
	var c *cron.Cron
	if dir := a.Cfg.BackupDir; dir != "" {
		c = cron.New(cron.WithLocation(a.Cfg.Location), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
		if _, err := c.AddFunc(a.Cfg.BackupCron, func() {
			now := time.Now()
			// Several processes on one PostgreSQL database fire together:
			// the first to record this due moment takes the backup.
			if seen, err := a.DB.SeenOnce("backup:" + now.UTC().Truncate(time.Minute).Format(time.RFC3339)); err != nil || seen {
				if err != nil {
					log.Error("scheduled backup skipped: the database did not answer", zap.Error(err))
				}
				return
			}
			file, err := scheduledBackup(a, dir, a.Cfg.BackupKeep, now)
			if err != nil {
				log.Error("scheduled backup failed", zap.Error(err))
				a.Announce(fmt.Sprintf(":warning: Firebreak's scheduled backup failed: %v. Check FIREBREAK_BACKUP_DIR (%s).", err, dir))
				return
			}
			log.Info("backup written and verified", zap.String("file", file))
		}); err != nil {
			return nil, fmt.Errorf("FIREBREAK_BACKUP_CRON: %w", err)
		}
		c.Start()
	}
	return func() {
		if ln != nil {
			_ = ln.Close()
			_ = os.Remove(path)
		}
		if c != nil {
			<-c.Stop().Done()
		}
	}, nil
}

// listenBackups listens on the backup socket at path, 0600.
func listenBackups(path string) (net.Listener, error) {
	if err := prepareSocketDir(path); err != nil {
		return nil, err
	}
	_ = os.Remove(path) // we hold the DB lock, so no other bot owns it
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = ln.Close()
		return nil, err
	}
	return ln, nil
}

func serveBackups(ln net.Listener, a *app.App, log *zap.Logger) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(5 * time.Minute))
			serveBackupConn(conn, func(out string) (string, error) {
				if out == socketPath(a.Cfg.DBPath) {
					return "", fmt.Errorf("backup: %s is the backup socket", out)
				}
				if err := a.DB.BackupFile(out); err != nil {
					return "", err
				}
				rep, err := store.Verify(out)
				if err != nil {
					return "", fmt.Errorf("backup failed verification: %w", err)
				}
				log.Info("online backup written", zap.String("file", out))
				return fmt.Sprintf("%s (%s)", out, describe(rep)), nil
			})
		}()
	}
}

// scheduledBackup writes one backup, verifies it at once and keeps the
// newest keep files.
func scheduledBackup(a *app.App, dir string, keep int, now time.Time) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	file := filepath.Join(dir, "firebreak-"+now.UTC().Format("20060102T150405Z")+".db")
	if err := a.DB.BackupFile(file); err != nil {
		return "", err
	}
	if _, err := store.Verify(file); err != nil {
		// Kept for inspection, but out of the rotation, so a bad backup
		// never pushes a good one out of the last keep.
		_ = os.Rename(file, file+".failed")
		return "", fmt.Errorf("backup %s failed verification (kept as %s.failed): %w", file, file, err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "firebreak-*.db"))
	sort.Strings(old)
	for len(old) > keep {
		_ = os.Remove(old[0])
		old = old[1:]
	}
	return file, nil
}

// previewNames resolves display names the way the running bot does, so
// the preview matches what is filed; without a bot token it says so and
// shows user ids.
func previewNames(cfg app.Config, inc incident.Incident, events []incident.Event, stderr io.Writer) map[string]string {
	names := map[string]string{}
	ids := bot.ReferencedUsers(inc, events)
	if cfg.BotToken == "" {
		fmt.Fprintln(stderr, "firebreak: SLACK_BOT_TOKEN is not set, so people appear as Slack user ids; the filed postmortem shows display names")
		return names
	}
	api := slack.New(cfg.BotToken, slack.OptionAPIURL(cfg.SlackAPIURL))
	for _, id := range ids {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		u, err := api.GetUserInfoContext(ctx, id)
		cancel()
		if err != nil {
			fmt.Fprintf(stderr, "firebreak: could not look up %s (%v); it appears as its id\n", id, err)
			continue
		}
		names[id] = bot.DisplayName(u)
	}
	return names
}

// noSocketError explains a database locked by a process that does not
// answer on the backup socket.
func noSocketError(db string) error {
	return fmt.Errorf("database %s is in use by another process, and no firebreak answers on its backup socket %s; if that process is firebreak, run this command as the same user and with the same database path, or stop it first", db, socketPath(db))
}

// mustExist refuses a database path that does not name an existing file,
// so a typo in --db or FIREBREAK_DB is reported instead of creating an
// empty database.
func mustExist(db string) error {
	fi, err := os.Stat(db)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("database %s does not exist; check --db or FIREBREAK_DB", db)
	case err != nil:
		return err
	case fi.IsDir():
		return fmt.Errorf("database %s is a directory; --db names the database file", db)
	}
	return nil
}
