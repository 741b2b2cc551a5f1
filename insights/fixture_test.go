package insights_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/store"
)

// story is one incident as the fixture plays it through the domain.
type story struct {
	sev        incident.Severity
	declared   time.Time
	mitigate   time.Duration // after declaration; 0: never
	resolve    time.Duration // after declaration; 0: never
	close      bool
	skip       []string
	followups  int
	started    time.Duration // correction: impact began this long before the declaration
	cancel     bool
	playbook   string
	extraNotes int
}

func openDB(t testing.TB) *store.DB {
	t.Helper()
	d, err := store.Open(filepath.Join(t.TempDir(), "f.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// play declares the incident and applies each command through the
// domain and the store, as the bot does.
func play(t testing.TB, d *store.DB, s story) {
	t.Helper()
	pb := incident.DefaultPlaybook()
	if s.playbook != "" {
		pb.Name = s.playbook
	}
	res, err := d.Create(func(n uint64) (incident.Result, error) {
		return incident.Declare(n, incident.Declaration{Title: "Checkout errors", Severity: s.sev, Playbook: pb, Declarer: "UALICE"}, s.declared)
	})
	if err != nil {
		t.Fatal(err)
	}
	n := res.Incident.Number
	at := s.declared
	do := func(after time.Duration, cmd incident.Command) {
		t.Helper()
		if cmd.Actor == "" {
			cmd.Actor = "UALICE"
		}
		now := s.declared.Add(after)
		if now.Before(at) {
			now = at
		}
		at = now
		if _, err := d.Apply(n, func(inc incident.Incident) (incident.Result, error) { return incident.Apply(inc, cmd, now) }); err != nil {
			t.Fatalf("%s %s: %v", incident.ID(n), cmd.Kind, err)
		}
	}
	if s.cancel {
		do(time.Minute, incident.Command{Kind: incident.CmdCancel, Text: "wrong channel"})
		return
	}
	for i := 0; i < s.extraNotes; i++ {
		do(time.Second, incident.Command{Kind: incident.CmdNote, Text: fmt.Sprintf("note %d", i)})
	}
	for _, id := range s.skip {
		do(2*time.Minute, incident.Command{Kind: incident.CmdStepSkip, StepID: id, Text: "not needed"})
	}
	for i := 0; i < s.followups; i++ {
		do(3*time.Minute, incident.Command{Kind: incident.CmdFollowup, Text: fmt.Sprintf("follow-up %d", i+1)})
	}
	if s.mitigate > 0 {
		do(s.mitigate, incident.Command{Kind: incident.CmdMitigated})
	}
	if s.resolve > 0 {
		do(s.resolve, incident.Command{Kind: incident.CmdResolve})
	}
	if s.close {
		do(s.resolve+time.Minute, incident.Command{Kind: incident.CmdClose, Force: true, Text: "verified by hand"})
	}
	if s.started > 0 {
		do(s.resolve+2*time.Minute, incident.Command{Kind: incident.CmdTimes, Role: "started", At: s.declared.Add(-s.started)})
	}
}
