package app

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/store"
)

// leaderName is the lock the replicas contend for: whoever holds it runs the jobs that must
// happen once per due moment across replicas.
const leaderName = "firebreak-scheduler"

// DefaultLeadEvery is how often a replica that does not lead tries to take over, and how
// often a leader's hold on the lock is checked (PostgreSQL).
const DefaultLeadEvery = 2 * time.Second

// Leading reports whether this process runs the once-per-moment jobs: the scheduler
// (reminders, the digest), review polls and the page lane. On bbolt the one process always
// leads. It turns false only once those jobs have stopped.
func (a *App) Leading() bool { return a.leader.Load() }

// LeadTerms is how many times this process has taken the lead.
func (a *App) LeadTerms() int64 { return a.leadTerms.Load() }

// startLeading runs the led jobs while this process holds the leader lock: at once when it
// can take it now (always on bbolt), else from a loop that tries every LeadEvery until ctx
// ends. A leader hands over by stopping, or when its lease is lost (on PostgreSQL the
// connection holding the lock ended: a failover, a cut connection): then it stops its jobs
// at once, since another replica may lead already, and after a pause of two rounds competes
// again like the others. A
// leader that dies frees the lock with its database session. The returned channel closes
// once the jobs have stopped and the lock is released.
func (a *App) startLeading(ctx context.Context) (<-chan struct{}, error) {
	done := make(chan struct{})
	lease, ok, err := a.DB.TryLead(leaderName)
	if err != nil {
		a.log.Warn("cannot ask who leads; trying again", zap.Error(err))
	}
	var stop func()
	if err == nil && ok {
		if stop, err = a.lead(ctx, lease); err != nil {
			return nil, err
		}
	} else {
		a.log.Info("another replica leads: this one handles Slack and the outbox, and takes over reminders, the digest and pages if the leader stops")
	}
	go func() {
		defer close(done)
		t := time.NewTicker(a.leadEvery)
		defer t.Stop()
		for {
			if stop != nil {
				select {
				case <-ctx.Done():
					stop()
					return
				case <-lease.Lost():
					a.log.Warn("lost the lead (the database connection holding it ended): reminders, the digest and pages stop here until this replica leads again")
					stop()
					stop = nil
					// A pause of two rounds, so that a replica whose connection is
					// healthy takes over first.
					t.Reset(2 * a.leadEvery)
					select {
					case <-ctx.Done():
						return
					case <-t.C:
					}
					t.Reset(a.leadEvery)
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			l, ok, err := a.DB.TryLead(leaderName)
			if err != nil {
				a.log.Warn("cannot ask who leads; trying again", zap.Error(err))
				continue
			}
			if !ok {
				continue
			}
			s, err := a.lead(ctx, l)
			if err != nil {
				a.log.Error("cannot start the scheduler", zap.Error(err))
				continue
			}
			a.log.Info("this replica now leads: reminders, the digest and pages run here")
			lease, stop = l, s
		}
	}()
	return done, nil
}

// lead starts the led jobs for one term under lease. The returned stop ends them, waits
// until they have stopped, and then releases the lease.
func (a *App) lead(ctx context.Context, lease *store.Lease) (func(), error) {
	term, cancel := context.WithCancel(ctx)
	a.leader.Store(true)
	if err := a.Sched.Start(term); err != nil {
		cancel()
		a.leader.Store(false)
		lease.Release()
		return nil, err
	}
	a.leadTerms.Add(1)
	sched := a.Sched.Done()
	reviews := a.startReviewPolls(term)
	var pagers sync.WaitGroup
	a.runPager(term, &pagers)
	return func() {
		cancel()
		<-reviews
		<-sched
		pagers.Wait()
		a.leader.Store(false)
		lease.Release()
	}, nil
}
