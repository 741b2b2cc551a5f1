package store

import "encoding/binary"

// Bucket names. Layout of the current schema (v5). Every value marked
// sealed starts with the CRC-32C of its key and value (seal.go):
//
//	meta        "schema" → uint64 version; "sequences" → sealed copy of
//	            the incidents and outbox sequences
//	incidents   n → sealed Incident JSON; bucket sequence = last incident number
//	events      n → nested bucket: seq → sealed Event JSON (sequence = last seq)
//	outbox      id → sealed OutboxItem JSON; sequence = last id
//	dedupe      key → sealed uint64 expiry (unix nanoseconds)
//	dedupe_exp  expiry|key → empty (lets pruning start at the oldest key)
//	alert_dedupe expiry|key → sealed empty, alert dedupe keys (v5)
//	open        n → empty, for every incident that is not closed
//	channels    Slack channel id → sealed n
//	pubmeta     n → nested bucket: key → sealed value
//	slack       n → sealed SlackRecord JSON (card ts, reply URL…), when any
var (
	bMeta      = []byte("meta")
	bIncidents = []byte("incidents")
	bEvents    = []byte("events")
	bOutbox    = []byte("outbox")
	bDedupe    = []byte("dedupe")
	bDedupeExp = []byte("dedupe_exp")
	bOpen      = []byte("open")
	bChannels  = []byte("channels")
	bPubmeta   = []byte("pubmeta")
	bSlack     = []byte("slack")

	kSchema = []byte("schema")
)

// u64 encodes n big-endian so keys sort numerically.
func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

// btou decodes a big-endian key; ok is false when b is not 8 bytes.
func btou(b []byte) (uint64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

// pair encodes two numbers as one 16-byte key (v1 flat events: n|seq).
func pair(a, b uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, a)
	binary.BigEndian.PutUint64(k[8:], b)
	return k
}
