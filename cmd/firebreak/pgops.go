package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/store"
	"github.com/firebreak-hq/firebreak/store/pgstore"
)

// cmdMigrate copies a bbolt database into PostgreSQL and verifies that
// the target holds what the source did.
func cmdMigrate(args []string, w io.Writer) error {
	c, err := parseCopy(args, copyFlags{cmd: "migrate", from: "bbolt database file to copy", toFlag: "to", to: "PostgreSQL URL to copy into (postgres://…)",
		force: "replace what the target database already holds", usage: "migrate needs --from FILE and --to postgres://USER@HOST:PORT/DB"})
	if err != nil {
		return err
	}
	if !pgstore.IsURL(c.to) {
		return fmt.Errorf("--to %s is not a postgres:// URL", c.to)
	}
	if pgstore.IsURL(c.from) {
		return errors.New("--from names a bbolt database file; to copy PostgreSQL to a file, use `firebreak backup`")
	}
	if err := mustExist(c.from); err != nil {
		return err
	}
	// The bot must be stopped: a copy of a file still being written would
	// miss what comes after it. Its lock says whether it runs.
	src, err := store.Open(c.from, store.Options{Timeout: 2 * time.Second})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("database %s is in use by a running firebreak; stop it before migrating, so that nothing is written after the copy", c.from)
	}
	if err != nil {
		return err
	}
	defer src.Close()
	if err := src.Check(); err != nil {
		return fmt.Errorf("source %s does not check out, nothing was copied: %w", c.from, err)
	}
	dst, err := pgstore.Open(c.to, pgstore.Options{})
	if err != nil {
		return err
	}
	defer dst.Close()
	want, err := store.CountOf(src)
	if err != nil {
		return err
	}
	got, err := dst.Load(src, c.force)
	if errors.Is(err, store.ErrRefused) {
		return err
	}
	if err != nil {
		return fmt.Errorf("migrate into %s failed, nothing was committed: %w", dst.Where(), err)
	}
	fmt.Fprintf(w, "source %s: %s\n", c.from, want)
	fmt.Fprintf(w, "target %s: %s\n", dst.Where(), got)
	if got != want {
		return fmt.Errorf("the counts differ: the target does not hold what the source did; do not switch FIREBREAK_DB to it")
	}
	if err := dst.Check(); err != nil {
		return fmt.Errorf("the target does not check out: %w", err)
	}
	fmt.Fprintf(w, "ok: counts match; set FIREBREAK_DB=%s and start firebreak\n", dst.Where())
	return nil
}

// pgBackup writes a logical export of a PostgreSQL database as a bbolt
// file, verified like any backup.
func pgBackup(dsn, out string, w io.Writer) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if err := store.CheckBackupTarget("", abs); err != nil {
		return err
	}
	src, err := pgstore.Open(dsn, pgstore.Options{})
	if err != nil {
		return err
	}
	defer src.Close()
	return backupVerified(w, src, abs, src.Where())
}

// readIncidentPG reads incident n from PostgreSQL, which the running bots
// share, for `postmortem preview`.
func readIncidentPG(dsn string, n uint64) (incident.Incident, []incident.Event, error) {
	d, err := pgstore.Open(dsn, pgstore.Options{})
	if err != nil {
		return incident.Incident{}, nil, err
	}
	defer d.Close()
	return incidentWithEvents(d, n, d.Where())
}
