package slackfake

import "time"

// ---- pins, bookmarks, reactions ----

func (s *Server) pinsAdd(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.writable(p.str("channel"))
	if err != nil {
		return nil, err
	}
	ts := p.str("timestamp")
	if ts == "" {
		return nil, slackErr("no_item_specified")
	}
	if code := s.pinLocked(c, BotUserID, ts); code != "" {
		return nil, slackErr(code)
	}
	*ch = append(*ch, Change{Kind: ChangePin, Channel: c.ID, TS: ts, User: BotUserID})
	return map[string]any{}, nil
}

func (s *Server) pinsRemove(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, err
	}
	ts := p.str("timestamp")
	m := c.find(ts)
	if m == nil {
		return nil, slackErr("message_not_found")
	}
	if !m.Pinned {
		return nil, slackErr("no_pin")
	}
	m.Pinned = false
	for i, pin := range c.pins {
		if pin.TS == ts {
			c.pins = append(c.pins[:i:i], c.pins[i+1:]...)
			break
		}
	}
	*ch = append(*ch, Change{Kind: ChangePin, Channel: c.ID, TS: ts, User: BotUserID})
	return map[string]any{}, nil
}

func (s *Server) pinsList(p params, _ *[]Change) (map[string]any, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, err
	}
	items := []any{}
	for i := len(c.pins) - 1; i >= 0; i-- {
		pin := c.pins[i]
		if m := c.find(pin.TS); m != nil {
			items = append(items, map[string]any{"type": "message", "channel": c.ID, "created": pin.Created.Unix(),
				"created_by": pin.CreatedBy, "message": msgJSON(c, m)})
		}
	}
	return map[string]any{"items": items}, nil
}

func (s *Server) bookmarksAdd(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.chanFor(p, "channel_id")
	if err != nil {
		return nil, err
	}
	if err := botCanWrite(c); err != nil {
		return nil, err
	}
	title, typ, link := p.str("title"), p.str("type"), p.str("link")
	if title == "" || typ == "" {
		return nil, slackErr("invalid_arguments")
	}
	if typ == "link" && link == "" {
		return nil, slackErr("invalid_link")
	}
	b := Bookmark{ID: s.st.nextID("Bk"), Channel: c.ID, Title: title, Link: link, Emoji: p.str("emoji"), Type: typ, Created: time.Now()}
	c.books = append(c.books, b)
	*ch = append(*ch, Change{Kind: ChangeBookmark, Channel: c.ID})
	return map[string]any{"bookmark": bookmarkObject(b)}, nil
}

func (s *Server) bookmarksList(p params, _ *[]Change) (map[string]any, *apiError) {
	c, err := s.chanFor(p, "channel_id")
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, b := range c.books {
		out = append(out, bookmarkObject(b))
	}
	return map[string]any{"bookmarks": out}, nil
}

func (s *Server) reactionsAdd(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.writable(p.str("channel"))
	if err != nil {
		return nil, err
	}
	name := p.str("name")
	if name == "" {
		return nil, slackErr("invalid_name")
	}
	ts := p.str("timestamp")
	if code := s.reactLocked(c, BotUserID, ts, name); code != "" {
		return nil, slackErr(code)
	}
	*ch = append(*ch, Change{Kind: ChangeReaction, Channel: c.ID, TS: ts, User: BotUserID})
	return map[string]any{}, nil
}
