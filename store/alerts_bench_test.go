package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/firebreak-hq/firebreak/incident"
)

// BenchmarkAlertDedupeKeys records single alerts of one firing group, 32
// in flight (as concurrent hook requests are), on a durable database,
// once with dedupe keys that are hashes (as intake makes them, so each
// lands on a random leaf of the dedupe bucket) and once with keys that
// sort in arrival order. It reports the pages each alert costs the
// commit: random keys dirty about one more page per alert, which every
// commit writes and fsyncs (BENCHMARKS.md, "Alerts in").
func BenchmarkAlertDedupeKeys(b *testing.B) {
	for _, sorted := range []bool{false, true} {
		name := "hashed"
		if sorted {
			name = "sorted"
		}
		b.Run(name, func(b *testing.B) { benchAlerts(b, sorted, false, 1) })
	}
}

// BenchmarkAlertGroups is BenchmarkAlertDedupeKeys's hashed keys with the
// alerts spread over 50 open incidents, as in the paced hook test's
// 50-group variant: each alert of a commit touches its own incident's
// record and timeline.
func BenchmarkAlertGroups(b *testing.B) { benchAlerts(b, false, false, 50) }

func benchAlerts(b *testing.B, sorted, nosync bool, groups int) {
	d, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{NoSync: nosync})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { closeAndVerify(b, d) })
	for g := range groups {
		group := fmt.Sprintf("g%d", g)
		first := d.RecordAlertAsync("", group, func(open *incident.Incident, next uint64) (AlertDecision, error) {
			r, err := incident.DeclareFromAlert(next, incident.AlertDeclaration{Alert: incident.Alert{Source: "am", Group: group, Key: "k", Status: incident.AlertFiring, Title: "t"}, Severity: incident.Sev3, Playbook: incident.DefaultPlaybook()}, t0)
			return AlertDecision{Result: r, Create: true}, err
		})
		if _, err := first.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	st0 := d.db.Stats()
	b.ResetTimer()
	var inflight []*AlertCommit
	for i := 0; i < b.N; i++ {
		key := fmt.Sprintf("alert:%08d", i)
		if !sorted {
			h := sha256.Sum256([]byte(key))
			key = "alert:" + hex.EncodeToString(h[:])
		}
		group := fmt.Sprintf("g%d", i%groups)
		a := incident.Alert{Source: "am", Group: group, Key: fmt.Sprint(i), Status: incident.AlertFiring, Title: "t"}
		c := d.RecordAlertAsync(key, group, func(open *incident.Incident, next uint64) (AlertDecision, error) {
			r, err := incident.AttachAlert(*open, a, t0)
			return AlertDecision{Result: r}, err
		})
		inflight = append(inflight, c)
		if len(inflight) == 32 {
			if _, err := inflight[0].Wait(); err != nil {
				b.Fatal(err)
			}
			inflight = inflight[1:]
		}
	}
	for _, c := range inflight {
		if _, err := c.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	st1 := d.db.Stats()
	st := st1.Sub(&st0)
	b.ReportMetric(float64(st.TxStats.GetWrite())/float64(b.N), "pagewrites/alert")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
}
