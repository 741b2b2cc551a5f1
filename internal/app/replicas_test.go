package app_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/firebreak-hq/firebreak/internal/app"
)

// TestOneLeaderAmongReplicas: three apps on one PostgreSQL schema; exactly one leads (runs
// the scheduler, review polls and the page lane), and when it stops another takes over,
// each time, until the last one left leads.
func TestOneLeaderAmongReplicas(t *testing.T) {
	dsn := pgSchema(t, "leader")
	ws := newWorkspace(t)
	ws.env["FIREBREAK_DB"] = dsn
	cfg, err := app.FromEnv(func(k string) string { return ws.env[k] })
	if err != nil {
		t.Fatal(err)
	}
	type replica struct {
		a      *app.App
		cancel context.CancelFunc
		done   chan error
	}
	var reps []*replica
	for i := 0; i < 3; i++ {
		a, err := app.New(cfg, app.Options{Logger: zaptest.NewLogger(t).Named("app"), NoHTTP: true, LeadEvery: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		r := &replica{a: a, cancel: cancel, done: make(chan error, 1)}
		go func() { r.done <- a.Run(ctx) }()
		reps = append(reps, r)
	}
	stop := func(r *replica) {
		r.cancel()
		if err := <-r.done; err != nil {
			t.Errorf("Run: %v", err)
		}
		_ = r.a.Close()
	}
	live := func() []*replica {
		var out []*replica
		for _, r := range reps {
			if r != nil {
				out = append(out, r)
			}
		}
		return out
	}
	defer func() {
		for _, r := range live() {
			stop(r)
		}
	}()
	waitFor(t, 20*time.Second, "three connections", func() bool { return ws.slack.Connections() == 3 })
	leader := func() (int, int) {
		n, who := 0, -1
		for i, r := range reps {
			if r != nil && r.a.Leading() {
				n++
				who = i
			}
		}
		return n, who
	}
	for round := 0; round < 3; round++ {
		var who int
		waitFor(t, 20*time.Second, "one leader", func() bool {
			n, w := leader()
			if n > 1 {
				t.Fatalf("%d replicas lead at once", n)
			}
			who = w
			return n == 1
		})
		if round == 2 {
			if len(live()) != 1 {
				t.Fatalf("%d replicas left", len(live()))
			}
			break
		}
		r := reps[who]
		reps[who] = nil
		stop(r)
	}
}
