package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"

	berrors "go.etcd.io/bbolt/errors"

	"github.com/firebreak-hq/firebreak/incident"
)

// snapshot is everything a command could have touched.
type snapshot struct {
	inc    string
	events int
	outbox int
	stats  Stats
}

func snap(t *testing.T, d *DB, n uint64) snapshot {
	t.Helper()
	inc, err := d.Get(n)
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := d.EventCount(n)
	ob, _ := d.OutboxDepth()
	st, _ := d.Stats()
	return snapshot{asJSON(t, inc), ev, ob, st}
}

// A write that fails half-way — after the state, after the events, or
// after the outbox rows were put — leaves nothing behind.
func TestFailedWriteLeavesNoHalfChange(t *testing.T) {
	diskFull := errors.New("injected: no space left on device")
	for _, stage := range []string{"incident", "events", "outbox"} {
		t.Run("apply fails after "+stage, func(t *testing.T) {
			d, _ := newDB(t)
			declare(t, d, "x")
			setChannel(t, d, 1, "C1")
			drained(d)
			before := snap(t, d, 1)

			d.fault = func(s string) error {
				if s == stage {
					return diskFull
				}
				return nil
			}
			// Closing touches state, open index, events and outbox at once.
			_, err := d.Apply(1, cmdFn(forceClose, t0))
			if !errors.Is(err, diskFull) {
				t.Fatalf("Apply = %v, want the injected error", err)
			}
			if after := snap(t, d, 1); after != before {
				t.Fatalf("half-applied change:\nbefore %+v\nafter  %+v", before, after)
			}
			if open, _ := d.OpenIncidents(); len(open) != 1 {
				t.Fatal("open index changed")
			}
			if drained(d) {
				t.Fatal("Notify signalled for a failed write")
			}
			d.fault = nil
			if _, err := d.Apply(1, cmdFn(forceClose, t0)); err != nil {
				t.Fatalf("same command after the fault cleared: %v", err)
			}
		})
		t.Run("create fails after "+stage, func(t *testing.T) {
			d, _ := newDB(t)
			d.fault = func(s string) error {
				if s == stage {
					return diskFull
				}
				return nil
			}
			if _, err := d.Create(func(n uint64) (incident.Result, error) {
				return incident.Declare(n, incident.Declaration{Title: "x", Declarer: "U1"}, t0)
			}); !errors.Is(err, diskFull) {
				t.Fatalf("Create = %v", err)
			}
			if s, _ := d.Stats(); s.Incidents != 0 || s.Events != 0 || s.Outbox != 0 || s.MaxIncident != 0 || s.Open != 0 {
				t.Fatalf("failed create left %+v", s)
			}
		})
	}
}

// The database itself refuses writes (opened read-only): every write
// method fails and nothing changes; a command's write says so with the
// store's ErrReadOnly, which is all the edge needs to word it.
func TestReadOnlyDatabaseRefusesWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fb.db")
	populated(t, path, 2)
	d, err := open(path, Options{}, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAndVerify(t, d) })
	before := snap(t, d, 2)
	writes := []struct {
		name    string
		command bool
		run     func() error
	}{
		{name: "Apply", command: true, run: func() error { _, err := d.Apply(2, cmdFn(note("x"), t0)); return err }},
		{name: "ApplyOnce", command: true, run: func() error { _, _, err := d.ApplyOnce("E1", 2, cmdFn(note("x"), t0)); return err }},
		{name: "Create", command: true, run: func() error {
			_, err := d.Create(func(n uint64) (incident.Result, error) {
				return incident.Declare(n, incident.Declaration{Title: "x", Declarer: "U1"}, t0)
			})
			return err
		}},
		{name: "SeenOnce", run: func() error { _, err := d.SeenOnce("E1"); return err }},
		{name: "Done", run: func() error { return d.Done(1) }},
		{name: "SetMeta", run: func() error { return d.SetMeta(2, "k", "v") }},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			err := w.run()
			if !errors.Is(err, berrors.ErrDatabaseReadOnly) {
				t.Fatalf("err = %v, want ErrDatabaseReadOnly", err)
			}
			if w.command && !errors.Is(err, ErrReadOnly) {
				t.Errorf("err = %v, want ErrReadOnly", err)
			}
		})
	}
	if after := snap(t, d, 2); after != before {
		t.Fatalf("read-only database changed: %+v → %+v", before, after)
	}
}

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
}
