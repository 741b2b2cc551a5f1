package bot

import (
	"context"
	"sync"
	"time"
)

// members caches who is in each incident channel, so that the
// "only members act on the card" rule costs one conversations.members
// call per channel rather than one per click. Joins and leaves seen as
// events keep it current; entries expire so a missed event heals.
type members struct {
	mu       sync.Mutex
	ttl      time.Duration
	m        map[string]memberSet
	fetching map[string]chan struct{} // channel → closed when its fetch ends
	// during holds the joins and leaves seen while a channel's fetch was
	// running; they are applied over its answer, which may predate them.
	during map[string][]memberNote
}

type memberNote struct {
	user string
	in   bool
}

type memberSet struct {
	users   map[string]bool
	fetched time.Time
}

// memberCheckBudget is how long a click may wait to learn membership.
// The click is acked only after its command is stored, and Slack allows
// 3 s for the whole of it: a slow or rate-limited conversations.members
// must not eat that. Past the budget the fetch carries on in the
// background and fills the cache for the next click.
const memberCheckBudget = time.Second

func newMembers(ttl time.Duration) *members {
	return &members{ttl: ttl, m: map[string]memberSet{}, fetching: map[string]chan struct{}{}, during: map[string][]memberNote{}}
}

func (ms *members) note(channel, user string, in bool) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if _, running := ms.fetching[channel]; running {
		ms.during[channel] = append(ms.during[channel], memberNote{user, in})
	}
	s, ok := ms.m[channel]
	if !ok {
		return
	}
	if in {
		s.users[user] = true
	} else {
		delete(s.users, user)
	}
}

// isMember reports membership; ok is false when Slack could not be asked
// in time, and callers then refuse (fail closed): a slow Slack must not
// let a non-member act. An expired entry is still answered from (joins
// and leaves kept it current) while it is refreshed; a cached "not a
// member" is checked with Slack before it is believed.
func (b *Bot) isMember(ctx context.Context, channel, user string) (member, ok bool) {
	ms := b.members
	ms.mu.Lock()
	s, cached := ms.m[channel]
	if cached {
		member = s.users[user]
	}
	// A "no" is asked again: with several replicas Slack hands the join event to one of
	// them, so this one's cache may not have seen it.
	wait := b.fetchLocked(channel, cached && member && time.Since(s.fetched) < ms.ttl)
	ms.mu.Unlock()
	if cached && member {
		return true, true
	}
	t := time.NewTimer(memberCheckBudget)
	defer t.Stop()
	select {
	case <-wait:
	case <-t.C:
		return false, cached
	case <-ctx.Done():
		return false, cached
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	s, fetched := ms.m[channel]
	if !fetched {
		return false, cached
	}
	return s.users[user], true
}

// warmMembers fetches channel's members in the background unless they
// are known, so that the first command in an incident channel is not
// the one that waits for Slack (or is refused when Slack is slow).
func (b *Bot) warmMembers(channel string) {
	ms := b.members
	ms.mu.Lock()
	_, cached := ms.m[channel]
	b.fetchLocked(channel, cached)
	ms.mu.Unlock()
}

// fetchLocked starts a fetch of channel's members unless fresh is true or
// one is already running, and returns a channel closed when the running
// fetch ends (nil when none runs). ms.mu must be held.
func (b *Bot) fetchLocked(channel string, fresh bool) chan struct{} {
	ms := b.members
	wait, inflight := ms.fetching[channel]
	if fresh || inflight {
		return wait
	}
	wait = make(chan struct{})
	ms.fetching[channel] = wait
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		users, err := b.fetchMembers(b.ctx(), channel)
		ms.mu.Lock()
		if err == nil {
			for _, n := range ms.during[channel] {
				if n.in {
					users[n.user] = true
				} else {
					delete(users, n.user)
				}
			}
			ms.m[channel] = memberSet{users: users, fetched: time.Now()}
		}
		delete(ms.during, channel)
		delete(ms.fetching, channel)
		ms.mu.Unlock()
		close(wait)
	}()
	return wait
}

func (b *Bot) fetchMembers(ctx context.Context, channel string) (map[string]bool, error) {
	return b.exec.members(ctx, channel, 20, 2)
}
