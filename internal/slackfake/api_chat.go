package slackfake

import (
	"encoding/json"
	"strings"
	"time"
)

// ---- chat ----

// postTarget resolves chat.postMessage's channel, which may be a user id (a DM).
func (s *Server) postTarget(p params) (*channel, *apiError) {
	id := p.str("channel")
	if strings.HasPrefix(id, "U") || strings.HasPrefix(id, "W") {
		if s.st.users[id] == nil {
			return nil, slackErr("channel_not_found")
		}
		return s.imFor(id), nil
	}
	return s.chanFor(p, "channel")
}

func (s *Server) chatPostMessage(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.postTarget(p)
	if err == nil && c.IsIM && !s.app.messagesTab {
		// Row "messages_tab_disabled": the app's DMs live in its App Home Messages tab.
		err = slackErr(rule("messages_tab_disabled").Code)
	}
	if err == nil && c.postingRestricted {
		// Row "posting_restricted".
		err = slackErr(rule("posting_restricted").Code)
	}
	if err == nil {
		err = botCanWrite(c)
	}
	if err != nil {
		return nil, err
	}
	text, blocks := p.str("text"), p.raw("blocks")
	if text == "" && !hasBlocks(blocks) && !hasBlocks(p.raw("attachments")) {
		return nil, slackErr("no_text")
	}
	if e := s.checkMessageBlocks("chat.postMessage", text, blocks); e != nil {
		return nil, e
	}
	thread := p.str("thread_ts")
	if thread != "" {
		parent := c.find(thread)
		if parent == nil {
			return nil, slackErr("thread_not_found")
		}
		if parent.ThreadTS != "" {
			thread = parent.ThreadTS
		}
	}
	m := &message{Message: Message{Channel: c.ID, TS: s.st.nextTS(), ThreadTS: thread, User: BotUserID, BotID: BotID,
		Text: text, Blocks: compactJSON(blocks)}}
	c.msgs = append(c.msgs, m)
	if s.cfg.ownEvents {
		s.emitLocked(c, s.messageEventLocked(c, m))
	}
	*ch = append(*ch, Change{Kind: ChangeMessagePosted, Channel: c.ID, TS: m.TS})
	return map[string]any{"channel": c.ID, "ts": m.TS, "message": msgJSON(c, m)}, nil
}

func compactJSON(raw json.RawMessage) json.RawMessage {
	if !hasBlocks(raw) {
		return nil
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	b, _ := json.Marshal(v)
	return b
}

func (s *Server) botMessage(p params, tsKey string) (*channel, *message, *apiError) {
	c, err := s.chanFor(p, "channel")
	if err != nil {
		return nil, nil, err
	}
	m := c.find(p.str(tsKey))
	if m == nil {
		return nil, nil, slackErr("message_not_found")
	}
	return c, m, nil
}

func (s *Server) chatUpdate(p params, ch *[]Change) (map[string]any, *apiError) {
	c, m, err := s.botMessage(p, "ts")
	if err != nil {
		return nil, err
	}
	if err := botCanWrite(c); err != nil {
		return nil, err
	}
	if m.User != BotUserID {
		return nil, slackErr("cant_update_message")
	}
	text, blocks := p.str("text"), p.raw("blocks")
	if !p.has("text") && !p.has("blocks") {
		return nil, slackErr("no_text")
	}
	if e := s.checkMessageBlocks("chat.update", text, blocks); e != nil {
		return nil, e
	}
	if p.has("text") {
		m.Text = text
	}
	if p.has("blocks") {
		m.Blocks = compactJSON(blocks)
	}
	m.Edited = true
	if s.cfg.ownEvents {
		ev := map[string]any{"type": "message", "subtype": "message_changed", "channel": c.ID, "hidden": true,
			"ts": s.st.nextTS(), "channel_type": channelType(c), "message": msgJSON(c, m)}
		s.emitLocked(c, ev)
	}
	*ch = append(*ch, Change{Kind: ChangeMessageUpdated, Channel: c.ID, TS: m.TS})
	return map[string]any{"channel": c.ID, "ts": m.TS, "text": m.Text, "message": msgJSON(c, m)}, nil
}

func (s *Server) chatPostEphemeral(p params, ch *[]Change) (map[string]any, *apiError) {
	c, err := s.postTarget(p)
	if err == nil {
		err = botCanWrite(c)
	}
	if err != nil {
		return nil, err
	}
	user := p.str("user")
	if s.st.users[user] == nil {
		return nil, slackErr("user_not_found")
	}
	if !c.members[user] {
		return nil, slackErr("user_not_in_channel")
	}
	text, blocks := p.str("text"), p.raw("blocks")
	if text == "" && !hasBlocks(blocks) {
		return nil, slackErr("no_text")
	}
	if e := s.checkMessageBlocks("chat.postEphemeral", text, blocks); e != nil {
		return nil, e
	}
	ts := s.st.nextTS()
	s.st.ephemerals = append(s.st.ephemerals, Ephemeral{User: user, Channel: c.ID, TS: ts, Text: text,
		Blocks: compactJSON(blocks), Source: "chat.postEphemeral", Time: time.Now()})
	*ch = append(*ch, Change{Kind: ChangeEphemeral, Channel: c.ID, User: user, TS: ts})
	return map[string]any{"message_ts": ts}, nil
}

func (s *Server) chatDelete(p params, ch *[]Change) (map[string]any, *apiError) {
	c, m, err := s.botMessage(p, "ts")
	if err != nil {
		return nil, err
	}
	if m.User != BotUserID {
		return nil, slackErr("cant_delete_message")
	}
	m.deleted = true
	*ch = append(*ch, Change{Kind: ChangeMessageDeleted, Channel: c.ID, TS: m.TS})
	return map[string]any{"channel": c.ID, "ts": m.TS}, nil
}

func (s *Server) chatGetPermalink(p params, _ *[]Change) (map[string]any, *apiError) {
	c, m, err := s.botMessage(p, "message_ts")
	if err != nil {
		return nil, err
	}
	link := s.base + "/archives/" + c.ID + "/p" + strings.Replace(m.TS, ".", "", 1)
	if m.ThreadTS != "" && m.ThreadTS != m.TS {
		link += "?thread_ts=" + m.ThreadTS + "&cid=" + c.ID
	}
	return map[string]any{"channel": c.ID, "permalink": link}, nil
}
