package testwait

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestForReturnsOnceTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	if !For(5*time.Second, func() bool { return n.Add(1) == 3 }) {
		t.Fatal("the condition held on the third look, For said it did not")
	}
	if got := n.Load(); got != 3 {
		t.Fatalf("looked %d times, want 3", got)
	}
}

func TestForLooksAtOnceAndAfterTheDeadline(t *testing.T) {
	if !For(0, func() bool { return true }) {
		t.Fatal("a condition that holds at once was not seen")
	}
	var n atomic.Int32
	if For(20*time.Millisecond, func() bool { n.Add(1); return false }) {
		t.Fatal("a condition that never holds was reported held")
	}
	if n.Load() < 2 {
		t.Fatalf("looked %d times in 20 ms, want the first look and a last one", n.Load())
	}
}

func TestUntilFailsWithWhatItWaitedFor(t *testing.T) {
	rec := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Until(rec, 10*time.Millisecond, "the answer", func() bool { return false })
	}()
	<-done
	if want := "timed out after 10ms waiting for the answer"; rec.msg != want {
		t.Fatalf("failure %q, want %q", rec.msg, want)
	}
}

// recorder keeps the failure message and ends the goroutine as t.Fatalf would.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
