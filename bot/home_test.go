package bot

import (
	"testing"
	"time"
)

// TestHomePace: views.publish is paced at Slack's Tier 4 (100 in any
// minute): the 101st publish waits until the first leaves the window.
func TestHomePace(t *testing.T) {
	h := newHome(&Bot{})
	t0 := time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)
	for i := 0; i < HomePublishesPerMinute; i++ {
		if w := h.reserve(t0.Add(time.Duration(i) * 100 * time.Millisecond)); w != 0 {
			t.Fatalf("publish %d waits %s within the limit", i+1, w)
		}
	}
	at := t0.Add(20 * time.Second)
	if w := h.reserve(at); w != 40*time.Second {
		t.Fatalf("publish %d at +20s waits %s, want 40s", HomePublishesPerMinute+1, w)
	}
	// Asking does not take a slot: the answer is the same.
	if w := h.reserve(at); w != 40*time.Second {
		t.Fatalf("asking again waits %s", w)
	}
	if w := h.reserve(t0.Add(time.Minute + time.Millisecond)); w != 0 {
		t.Fatalf("a minute after the first publish, the next waits %s", w)
	}
	if w := h.reserve(t0.Add(time.Minute + 2*time.Millisecond)); w == 0 {
		t.Fatal("a second slot was free while the second publish was still within the minute")
	}
}
