package fakehttp

import "sync"

// Alerts is what a pager service keeps: alerts in the order they were opened, and the open
// ones by deduplication key, so that an event with the key of an open alert joins it
// instead of opening another. Its methods are safe for concurrent use.
type Alerts[A any] struct {
	mu   sync.Mutex
	all  []*A
	open map[string]*A
}

// Open opens the alert made by create, kept open under key; when an alert is already open
// under key, join is given it instead. An empty key never deduplicates.
func (b *Alerts[A]) Open(key string, join func(a *A), create func() *A) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if a := b.open[key]; a != nil && key != "" {
		join(a)
		return
	}
	a := create()
	b.all = append(b.all, a)
	if key != "" {
		if b.open == nil {
			b.open = map[string]*A{}
		}
		b.open[key] = a
	}
}

// Close gives the alert open under key, if any, to close; from then on the key opens a new
// alert.
func (b *Alerts[A]) Close(key string, close func(a *A)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if a := b.open[key]; a != nil {
		close(a)
		delete(b.open, key)
	}
}

// List returns a copy (made by cp) of every alert, oldest first.
func (b *Alerts[A]) List(cp func(a A) A) []A {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]A, 0, len(b.all))
	for _, a := range b.all {
		out = append(out, cp(*a))
	}
	return out
}
