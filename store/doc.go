// Package store is Firebreak's persistence: one bbolt file holding every
// incident's state, its append-only timeline, the outbox of effects still
// to perform, Slack redelivery dedupe keys and publish bookkeeping.
//
// Store (contract.go) is the storage contract the rest of the product
// holds; *DB is its bbolt backend and store/pgstore its PostgreSQL one.
// Dump, Load and WriteFile (copy.go) copy a database's logical content
// between them; store/storetest is the suite both pass.
//
// What store owns:
//
//   - The transaction boundary. One use case is one bbolt transaction:
//     Create, Apply and ApplyOnce call the caller's pure function inside a
//     read-write transaction and commit the new incident state, its timeline
//     events (with sequence numbers assigned here) and its effects (as outbox
//     rows) together. If the process dies after the commit the outbox still
//     holds the effects; if it dies before, nothing happened.
//   - Buckets, keys (big-endian uint64 so they sort) and record encoding
//     (JSON, for readability and forward compatibility), each record
//     sealed with a CRC-32C of its key and value that every read checks
//     (seal.go): bbolt checksums only its meta pages.
//   - Beside each incident, the Slack side's record of it (card and
//     announcement ts, where it was declared and how to answer there;
//     slack.go), stored with the declaration and updated on its own, so the
//     incident record holds only what the domain decides.
//   - Indexes that keep start-up cheap: `open` (non-closed incidents) so
//     the bot never scans history, and `channels` (Slack channel → incident).
//   - The schema version and its migrations, up and down (schema.go).
//   - Backup, verification and restore of database files (backup.go).
//     Verification scans bbolt's page structure with plain reads before
//     mapping a file (pagescan.go), so a damaged file is an error, not a
//     crash of the process.
//
// What store must not do: it knows nothing about Slack, GitHub or the
// domain's rules (it stores the Slack record without reading meaning into
// it). It never decides whether a command is allowed — that is
// incident's job — and it never performs an effect; it only records them for
// the workers that drain the outbox. It performs no network I/O and never
// holds a read transaction open while a caller does.
//
// Concurrency: every write (Create, Apply, ApplyOnce, SeenOnce, Done,
// Retry) goes through one group committer (commit.go): a single goroutine
// runs everything queued in one read-write transaction and one fsync, with
// no timer, so a lone writer pays one commit and concurrent writers share
// them. CreateAsync and ApplyAsync queue a write and return a *Commit at
// once, so a caller can pipeline several writes and wait for each one's
// durability before acknowledging it. A write function that fails after it
// wrote something rolls its group back and the rest of the group is run
// again, so the functions passed to Create, Apply and ApplyOnce must be
// pure: read the state they are given, return a Result, touch nothing
// outside. incident.Declare and incident.Apply are. The Result returned to
// the caller is the one from the run that committed.
//
// Values read from bbolt are only valid inside their transaction; every
// method here decodes or copies before returning.
package store
