package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// verifyTimeout is how long Verify and Restore wait for a file's lock:
// short, because a locked file means a live process, not a slow one.
const verifyTimeout = 500 * time.Millisecond

// Backup writes a consistent copy of the whole database to w from a read
// transaction (bbolt tx.WriteTo), while writers carry on. Keep w local: the
// read transaction stays open for the whole copy.
func (d *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := d.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// BackupFile writes a backup to path atomically: a temporary file in
// path's directory, fsync, rename, fsync of the directory. A reader never
// sees a half-written backup. It refuses (ErrRefused) a path that is the
// database itself, also through a symbolic or hard link, a directory, or
// anything else that is not a regular file (such as the backup socket).
func (d *DB) BackupFile(path string) error {
	if err := CheckBackupTarget(d.path, path); err != nil {
		return err
	}
	return writeAtomic(path, func(w io.Writer) error {
		_, err := d.Backup(w)
		return err
	})
}

// CheckBackupTarget reports why out cannot receive a backup of the
// database db: out is db (compared with os.SameFile, so links count), a
// directory, or an existing file that is not a regular file. A missing
// out is fine; its directory is checked when the backup is written.
func CheckBackupTarget(db, out string) error {
	fo, err := os.Stat(out)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if fo.IsDir() {
		return refusedf("backup: %s is a directory; name the backup file, such as %s",
			out, filepath.Join(out, "firebreak-backup.db"))
	}
	if fd, err := os.Stat(db); err == nil && os.SameFile(fo, fd) {
		return refusedf("backup: %s is the database itself; write the backup to another file", out)
	}
	if !fo.Mode().IsRegular() {
		return refusedf("backup: %s exists and is not a regular file", out)
	}
	return nil
}

// writeAtomic fills a new temporary file beside path and renames it over
// path, so path is either its old content or the whole new one.
func writeAtomic(path string, fill func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if err = fill(f); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// VerifyReport is what Verify found in a database file.
type VerifyReport struct {
	Path        string
	Schema      int
	Incidents   int
	Open        int
	Events      int
	Outbox      int
	MaxIncident uint64
	SizeBytes   int64
}

// Verify opens path read-only (never creating or migrating it), runs
// bbolt's consistency check and the store's invariants, and counts what it
// holds. Any problem is an error: missing, empty or garbage file
// (ErrCorrupt), a live database (ErrLocked), a schema newer than this
// binary (ErrNewerSchema). Files of older schema versions verify too.
//
// A file whose pages would lead bbolt outside it is reported as ErrCorrupt
// before bbolt maps it, and a memory fault while reading is an error, not
// a crash.
func Verify(path string) (r VerifyReport, err error) {
	defer guardFaults()()
	defer recoverFault(path, &err)
	r = VerifyReport{Path: path}
	fi, err := os.Stat(path)
	if err != nil {
		return r, fmt.Errorf("verify: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return r, fmt.Errorf("verify %s: not a regular file: %w", path, ErrCorrupt)
	}
	if fi.Size() == 0 {
		return r, fmt.Errorf("verify %s: empty file: %w", path, ErrCorrupt)
	}
	r.SizeBytes = fi.Size()
	if err := scanPages(path); err != nil {
		return r, fmt.Errorf("verify %w", err)
	}
	bdb, err := openBolt(path, &bolt.Options{ReadOnly: true, Timeout: verifyTimeout})
	if err != nil {
		return r, fmt.Errorf("verify: %w", err)
	}
	defer bdb.Close()
	err = bdb.View(func(tx *bolt.Tx) error {
		if err := checkTx(tx); err != nil {
			return err
		}
		s, err := statsTx(tx)
		if err != nil {
			return err
		}
		r.Schema, r.Incidents, r.Open, r.Events, r.Outbox, r.MaxIncident =
			s.Schema, s.Incidents, s.Open, s.Events, s.Outbox, s.MaxIncident
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("verify %s: %w", path, err)
	}
	return r, nil
}

// Restore replaces the database at to with the backup at from. from is
// verified first, copied to to.restore.tmp, verified again, fsynced and
// renamed over to, so to is never half-written.
//
// Without force it refuses to overwrite an existing to that:
//   - a running process holds (ErrLocked). Stop the bot first. With force
//     the file is replaced anyway; the running process would write on
//     into the old file, which is kept beside it (a hard link), and
//     `firebreak run` stops when it notices (DB.Replaced). Force exists
//     for a wedged process, not a healthy one;
//   - is newer than the backup — a higher incident number or more events
//     (ErrRefused);
//   - cannot be read or verified (ErrRefused).
//
// A database that is replaced is kept beside it (see RestoreKeeping).
func Restore(from, to string, force bool) error {
	_, err := RestoreKeeping(from, to, force)
	return err
}

// RestoreKeeping is Restore that also returns where the replaced database
// was kept: to.replaced-<UTC time>, a hard link to (or, where links are
// not possible, a copy of) the file that was at to. kept is "" when to did
// not exist.
func RestoreKeeping(from, to string, force bool) (kept string, err error) {
	return kept, restore(from, to, force, &kept)
}

func restore(from, to string, force bool, kept *string) error {
	src, err := Verify(from)
	if err != nil {
		return fmt.Errorf("restore: backup %s is not usable: %w", from, err)
	}
	if dir := filepath.Dir(to); !isDir(dir) {
		return fmt.Errorf("restore: the directory %s of %s does not exist; create it first", dir, to)
	}
	if sameFile(from, to) {
		return fmt.Errorf("restore: %s and %s are the same file: %w", from, to, ErrRefused)
	}
	if _, err := os.Stat(to); err == nil {
		dst, verr := Verify(to)
		switch {
		case errors.Is(verr, ErrLocked) && !force:
			return fmt.Errorf("restore: %w; --force replaces it anyway, but whatever that process writes until it restarts is lost", verr)
		case errors.Is(verr, ErrLocked):
			// forced over a live file: see the doc comment.
		case verr != nil && !force:
			return fmt.Errorf("restore: the existing database %s cannot be verified (%v); use --force to replace it: %w", to, verr, ErrRefused)
		case verr == nil && !force && (dst.MaxIncident > src.MaxIncident || dst.Events > src.Events):
			return fmt.Errorf("restore: the existing database %s is newer than the backup (up to %s with %d events, backup up to %s with %d); use --force to replace it: %w",
				to, incidentID(dst.MaxIncident), dst.Events, incidentID(src.MaxIncident), src.Events, ErrRefused)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}

	tmp := to + ".restore"
	if err := copyDB(from, tmp); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if _, err := Verify(tmp); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("restore: copy failed verification: %w", err)
	}
	if _, err := os.Stat(to); err == nil {
		k, err := keepReplaced(to, time.Now())
		if err != nil {
			_ = os.Remove(tmp)
			return fmt.Errorf("restore: keeping the database it replaces: %w", err)
		}
		*kept = k
	}
	if err := os.Rename(tmp, to); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	return syncDir(filepath.Dir(to))
}

// keepReplaced links (or copies) path to a new path.replaced-<time> name.
func keepReplaced(path string, now time.Time) (string, error) {
	base := path + ".replaced-" + now.UTC().Format("20060102T150405Z")
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		err := os.Link(path, name)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			err = copyPlain(path, name)
		}
		return name, err
	}
}

// copyPlain copies a file byte for byte into a new file, 0600.
func copyPlain(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		_ = dst.Close()
		_ = os.Remove(to)
		return err
	}
	if err := dst.Sync(); err != nil {
		_ = dst.Close()
		return err
	}
	return dst.Close()
}

// Snapshot copies the database file at from, which must exist, to the new
// file to through a read-only transaction; from is neither created nor
// migrated. It fails with ErrLocked while another process holds from.
func Snapshot(from, to string) error {
	if _, err := os.Stat(from); err != nil {
		return err
	}
	return copyDB(from, to)
}

// copyDB writes a consistent copy of the bbolt file from to to.
func copyDB(from, to string) (err error) {
	defer guardFaults()()
	defer recoverFault(from, &err)
	sdb, err := openBolt(from, &bolt.Options{ReadOnly: true, Timeout: verifyTimeout})
	if err != nil {
		return err
	}
	err = writeAtomic(to, func(w io.Writer) error {
		return sdb.View(func(tx *bolt.Tx) error {
			_, err := tx.WriteTo(w)
			return err
		})
	})
	if cerr := sdb.Close(); err == nil {
		err = cerr
	}
	return err
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

func incidentID(n uint64) string {
	if n == 0 {
		return "no incidents"
	}
	return fmt.Sprintf("INC-%d", n)
}
