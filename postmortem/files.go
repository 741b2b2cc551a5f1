package postmortem

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// Files writes postmortems as markdown files, Dir/INC-<n>.md, when GitHub
// is not configured. The file holds exactly what Preview prints.
type Files struct {
	Dir      string
	Location *time.Location
}

// Publish writes the postmortem atomically (a reader sees the old file or
// the whole new one, never a part) and returns its file:// URL. Publishing
// again rewrites the same file.
func (f Files) Publish(ctx context.Context, inc incident.Incident, events []incident.Event, names map[string]string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	doc, err := Preview(inc, events, names, f.Location)
	if err != nil {
		return "", &Error{Op: "render the draft", permanent: true, msg: err.Error(), err: err, Fix: "report this to the Firebreak maintainers"}
	}
	dir, err := filepath.Abs(f.Dir)
	if err != nil {
		return "", fileError("resolve "+f.Dir, f.Dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fileError("create "+dir, dir, err)
	}
	path := filepath.Join(dir, inc.ID()+".md")
	if err := writeAtomic(path, []byte(doc)); err != nil {
		return "", fileError("write "+path, dir, err)
	}
	return "file://" + filepath.ToSlash(path), nil
}

func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return err
	}
	if err = tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// Make the rename itself durable.
	if d, derr := os.Open(filepath.Dir(path)); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// fileError makes a permission problem permanent (a person must fix it)
// and anything else, such as a full disk, transient.
func fileError(op, dir string, err error) *Error {
	e := &Error{Op: op, msg: err.Error(), err: err}
	switch {
	case errors.Is(err, fs.ErrPermission), errors.Is(err, fs.ErrExist), errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EROFS):
		e.permanent = true
		e.Fix = fmt.Sprintf("make %s a directory Firebreak can write to (FIREBREAK_POSTMORTEM_DIR)", dir)
	default:
		e.wait = retryTransient
	}
	return e
}
