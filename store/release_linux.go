//go:build linux

package store

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// releaseMapped tells the kernel this process no longer needs the pages
// of the database file it has read so far (madvise MADV_DONTNEED on
// bbolt's read-only shared mapping). The file and the page cache are
// untouched; a later read faults the page back in. A long scan calls it
// between batches so that its resident memory stays that of one batch,
// not of the whole file. It must run inside a read transaction: that
// holds bbolt's mmap lock, so the mapping cannot move meanwhile.
func releaseMapped(db *bolt.DB, tx *bolt.Tx) {
	info := db.Info()
	if info == nil || info.Data == 0 || tx.Size() <= 0 {
		return
	}
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, info.Data, uintptr(tx.Size()), syscall.MADV_DONTNEED)
}
