package bot

import (
	"sync"
	"sync/atomic"
)

// workGroup is a WaitGroup that also says how much work is running, so
// that a caller can wait for the bot to be at rest instead of sleeping.
type workGroup struct {
	sync.WaitGroup
	n atomic.Int64
}

func (w *workGroup) Add(d int) {
	w.n.Add(int64(d))
	w.WaitGroup.Add(d)
}

func (w *workGroup) Done() {
	w.n.Add(-1)
	w.WaitGroup.Done()
}

// Busy reports how many handlers, replies, member fetches and App Home
// rounds the bot is running. Effects are not counted: they stay in the
// outbox until done.
func (b *Bot) Busy() int { return int(b.wg.n.Load()) + b.home.busy() }
