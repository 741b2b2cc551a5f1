package intake

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
)

// FlushEvery is the least time between two card refreshes (and channel
// summaries) caused by alerts of one group. The alerts themselves are
// committed before their 202 whatever this says; only telling Slack is
// spaced out, so a storm of single-alert deliveries costs a card update
// a second, not one per alert.
const FlushEvery = time.Second

// flusher remembers, per group, when Slack was last asked to show the
// alerts and which groups have alerts it has not shown yet.
type flusher struct {
	mu    sync.Mutex
	last  map[string]time.Time
	dirty map[string]bool
}

// due reports whether a delivery to group should flush now; when not,
// the group is marked for the background flush.
func (f *flusher) due(group string, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now.Sub(f.last[group]) >= FlushEvery {
		f.last[group] = now
		delete(f.dirty, group)
		return true
	}
	f.dirty[group] = true
	return false
}

func (f *flusher) takeDirty(now time.Time) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for g, t := range f.last {
		// Forget quiet groups, so memory follows the groups that fire.
		if now.Sub(t) > 10*FlushEvery && !f.dirty[g] {
			delete(f.last, g)
		}
	}
	for g := range f.dirty {
		if now.Sub(f.last[g]) >= FlushEvery {
			out = append(out, g)
			f.last[g] = now
			delete(f.dirty, g)
		}
	}
	return out
}

func (h *Hooks) flushWrite(group string) Pending {
	return h.cfg.Recorder.RecordAlert("", group, func(open *incident.Incident, _ uint64) (Decision, error) {
		if open == nil {
			return Decision{}, nil
		}
		return Decision{Result: incident.FlushAlerts(*open)}, nil
	})
}

// Run flushes the groups whose alerts are not on their card yet, every
// half second, until ctx ends. groups lists, at start, every group with
// an open incident: alerts committed just before a crash get their card
// refresh after the restart.
func (h *Hooks) Run(ctx context.Context, groups []string) {
	for _, g := range groups {
		if _, _, err := h.flushWrite(g).Wait(); err != nil {
			h.log.Warn("refreshing the alerts of an open incident failed", zap.Error(err))
		}
	}
	t := time.NewTicker(FlushEvery / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, g := range h.fl.takeDirty(time.Now()) {
			if _, _, err := h.flushWrite(g).Wait(); err != nil {
				h.log.Warn("refreshing the alerts of a group failed; the next alert retries", zap.Error(err))
				h.fl.mu.Lock()
				h.fl.dirty[g] = true
				h.fl.mu.Unlock()
			}
		}
	}
}
