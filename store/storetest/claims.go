package storetest

import (
	"testing"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/store"
)

// withEffects is note plus k posts.
func withEffects(k int) func(incident.Incident) (incident.Result, error) {
	return func(inc incident.Incident) (incident.Result, error) {
		r, err := note("work")(inc)
		for range k {
			r.Effects = append(r.Effects, incident.Effect{Kind: incident.EffPost, Text: "x"})
		}
		return r, err
	}
}

func incidentsOf(rows []store.OutboxItem) map[uint64]int {
	m := map[uint64]int{}
	for _, r := range rows {
		m[r.Incident]++
	}
	return m
}

// testClaims: two processes reading the outbox at once never get the same
// row, and one incident's rows go to one process, so its effects are
// performed once and in order.
func testClaims(t *testing.T, b Backend, a store.Store) {
	other := b.Second(t, a)
	for range 4 {
		declare(t, a, "claims")
	}
	for n := uint64(1); n <= 4; n++ {
		mustApply(t, a, n, withEffects(3))
	}
	total := depth(t, a)
	ra, err := a.Pending(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ra) != total {
		t.Fatalf("first reader got %d of %d rows", len(ra), total)
	}
	rb, err := other.Pending(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rb) != 0 {
		t.Fatalf("a second process got %d rows another holds", len(rb))
	}
	// Rows committed later for an incident the first holds stay with it.
	mustApply(t, other, 2, withEffects(1))
	if rb, _ = other.Pending(0); len(rb) != 0 {
		t.Fatalf("the second process took a new row of an incident the first holds: %+v", rb)
	}
	// The first finishes incidents 1 and 2; a new incident's rows are free.
	var done []uint64
	ra, _ = a.Pending(0)
	for _, r := range ra {
		if r.Incident <= 2 {
			done = append(done, r.ID)
		}
	}
	if err := a.Done(done...); err != nil {
		t.Fatal(err)
	}
	declare(t, other, "fresh") // INC-5 with its declaration's effects
	rb, _ = other.Pending(0)
	got := incidentsOf(rb)
	if got[3] != 0 || got[4] != 0 || got[5] == 0 {
		t.Fatalf("second process claimed %v; want INC-5's rows and none of INC-3/4", got)
	}
	// Concurrent readers over a fresh backlog: every row once.
	if err := a.Done(ids(ra)...); err != nil {
		t.Fatal(err)
	}
	if err := other.Done(ids(rb)...); err != nil {
		t.Fatal(err)
	}
	for n := uint64(1); n <= 5; n++ {
		mustApply(t, a, n, withEffects(4))
	}
	seen := map[uint64]string{}
	owner := map[uint64]string{}
	for round := 0; depth(t, a) > 0 && round < 100; round++ {
		ch := make(chan []store.OutboxItem, 2)
		for _, s := range []store.Store{a, other} {
			go func() {
				rows, err := s.Pending(3)
				if err != nil {
					t.Error(err)
				}
				ch <- rows
			}()
		}
		// Both reads complete before anything is finished: a row finished
		// frees its incident for the other reader.
		both := [][]store.OutboxItem{<-ch, <-ch}
		for i, rows := range both {
			who := string(rune('A' + i))
			for _, r := range rows {
				if prev, dup := seen[r.ID]; dup {
					t.Fatalf("row %d returned twice (to %s, then %s)", r.ID, prev, who)
				}
				seen[r.ID] = who
				if o, ok := owner[r.Incident]; ok && o != who {
					t.Fatalf("INC-%d rows went to two readers at once", r.Incident)
				}
				owner[r.Incident] = who
			}
		}
		for _, rows := range both {
			if err := a.Done(ids(rows)...); err != nil {
				t.Fatal(err)
			}
		}
		clear(owner)
	}
	if d := depth(t, a); d != 0 {
		t.Fatalf("%d rows never claimed", d)
	}
}

func ids(rows []store.OutboxItem) []uint64 {
	out := make([]uint64, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

// testLease: the claims of a process that dies expire, and another
// process then performs its effects; those of a process that stops are
// released at once.
func testLease(t *testing.T, b Backend, a store.Store) {
	other := b.Second(t, a)
	declare(t, a, "lease")
	mustApply(t, a, 1, func(inc incident.Incident) (incident.Result, error) {
		r, err := withEffects(2)(inc)
		r.Effects = append(r.Effects, incident.Effect{Kind: incident.EffPageTrigger})
		return r, err
	})
	ra, err := a.Pending(0)
	if err != nil || len(ra) == 0 {
		t.Fatalf("Pending: %v %v", ra, err)
	}
	pa, err := a.PageOutbox().Pending(0)
	if err != nil || len(pa) != 1 {
		t.Fatalf("page Pending: %v %v", pa, err)
	}
	if rb, _ := other.Pending(0); len(rb) != 0 {
		t.Fatalf("claimed rows went to another process: %d", len(rb))
	}
	b.Crash(a)
	deadline := time.Now().Add(30 * time.Second)
	var rb, pb []store.OutboxItem
	for time.Now().Before(deadline) && (len(rb) < len(ra) || len(pb) < 1) {
		if len(rb) < len(ra) {
			rb, _ = other.Pending(0)
		}
		if len(pb) < 1 {
			pb, _ = other.PageOutbox().Pending(0)
		}
		time.Sleep(50 * time.Millisecond) // waiting for the lease to run out
	}
	if len(rb) != len(ra) || len(pb) != 1 {
		t.Fatalf("after the first process died: %d of %d rows, %d of 1 pages taken over", len(rb), len(ra), len(pb))
	}
	// A process that stops releases its claims at once.
	third := b.Second(t, other)
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	if rc, _ := third.Pending(0); len(rc) != len(ra) {
		t.Fatalf("after a clean stop: %d of %d rows", len(rc), len(ra))
	}
}
