package pgstore_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/store"
	"github.com/firebreak-hq/firebreak/store/pgstore"
	"github.com/firebreak-hq/firebreak/store/pgstore/pgtest"
)

const benchWriters = 8

// BenchmarkStores measures both backends in one run: durable timeline
// appends from 8 concurrent writers, one incident each (the bot's
// per-incident workers), each waiting for its own commit; events/s and
// the commit latency's p50 and p99. bbolt fsyncs every commit; PostgreSQL
// commits as the server is configured (its fsync and synchronous_commit
// settings are logged).
//
//	FIREBREAK_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -run '^$' -bench BenchmarkStores -benchtime 4000x ./store/pgstore/
func BenchmarkStores(b *testing.B) {
	b.Run("bbolt", func(b *testing.B) {
		d, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		benchAppends(b, d)
	})
	b.Run("postgres", func(b *testing.B) {
		dsn := pgtest.URL(b)
		logSettings(b, dsn)
		s, err := pgstore.Open(dsn, pgstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchAppends(b, s)
	})
}

func logSettings(b *testing.B, dsn string) {
	var v, fsync, sc string
	_ = pgtest.Conn(b, dsn).QueryRow(context.Background(), `SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')`).Scan(&v, &fsync, &sc)
	b.Logf("PostgreSQL %s, fsync=%s, synchronous_commit=%s", v, fsync, sc)
}

func benchAppends(b *testing.B, s store.Store) {
	for range benchWriters {
		if _, err := s.Create(func(n uint64) (incident.Result, error) {
			return incident.Declare(n, incident.Declaration{Title: "bench", Declarer: "U1"}, time.Now())
		}); err != nil {
			b.Fatal(err)
		}
	}
	cmd := incident.Command{Kind: incident.CmdNote, Actor: "U1", Text: "benchmark note: the p99 of checkout went from 300ms to 4s"}
	fn := func(inc incident.Incident) (incident.Result, error) { return incident.Apply(inc, cmd, time.Now()) }
	lat := make([][]time.Duration, benchWriters)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range benchWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				t := time.Now()
				if _, err := s.Apply(uint64(w+1), fn); err != nil {
					b.Error(err)
					return
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(float64(len(all))/el.Seconds(), "events/s")
	b.ReportMetric(ms(all[len(all)/2]), "p50-ms")
	b.ReportMetric(ms(all[len(all)*99/100]), "p99-ms")
}
