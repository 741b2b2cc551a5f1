package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"

	berrors "go.etcd.io/bbolt/errors"
)

// TestWriteFailureSentinels: the failures an operator must fix are
// told apart with errors.Is, whatever wrapped them, and keep their cause.
func TestWriteFailureSentinels(t *testing.T) {
	for _, c := range []struct {
		err  error
		want error
	}{
		{fmt.Errorf("write: %w", syscall.ENOSPC), ErrNoSpace},
		{fmt.Errorf("write: %w", syscall.EDQUOT), ErrNoSpace},
		{fmt.Errorf("write: %w", syscall.EROFS), ErrReadOnly},
		{berrors.ErrDatabaseReadOnly, ErrReadOnly},
	} {
		got := writeFailure(c.err)
		if !errors.Is(got, c.want) || !errors.Is(got, c.err) {
			t.Errorf("writeFailure(%v) = %v, want %v wrapping the cause", c.err, got, c.want)
		}
	}
	other := errors.New("boom")
	if got := writeFailure(other); got != other || errors.Is(got, ErrNoSpace) || errors.Is(got, ErrReadOnly) {
		t.Errorf("writeFailure(boom) = %v", got)
	}
}

// TestCommandWritesReportSentinels: a command that cannot be written
// because the file is read-only or the disk is full says so with the
// store's sentinels, which is all the edge needs to word it.
func TestCommandWritesReportSentinels(t *testing.T) {
	d, _ := newDB(t)
	declare(t, d, "x")
	var fault error
	d.SetFault(func(stage string) error { return fault })
	for _, want := range []error{ErrNoSpace, ErrReadOnly} {
		fault = fmt.Errorf("write fb.db: %w", syscall.ENOSPC)
		if want == ErrReadOnly {
			fault = fmt.Errorf("write fb.db: %w", syscall.EROFS)
		}
		if _, err := d.Apply(1, cmdFn(note("x"), t0)); !errors.Is(err, want) {
			t.Errorf("Apply: err = %v, want %v", err, want)
		}
		if _, _, err := d.ApplyOnce("E1", 1, cmdFn(note("x"), t0)); !errors.Is(err, want) {
			t.Errorf("ApplyOnce: err = %v, want %v", err, want)
		}
	}
	fault = nil
	d.SetFault(nil)

	path := filepath.Join(t.TempDir(), "fb.db")
	populated(t, path, 2)
	ro, err := open(path, Options{}, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAndVerify(t, ro) })
	if _, err := ro.Apply(2, cmdFn(note("x"), t0)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Apply on a read-only file: err = %v, want ErrReadOnly", err)
	}
	if _, _, err := ro.ApplyOnce("E2", 2, cmdFn(note("x"), t0)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("ApplyOnce on a read-only file: err = %v, want ErrReadOnly", err)
	}
}
