package store

import (
	"errors"
	"fmt"
	"syscall"

	berrors "go.etcd.io/bbolt/errors"
)

// Errors returned by the store. They are wrapped with context; test with
// errors.Is.
var (
	// ErrNotFound: no such incident, channel, outbox row or pubmeta bucket.
	ErrNotFound = errors.New("not found")

	// ErrLocked: another process holds the database file's exclusive
	// lock (bbolt allows one writer process per file).
	ErrLocked = errors.New("database is locked by another process")

	// ErrNewerSchema: the file was written by a newer firebreak whose
	// schema this binary does not know. It is never opened for writing.
	ErrNewerSchema = errors.New("database schema is newer than this binary")

	// ErrCorrupt: the file is not a readable firebreak database, or bbolt's
	// consistency check or the store's own invariants failed.
	ErrCorrupt = errors.New("database is corrupt or not a firebreak database")

	// ErrConflict: a write would break an index, e.g. two incidents
	// claiming the same Slack channel, or fn returned a different incident
	// number than the one it was given.
	ErrConflict = errors.New("conflicting write")

	// ErrReadOnly: a write failed because the database file (or its
	// file system) is read-only. Nothing was written.
	ErrReadOnly = errors.New("database is read-only")

	// ErrNoSpace: a write failed because the disk (or the quota) holding
	// the database is full. Nothing was written.
	ErrNoSpace = errors.New("no space left for the database")

	// ErrRefused: Restore would overwrite a database that is newer than
	// the backup or unreadable; pass force to do it anyway.
	ErrRefused = errors.New("refused")
)

// lockedError carries the message people see when a second firebreak
// process points at the same file.
type lockedError struct{ path string }

func (e *lockedError) Error() string {
	return fmt.Sprintf("database %s is in use by another firebreak process (bbolt holds an exclusive lock); stop it or use a different --db", e.path)
}

func (e *lockedError) Unwrap() error { return ErrLocked }

// refusal is an ErrRefused whose message is complete on its own.
type refusal struct{ msg string }

func refusedf(format string, args ...any) error {
	return &refusal{msg: fmt.Sprintf(format, args...)}
}

func (e *refusal) Error() string { return e.msg }

func (e *refusal) Unwrap() error { return ErrRefused }

// writeFailure marks a failed write that an operator must fix with
// ErrReadOnly or ErrNoSpace, keeping the cause.
func writeFailure(err error) error {
	switch {
	case err == nil, errors.Is(err, ErrReadOnly), errors.Is(err, ErrNoSpace):
		return err
	case errors.Is(err, berrors.ErrDatabaseReadOnly), errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: %w", ErrNoSpace, err)
	}
	return err
}
