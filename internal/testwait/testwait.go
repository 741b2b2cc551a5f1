// Package testwait is the one polling wait the tests share: it looks at a
// condition until the condition holds or the time given runs out. It only
// ever waits for something to happen; whether something did not happen is
// for a test to prove another way.
package testwait

import (
	"testing"
	"time"
)

// every is how often a condition is looked at.
const every = 5 * time.Millisecond

// For reports whether cond held within d. It looks at once, then every
// 5 ms, and a last time when d has passed.
func For(d time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	look := time.NewTicker(every)
	defer look.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-deadline.C:
			return cond()
		case <-look.C:
		}
	}
}

// Until fails t unless cond holds within d; what names the awaited
// condition in the failure.
func Until(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !For(d, cond) {
		t.Fatalf("timed out after %s waiting for %s", d, what)
	}
}
