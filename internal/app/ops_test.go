package app_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
	"github.com/firebreak-hq/firebreak/store"
)

// TestBackupRestoreRoundTrip: a database made by real incidents is backed
// up while the bot runs, verified, a damaged copy is rejected, the backup
// is restored after the database is lost, and the product serves it again
// with numbering continuing.
func TestBackupRestoreRoundTrip(t *testing.T) {
	boltOnly(t)
	t.Parallel()
	h := startHarness(t)
	general := slackfake.GeneralChannelID
	for i, title := range []string{"new sev2 Checkout errors", "Search is slow"} {
		inc := h.declare(uint64(i+1), alice, general, title)
		h.slash(bob, inc.Channel, "note grafana shows 5xx at 31%")
		h.click(bob, inc, "step.done", inc.ID()+":"+inc.PhaseSteps(incident.PhaseStopBleeding)[0].ID)
	}
	h.eventually("effects performed", func() bool {
		d, err := h.db().OutboxDepth()
		return err == nil && d == 0 && countKind(h.events(1), incident.EvStepDone) == 1 && countKind(h.events(2), incident.EvStepDone) == 1
	})
	want := map[uint64]string{}
	for n := uint64(1); n <= 2; n++ {
		b, _ := json.Marshal(h.events(n))
		want[n] = string(b)
	}

	// Online backup, taken while the bot holds the file.
	dir := t.TempDir()
	backup := filepath.Join(dir, "fb-backup.db")
	if err := h.db().BackupFile(backup); err != nil {
		t.Fatal(err)
	}
	rep, err := store.Verify(backup)
	if err != nil || rep.Incidents != 2 || rep.MaxIncident != 2 || rep.Schema != store.SchemaVersion {
		t.Fatalf("backup verifies as %+v, %v", rep, err)
	}

	// A damaged copy is rejected by verify and by restore.
	raw, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	// Scramble every page header after the two meta pages, so the damage
	// hits pages in use wherever bbolt put them.
	for off := 2 * 4096; off+16 <= len(raw); off += 4096 {
		for i := off + 8; i < off+16; i++ {
			raw[i] ^= 0xA5
		}
	}
	damaged := filepath.Join(dir, "damaged.db")
	if err := os.WriteFile(damaged, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Verify(damaged); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("Verify of a damaged backup = %v, want ErrCorrupt", err)
	}

	// The live database moves on; restoring the older backup over it, or
	// over the live process, is refused.
	h.declare(3, carol, general, "Queue backlog")
	path := h.cfg.DBPath
	if err := store.Restore(backup, path, false); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("restore over the running bot = %v, want ErrLocked", err)
	}
	h.stop()
	if err := store.Restore(backup, path, false); !errors.Is(err, store.ErrRefused) {
		t.Fatalf("restore over a newer database = %v, want ErrRefused", err)
	}
	if err := store.Restore(damaged, path, true); err == nil {
		t.Fatal("a damaged backup was restored")
	}

	// The disk is lost; the backup comes back and is served.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := store.Restore(backup, path, false); err != nil {
		t.Fatal(err)
	}
	h.boot()
	for n := uint64(1); n <= 2; n++ {
		b, _ := json.Marshal(h.events(n))
		if string(b) != want[n] {
			t.Fatalf("INC-%d timeline differs after restore", n)
		}
	}
	if _, err := h.db().Get(3); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("INC-3 was declared after the backup, yet Get(3) = %v", err)
	}
	inc := h.ready(1)
	h.click(bob, inc, "step.assign", "INC-1:"+inc.PhaseSteps(incident.PhaseUnderstand)[0].ID)
	h.eventually("the restored card works", func() bool {
		st, _, _ := h.incident(1).Step(inc.PhaseSteps(incident.PhaseUnderstand)[0].ID)
		return st.Assignee == bob
	})
	// Numbering continues from the backup; the channel name INC-3 once
	// had in Slack is not in the way.
	if inc3 := h.declare(3, alice, general, "Queue backlog"); inc3.ChannelName == "" || inc3.Title != "Queue backlog" {
		t.Fatalf("INC-3 after restore: %+v", inc3)
	}
}
