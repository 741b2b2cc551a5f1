package slackfake

import (
	"strings"
	"time"
)

// ---- conversations ----

func (s *Server) convCreate(p params, ch *[]Change) (map[string]any, *apiError) {
	name := p.str("name")
	if code := validChannelName(name); code != "" {
		return nil, slackErr(code)
	}
	if s.st.channelByName(name) != nil {
		return nil, slackErr("name_taken")
	}
	c := s.st.addChannel(s.st.nextID("C"), name, p.boolean("is_private"), BotUserID, BotUserID)
	*ch = append(*ch, Change{Kind: ChangeChannel, Channel: c.ID})
	return map[string]any{"channel": convJSON(c)}, nil
}

func (s *Server) convInvite(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	users := splitList(p.str("users"))
	if len(users) == 0 {
		return nil, slackErr("no_user")
	}
	if max := lim("invite_users_per_call"); len(users) > max {
		return nil, slackErr(rule("invite_users_per_call").Code)
	}
	var errs []any
	var ok []string
	first := ""
	for _, u := range users {
		code := ""
		switch {
		case u == BotUserID:
			code = "cant_invite_self"
		case s.st.users[u] == nil:
			code = "user_not_found"
		case c.members[u]:
			code = "already_in_channel"
		}
		if code == "" {
			ok = append(ok, u)
			continue
		}
		if first == "" {
			first = code
		}
		errs = append(errs, map[string]any{"user": u, "ok": false, "error": code})
	}
	// Rows "invite_without_force" and "invite_with_force": without force (or with a single
	// user) Slack invites nobody when any invitee is refused; with force the valid ones are
	// invited and the others listed in errors.
	if first != "" && (!p.boolean("force") || len(ok) == 0) {
		e := slackErr(first)
		if len(users) > 1 {
			e.extra = map[string]any{"errors": errs}
		}
		return nil, e
	}
	for _, u := range ok {
		s.joinLocked(c, u, BotUserID)
	}
	*ch = append(*ch, Change{Kind: ChangeChannel, Channel: c.ID})
	out := map[string]any{"channel": convJSON(c)}
	if errs != nil {
		out["errors"] = errs
	}
	return out, nil
}

func (s *Server) convJoin(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, err
	}
	if c.IsIM || c.IsPrivate {
		return nil, slackErr("method_not_supported_for_channel_type")
	}
	if c.IsArchived {
		return nil, slackErr("is_archived")
	}
	out := map[string]any{}
	if c.members[BotUserID] {
		out["warning"] = "already_in_channel"
		out["response_metadata"] = map[string]any{"warnings": []string{"already_in_channel"}}
	} else {
		c.addMember(BotUserID)
		s.eventJoinLocked(c, BotUserID, "")
		*ch = append(*ch, Change{Kind: ChangeChannel, Channel: c.ID})
	}
	out["channel"] = convJSON(c)
	return out, nil
}

func (s *Server) eventJoinLocked(c *channel, user, inviter string) {
	ev := map[string]any{"type": "member_joined_channel", "user": user, "channel": c.ID,
		"channel_type": map[bool]string{true: "G", false: "C"}[c.IsPrivate], "team": TeamID}
	if inviter != "" {
		ev["inviter"] = inviter
	}
	s.emitLocked(c, ev)
}

func (s *Server) setText(p params, ch *[]Change, key string, set func(c *channel, v string)) (map[string]any, *apiError) {
	c, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	v := p.str(key)
	if runeLen(v) > 250 {
		return nil, slackErr("too_long")
	}
	set(c, v)
	c.lastSet = time.Now()
	*ch = append(*ch, Change{Kind: ChangeChannel, Channel: c.ID})
	return map[string]any{"channel": convJSON(c)}, nil
}

func (s *Server) convSetTopic(p params, ch *[]Change) (map[string]any, *apiError) {
	return s.setText(p, ch, "topic", func(c *channel, v string) { c.Topic = v })
}

func (s *Server) convSetPurpose(p params, ch *[]Change) (map[string]any, *apiError) {
	return s.setText(p, ch, "purpose", func(c *channel, v string) { c.Purpose = v })
}

func (s *Server) convInfo(p params, _ *[]Change) (map[string]any, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, err
	}
	return map[string]any{"channel": convJSON(c)}, nil
}

func (s *Server) convMembers(p params, _ *[]Change) (map[string]any, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, err
	}
	all := make([]any, len(c.Members))
	for i, m := range c.Members {
		all[i] = m
	}
	page, next := legacyPage(all, p)
	return map[string]any{"members": page, "response_metadata": map[string]any{"next_cursor": next}}, nil
}

