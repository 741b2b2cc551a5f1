package store

// SetFault installs f, called at the named stages inside every write
// transaction ("incident", "events", "outbox"); a non-nil return aborts
// that transaction, as a full disk or a file gone read-only would. Only
// tests outside this package use it, to check what people are told when
// a write fails. Install it before the DB is shared between goroutines
// (f may consult its own synchronised switch), and pass nil to remove it.
func (d *DB) SetFault(f func(stage string) error) { d.fault = f }
