package bot

import (
	"context"
	"sort"

	"github.com/slack-go/slack"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// displayName resolves a user id to a display name, cached.
func (b *Bot) displayName(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	if v, ok := b.names.Load(id); ok {
		return v.(string)
	}
	u, err := b.userInfo(ctx, id, 3)
	if err != nil || u == nil {
		return id
	}
	name := DisplayName(u)
	b.names.Store(id, name)
	return name
}

// userInfo asks Slack about user (users.info), trying up to attempts times.
func (b *Bot) userInfo(ctx context.Context, user string, attempts int) (*slack.User, error) {
	var u *slack.User
	err := b.exec.call(ctx, "users.info", func(ctx context.Context) error {
		var err error
		u, err = b.api.GetUserInfoContext(ctx, user)
		return err
	}, attempts)
	return u, err
}

// DisplayName is how people are named in postmortems: the name they
// chose, else their real name, else their handle.
func DisplayName(u *slack.User) string {
	switch {
	case u.Profile.DisplayName != "":
		return u.Profile.DisplayName
	case u.RealName != "":
		return u.RealName
	}
	return u.Name
}

func (b *Bot) namesFor(ctx context.Context, inc incident.Incident, events []incident.Event) map[string]string {
	ids := ReferencedUsers(inc, events)
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		out[id] = b.displayName(ctx, id)
	}
	return out
}

// ReferencedUsers lists, sorted, every user id an incident and its
// timeline mention: whose display names a postmortem needs.
func ReferencedUsers(inc incident.Incident, events []incident.Event) []string {
	ids := map[string]bool{}
	for _, u := range inc.Responders() {
		ids[u] = true
	}
	for _, e := range events {
		if e.Actor != "" {
			ids[e.Actor] = true
		}
		for _, u := range templates.EventPeople(e) {
			ids[u] = true
		}
	}
	for _, f := range inc.Followups {
		ids[f.By] = true
	}
	delete(ids, "")
	keys := make([]string, 0, len(ids))
	for k := range ids {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