func (s *Server) readable(p params) (*channel, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, err
	}
	if !c.members[BotUserID] {
		return nil, slackErr("not_in_channel")
	}
	return c, nil
}

func (s *Server) convHistory(p params, _ *[]Change) (map[string]any, *apiError) {
	c, err := s.readable(p)
	if err != nil {
		return nil, err
	}
	oldest, latest := p.str("oldest"), p.str("latest")
	incl := p.boolean("inclusive")
	var all []any
	for i := len(c.msgs) - 1; i >= 0; i-- {
		m := c.msgs[i]
		if m.deleted || (m.ThreadTS != "" && m.ThreadTS != m.TS) {
			continue
		}
		if oldest != "" && (tsLess(m.TS, oldest) || (!incl && m.TS == oldest)) {
			continue
		}
		if latest != "" && (tsLess(latest, m.TS) || (!incl && m.TS == latest)) {
			continue
		}
		all = append(all, msgJSON(c, m))
	}
	page, next := legacyPage(all, p)
	return map[string]any{"messages": page, "has_more": next != "", "pin_count": len(c.pins),
		"response_metadata": map[string]any{"next_cursor": next}}, nil
}

// tsLess compares Slack timestamps numerically (they are fixed-width after the dot).
func tsLess(a, b string) bool {
	ai, af, _ := strings.Cut(a, ".")
	bi, bf, _ := strings.Cut(b, ".")
	if len(ai) != len(bi) {
		return len(ai) < len(bi)
	}
	if ai != bi {
		return ai < bi
	}
	return af < bf
}

func (s *Server) convReplies(p params, _ *[]Change) (map[string]any, *apiError) {
	c, err := s.readable(p)
	if err != nil {
		return nil, err
	}
	ts := p.str("ts")
	parent := c.find(ts)
	if parent == nil {
		return nil, slackErr("thread_not_found")
	}
	root := ts
	if parent.ThreadTS != "" {
		root = parent.ThreadTS
	}
	var all []any
	for _, m := range c.msgs {
		if !m.deleted && (m.TS == root || m.ThreadTS == root) {
			all = append(all, msgJSON(c, m))
		}
	}
	page, next := legacyPage(all, p)
	return map[string]any{"messages": page, "has_more": next != "", "response_metadata": map[string]any{"next_cursor": next}}, nil
}

func (s *Server) convList(p params, _ *[]Change) (map[string]any, *apiError) {
	types := p.str("types")
	if types == "" {
		types = "public_channel"
	}
	want := map[string]bool{}
	for _, t := range splitList(types) {
		want[t] = true
	}
	var all []any
	for _, id := range s.st.chanOrder {
		c := s.st.channels[id]
		switch {
		case c.IsIM:
			if !want["im"] || !c.members[BotUserID] {
				continue
			}
		case c.IsPrivate:
			if !want["private_channel"] || !c.members[BotUserID] {
				continue
			}
		default:
			if !want["public_channel"] {
				continue
			}
		}
		if c.IsArchived && p.boolean("exclude_archived") {
			continue
		}
		all = append(all, convJSON(c))
	}
	page, next := legacyPage(all, p)
	return map[string]any{"channels": page, "response_metadata": map[string]any{"next_cursor": next}}, nil
}

func (s *Server) convArchive(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, err
	}
	switch {
	case c.ID == GeneralChannelID:
		return nil, slackErr("cant_archive_general")
	case c.IsIM:
		return nil, slackErr("method_not_supported_for_channel_type")
	case c.IsArchived:
		return nil, slackErr("already_archived")
	case !c.members[BotUserID]:
		return nil, slackErr("not_in_channel")
	}
	c.IsArchived = true
	*ch = append(*ch, Change{Kind: ChangeChannel, Channel: c.ID})
	return map[string]any{}, nil
}

func (s *Server) convRename(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	name := p.str("name")
	if code := validChannelName(name); code != "" {
		return nil, slackErr(code)
	}
	if o := s.st.channelByName(name); o != nil && o != c {
		return nil, slackErr("name_taken")
	}
	c.Name = name
	*ch = append(*ch, Change{Kind: ChangeChannel, Channel: c.ID})
	return map[string]any{"channel": convJSON(c)}, nil
}

func (s *Server) convOpen(p params, ch *[]Change) (map[string]any, *apiError) {
	users := splitList(p.str("users"))
	if len(users) != 1 {
		return nil, slackErr("users_list_not_supplied")
	}
	if s.st.users[users[0]] == nil {
		return nil, slackErr("user_not_found")
	}
	c := s.imFor(users[0])
	*ch = append(*ch, Change{Kind: ChangeChannel, Channel: c.ID})
	return map[string]any{"channel": map[string]any{"id": c.ID}}, nil
}
