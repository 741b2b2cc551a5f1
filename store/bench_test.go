package store

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/firebreak-hq/firebreak/incident"
)

const benchWriters = 8

// benchAppend appends b.N timeline notes from 8 concurrent writers, one
// incident each (the bot's per-incident serial workers), on a durable
// database (fsync on every commit). Each writer has up to window appends
// in flight: window 1 waits for every append's own commit before the next.
func benchAppend(b *testing.B, noBatch bool, window int) {
	d, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { closeAndVerify(b, d) })
	d.noBatch = noBatch
	for range benchWriters {
		declare(b, d, "bench")
	}
	cmd := note("benchmark note: the p99 of checkout went from 300ms to 4s")
	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	for w := range benchWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn := cmdFn(cmd, t0)
			var inflight []*Commit
			wait := func(c *Commit) bool {
				if _, err := c.Wait(); err != nil {
					failed.Store(err)
					return false
				}
				return true
			}
			for next.Add(1) <= int64(b.N) {
				if len(inflight) == window {
					if !wait(inflight[0]) {
						return
					}
					inflight = inflight[1:]
				}
				inflight = append(inflight, d.ApplyAsync(uint64(w+1), fn))
			}
			for _, c := range inflight {
				if !wait(c) {
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	st, _ := d.Stats()
	if st.Events != b.N+benchWriters {
		b.Fatalf("%d events stored, want %d", st.Events, b.N+benchWriters)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAppendUpdate: one db.Update (one commit, fsync) per event, the
// baseline the others are compared with.
func BenchmarkAppendUpdate(b *testing.B) { benchAppend(b, true, 1) }

// BenchmarkAppendGroup: Apply through the group committer; each writer
// waits for its own commit before its next append (what the bot's
// per-incident queue does today).
func BenchmarkAppendGroup(b *testing.B) { benchAppend(b, false, 1) }

// BenchmarkAppendPipelined: ApplyAsync with up to 64 appends in flight per
// writer; every append is still durable when its Wait returns.
func BenchmarkAppendPipelined(b *testing.B) { benchAppend(b, false, 64) }

// BenchmarkFsync is the disk's floor: one 4 KiB page write plus fdatasync,
// as a bbolt commit does twice (pages, then meta).
func BenchmarkFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	for i := 0; b.Loop(); i++ {
		if _, err := f.WriteAt(page, int64(i%256)*4096); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/fsync")
}

// BenchmarkOpenStartup measures what the bot does at start-up — Open
// (including the schema check) and OpenIncidents — on a file holding
// 10,000 closed incidents with timelines and 5 open ones.
func BenchmarkOpenStartup(b *testing.B) {
	const closed, open = 10000, 5
	path := filepath.Join(b.TempDir(), "startup.db")
	d, err := Open(path, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	err = d.db.Update(func(tx *bolt.Tx) error {
		for i := range closed + open {
			n, _ := tx.Bucket(bIncidents).NextSequence()
			res, err := incident.Declare(n, incident.Declaration{Title: fmt.Sprintf("bench %d", i), Declarer: "U1"}, t0)
			if err != nil {
				return err
			}
			res.Effects = nil
			if _, err := d.persist(tx, nil, n, &res); err != nil {
				return err
			}
			if i >= closed {
				continue
			}
			inc := res.Incident
			for _, c := range []incident.Command{note("a"), note("b"), forceClose} {
				r, err := incident.Apply(inc, c, t0)
				if err != nil {
					return err
				}
				r.Effects = nil
				if _, err := d.persist(tx, &inc, n, &r); err != nil {
					return err
				}
				inc = r.Incident
			}
		}
		return syncSequences(tx)
	})
	if err != nil {
		b.Fatal(err)
	}
	st, _ := d.Stats()
	if err := d.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		d, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		incs, err := d.OpenIncidents()
		if err != nil || len(incs) != open {
			b.Fatalf("OpenIncidents = %d, %v", len(incs), err)
		}
		if err := d.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Incidents), "incidents")
	b.ReportMetric(float64(st.Events), "events")
	b.ReportMetric(float64(st.SizeBytes)/(1<<20), "MiB")
}
