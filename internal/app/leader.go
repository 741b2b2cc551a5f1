package app

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// leaderName is the lock the replicas contend for: whoever holds it runs the jobs that must
// happen once per due moment across replicas.
const leaderName = "firebreak-scheduler"

// DefaultLeadEvery is how often a replica that does not lead tries to take over.
const DefaultLeadEvery = 2 * time.Second

// Leading reports whether this process runs the once-per-moment jobs: the scheduler
// (reminders, the digest), review polls and the page lane. On bbolt the one process always
// leads.
func (a *App) Leading() bool { return a.leader.Load() }

// startLeading runs the led jobs as soon as this process holds the leader lock: at once when
// it can take it now (always on bbolt), else from a loop that tries every LeadEvery until ctx
// ends. The lock is held until ctx ends, so a leader hands over only by stopping, and a
// leader that dies frees it with its database session. The returned channel closes once the
// jobs have stopped and the lock is released.
func (a *App) startLeading(ctx context.Context) (<-chan struct{}, error) {
	done := make(chan struct{})
	start := func() (func(), error) {
		if err := a.Sched.Start(ctx); err != nil {
			return nil, err
		}
		reviews := a.startReviewPolls(ctx)
		var pagers sync.WaitGroup
		a.runPager(ctx, &pagers)
		return func() {
			<-reviews
			<-a.Sched.Done()
			pagers.Wait()
		}, nil
	}
	lead := func(release func()) error {
		a.leader.Store(true)
		wait, err := start()
		if err != nil {
			a.leader.Store(false)
			release()
			return err
		}
		go func() {
			defer close(done)
			<-ctx.Done()
			wait()
			a.leader.Store(false)
			release()
		}()
		return nil
	}
	release, ok, err := a.DB.TryLead(leaderName)
	if err != nil {
		a.log.Warn("cannot ask who leads; trying again", zap.Error(err))
	}
	if err == nil && ok {
		if err := lead(release); err != nil {
			return nil, err
		}
		return done, nil
	}
	a.log.Info("another replica leads: this one handles Slack and the outbox, and takes over reminders, the digest and pages if the leader stops")
	go func() {
		t := time.NewTicker(a.leadEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				close(done)
				return
			case <-t.C:
			}
			release, ok, err := a.DB.TryLead(leaderName)
			if err != nil {
				a.log.Warn("cannot ask who leads; trying again", zap.Error(err))
				continue
			}
			if !ok {
				continue
			}
			a.log.Info("this replica now leads: reminders, the digest and pages run here")
			if err := lead(release); err != nil {
				a.log.Error("cannot start the scheduler", zap.Error(err))
				close(done)
			}
			return
		}
	}()
	return done, nil
}
