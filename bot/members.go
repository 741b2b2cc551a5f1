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
//
// With several replicas Slack hands each member_left_channel to one of
// them, so the others' caches still say "yes" for someone who left. Every
// membership check is for an action that changes an incident, so a cached
// "yes" older than recheck is asked of Slack again before it is believed
// (within memberCheckBudget; past it, a "yes" younger than ttl is kept).
type members struct {
	mu       sync.Mutex
	now      func() time.Time
	ttl      time.Duration
	recheck  time.Duration
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

// MemberRecheck is how old a cached "is a member" may be and still be
// believed without asking Slack again: the longest a person who left an
// incident channel can still act through a replica that did not see the
// leave.
const MemberRecheck = 30 * time.Second

// memberTTL is how long a cached "is a member" is believed when Slack
// cannot be asked again in time.
const memberTTL = 10 * time.Minute

func newMembers(now func() time.Time, ttl, recheck time.Duration) *members {
	return &members{now: now, ttl: ttl, recheck: recheck, m: map[string]memberSet{}, fetching: map[string]chan struct{}{}, during: map[string][]memberNote{}}
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
// let a non-member act. A cached "yes" younger than recheck is believed;
// an older one is checked with Slack first, and kept when Slack does not
// answer within the budget only while younger than ttl. A cached "not a
// member" is always checked with Slack before it is believed.
func (b *Bot) isMember(ctx context.Context, channel, user string) (member, ok bool) {
	ms := b.members
	ms.mu.Lock()
	s, cached := ms.m[channel]
	var age time.Duration
	if cached {
		member = s.users[user]
		age = ms.now().Sub(s.fetched)
	}
	// A "no" is asked again: with several replicas Slack hands the join event to one of
	// them, so this one's cache may not have seen it. An old "yes" is asked again for the
	// same reason about the leave event.
	fresh := cached && member && age < ms.recheck
	wait := b.fetchLocked(channel, fresh)
	ms.mu.Unlock()
	if fresh {
		return true, true
	}
	// When Slack does not answer in time: a "yes" younger than ttl is kept, an older one
	// is unknown, and a "no" stays no.
	unanswered := func() (bool, bool) {
		switch {
		case cached && member && age < ms.ttl:
			return true, true
		case cached && member:
			return false, false
		}
		return false, cached
	}
	t := time.NewTimer(memberCheckBudget)
	defer t.Stop()
	select {
	case <-wait:
	case <-t.C:
		return unanswered()
	case <-ctx.Done():
		return unanswered()
	}
	ms.mu.Lock()
	defer ms.mu.Unlock()
	now, ok := ms.m[channel]
	if !ok || (cached && !now.fetched.After(s.fetched)) {
		return unanswered() // the fetch failed
	}
	return now.users[user], true
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
			ms.m[channel] = memberSet{users: users, fetched: ms.now()}
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
