package bot

import (
	"context"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// members caches who is in each incident channel, so that the
// "only members act on the card" rule costs one conversations.members
// call per channel rather than one per click. Joins and leaves seen as
// events keep it current; entries expire so a missed event heals.
type members struct {
	mu  sync.Mutex
	ttl time.Duration
	m   map[string]memberSet
}

type memberSet struct {
	users   map[string]bool
	fetched time.Time
}

func newMembers(ttl time.Duration) *members {
	return &members{ttl: ttl, m: map[string]memberSet{}}
}

func (ms *members) note(channel, user string, in bool) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
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

// isMember reports membership; ok is false when Slack could not be asked,
// in which case the caller lets the action through rather than locking
// responders out during a Slack hiccup.
func (b *Bot) isMember(ctx context.Context, channel, user string) (member, ok bool) {
	ms := b.members
	ms.mu.Lock()
	s, cached := ms.m[channel]
	ms.mu.Unlock()
	if cached && time.Since(s.fetched) < ms.ttl {
		return s.users[user], true
	}
	users := map[string]bool{}
	cursor := ""
	for page := 0; page < 20; page++ {
		var ids []string
		var next string
		err := b.exec.call(ctx, "conversations.members", func(ctx context.Context) error {
			var err error
			ids, next, err = b.api.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{ChannelID: channel, Cursor: cursor, Limit: 1000})
			return err
		}, 2)
		if err != nil {
			return false, false
		}
		for _, id := range ids {
			users[id] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	ms.mu.Lock()
	ms.m[channel] = memberSet{users: users, fetched: time.Now()}
	ms.mu.Unlock()
	return users[user], true
}
