package store

import (
	"fmt"
	"runtime/debug"
)

// recoverFault turns a panic while reading the file at path — including a
// memory fault on bbolt's mmap (SIGBUS, SIGSEGV), which the caller must
// have made a panic with guardFaults — into ErrCorrupt in *err. Deferred
// as `defer recoverFault(path, &err)` right after guardFaults.
func recoverFault(path string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: reading the file failed (%v): %w", path, r, ErrCorrupt)
	}
}

// guardFaults makes a memory fault in this goroutine a panic instead of a
// crash of the process, until the returned function restores the old
// setting: `defer guardFaults()()`.
func guardFaults() func() {
	old := debug.SetPanicOnFault(true)
	return func() { debug.SetPanicOnFault(old) }
}
