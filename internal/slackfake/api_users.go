package slackfake

import (
	"strconv"
	"strings"
)

// ---- auth, team, users ----

func (s *Server) authTest(_ params, _ *[]Change) (map[string]any, *apiError) {
	return map[string]any{"url": s.base + "/", "team": TeamName, "user": BotName, "team_id": TeamID,
		"user_id": BotUserID, "bot_id": BotID, "is_enterprise_install": false}, nil
}

func (s *Server) appsConnectionsOpen(_ params, _ *[]Change) (map[string]any, *apiError) {
	t := s.st.nextID("tk")
	s.sm.tickets[t] = true
	return map[string]any{"url": "ws://" + strings.TrimPrefix(s.base, "http://") + "/ws?ticket=" + t}, nil
}

func (s *Server) teamInfo(_ params, _ *[]Change) (map[string]any, *apiError) {
	return map[string]any{"team": map[string]any{"id": TeamID, "name": TeamName, "domain": TeamDomain}}, nil
}

func (s *Server) usersInfo(p params, _ *[]Change) (map[string]any, *apiError) {
	u, err := s.userOr(p, "user")
	if err != nil {
		return nil, err
	}
	return map[string]any{"user": userJSON(u)}, nil
}

func (s *Server) usersList(p params, _ *[]Change) (map[string]any, *apiError) {
	var all []any
	for _, id := range s.st.userOrder {
		all = append(all, userJSON(s.st.users[id]))
	}
	page, next := paginate(all, p)
	return map[string]any{"members": page, "response_metadata": map[string]any{"next_cursor": next}}, nil
}

// usersConversations lists the conversations the calling bot is a member of
// (https://api.slack.com/methods/users.conversations); only public channels unless types
// asks for more.
func (s *Server) usersConversations(p params, _ *[]Change) (map[string]any, *apiError) {
	types := splitList(p.str("types"))
	if len(types) == 0 {
		types = []string{"public_channel"}
	}
	var all []any
	for _, id := range s.st.chanOrder {
		c := s.st.channels[id]
		if !c.members[BotUserID] || c.IsIM || (c.IsArchived && p.boolean("exclude_archived")) {
			continue
		}
		if (c.IsPrivate && contains(types, "private_channel")) || (!c.IsPrivate && contains(types, "public_channel")) {
			all = append(all, s.convJSON(c))
		}
	}
	page, next := paginate(all, p)
	return map[string]any{"channels": page, "response_metadata": map[string]any{"next_cursor": next}}, nil
}

// paginate applies Slack's cursor paging; the cursor is an opaque offset.
func paginate(all []any, p params) ([]any, string) {
	limit := p.integer("limit", 100)
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	start, _ := strconv.Atoi(strings.TrimPrefix(p.str("cursor"), "off:"))
	if start > len(all) || start < 0 {
		start = len(all)
	}
	end := min(start+limit, len(all))
	next := ""
	if end < len(all) {
		next = "off:" + strconv.Itoa(end)
	}
	page := all[start:end]
	if page == nil {
		page = []any{}
	}
	return page, next
}
