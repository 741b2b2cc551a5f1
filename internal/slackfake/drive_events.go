package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// ---- events ----

// Event queues an events_api envelope wrapping inner (which needs at least "type") and
// returns the new event_id. It is delivered whatever channel it names.
func (s *Server) Event(inner map[string]any) string {
	s.mu.Lock()
	id := s.st.nextID("Ev")
	s.mu.Unlock()
	s.EventWithID(id, inner)
	return id
}

// EventWithID queues an events_api envelope with a chosen event_id, to redeliver on purpose.
func (s *Server) EventWithID(eventID string, inner map[string]any) {
	s.mu.Lock()
	s.eventLocked(eventID, inner)
	s.mu.Unlock()
}

func (s *Server) eventLocked(eventID string, inner map[string]any) {
	// Row "event_subscriptions": Slack sends only the events the app subscribes to.
	if !s.app.subscribed(inner) {
		s.st.dropped = append(s.st.dropped, subscription(inner))
		return
	}
	ev := map[string]any{}
	for k, v := range inner {
		ev[k] = v
	}
	if _, ok := ev["event_ts"]; !ok {
		ev["event_ts"] = s.st.nextTS()
	}
	payload := map[string]any{
		"token":      "verification-token",
		"team_id":    TeamID,
		"api_app_id": AppID,
		"type":       "event_callback",
		"event":      ev,
		"event_id":   eventID,
		"event_time": time.Now().Unix(),
		"authorizations": []any{map[string]any{"enterprise_id": nil, "team_id": TeamID, "user_id": BotUserID,
			"is_bot": true, "is_enterprise_install": false}},
		"is_ext_shared_channel": false,
		"event_context":         "4-" + eventID,
	}
	b, _ := json.Marshal(payload)
	s.enqueueLocked(&envelope{Envelope: Envelope{Type: EnvelopeEvents, EventID: eventID, Payload: b}, kind: "event"})
}

// emitLocked sends an event only where Slack would: in channels the bot is a member of.
func (s *Server) emitLocked(c *channel, inner map[string]any) {
	if c == nil || !c.members[BotUserID] {
		return
	}
	s.eventLocked(s.st.nextID("Ev"), inner)
}

func channelType(c *channel) string {
	switch {
	case c.IsIM:
		return "im"
	case c.IsPrivate:
		return "group"
	}
	return "channel"
}

func (s *Server) messageEventLocked(c *channel, m *message) map[string]any {
	ev := map[string]any{"type": "message", "channel": c.ID, "user": m.User, "text": m.Text, "ts": m.TS,
		"channel_type": channelType(c), "team": TeamID, "event_ts": m.TS}
	if m.ThreadTS != "" {
		ev["thread_ts"] = m.ThreadTS
	}
	if m.BotID != "" {
		ev["bot_id"] = m.BotID
		ev["app_id"] = AppID
	}
	if m.Subtype != "" {
		ev["subtype"] = m.Subtype
	}
	if len(m.Blocks) > 0 {
		ev["blocks"] = json.RawMessage(m.Blocks)
	}
	return ev
}

// PostAsUser posts text as user in channelID (the person must be a member) and returns its
// ts; the bot gets a message event if it is in the channel.
func (s *Server) PostAsUser(user, channelID, text string) (string, error) {
	return s.ReplyAsUser(user, channelID, "", text)
}

// ReplyAsUser posts in a thread (threadTS "" for top level) as PostAsUser does.
func (s *Server) ReplyAsUser(user, channelID, threadTS, text string) (string, error) {
	s.mu.Lock()
	c := s.st.channels[channelID]
	switch {
	case c == nil:
		s.mu.Unlock()
		return "", fmt.Errorf("slackfake: channel_not_found: %s", channelID)
	case c.IsArchived:
		s.mu.Unlock()
		return "", fmt.Errorf("slackfake: is_archived")
	case !c.members[user]:
		s.mu.Unlock()
		return "", fmt.Errorf("slackfake: not_in_channel: %s is not in %s", user, channelID)
	case threadTS != "" && c.find(threadTS) == nil:
		s.mu.Unlock()
		return "", fmt.Errorf("slackfake: thread_not_found")
	}
	m := &message{Message: Message{Channel: channelID, TS: s.st.nextTS(), ThreadTS: threadTS, User: user, Text: text}}
	c.msgs = append(c.msgs, m)
	s.emitLocked(c, s.messageEventLocked(c, m))
	s.mu.Unlock()
	s.publish(Change{Kind: ChangeMessagePosted, Channel: channelID, TS: m.TS, User: user})
	return m.TS, nil
}

// React adds :name: from user to a message, with a reaction_added event for the bot.
func (s *Server) React(user, channelID, ts, name string) error {
	s.mu.Lock()
	c := s.st.channels[channelID]
	if c == nil {
		s.mu.Unlock()
		return fmt.Errorf("slackfake: channel_not_found")
	}
	code := s.reactLocked(c, user, ts, name)
	s.mu.Unlock()
	if code != "" {
		return fmt.Errorf("slackfake: %s", code)
	}
	s.publish(Change{Kind: ChangeReaction, Channel: channelID, TS: ts, User: user})
	return nil
}

func (s *Server) reactLocked(c *channel, user, ts, name string) string {
	m := c.find(ts)
	if m == nil {
		return "message_not_found"
	}
	name = strings.Trim(name, ":")
	if m.reactions == nil {
		m.reactions = map[string][]string{}
	}
	if contains(m.reactions[name], user) {
		return "already_reacted"
	}
	if len(m.reactions[name]) == 0 {
		m.rorder = append(m.rorder, name)
	}
	m.reactions[name] = append(m.reactions[name], user)
	if user != BotUserID || s.cfg.ownEvents {
		s.emitLocked(c, map[string]any{"type": "reaction_added", "user": user, "reaction": name, "item_user": m.User,
			"item": map[string]any{"type": "message", "channel": c.ID, "ts": ts}})
	}
	return ""
}

// Pin pins a message as user, with a pin_added event for the bot.
func (s *Server) Pin(user, channelID, ts string) error {
	s.mu.Lock()
	c := s.st.channels[channelID]
	if c == nil {
		s.mu.Unlock()
		return fmt.Errorf("slackfake: channel_not_found")
	}
	code := s.pinLocked(c, user, ts)
	s.mu.Unlock()
	if code != "" {
		return fmt.Errorf("slackfake: %s", code)
	}
	s.publish(Change{Kind: ChangePin, Channel: channelID, TS: ts, User: user})
	return nil
}

func (s *Server) pinLocked(c *channel, user, ts string) string {
	m := c.find(ts)
	if m == nil {
		return "message_not_found"
	}
	if m.Pinned {
		return "already_pinned"
	}
	m.Pinned = true
	now := time.Now()
	c.pins = append(c.pins, Pin{Channel: c.ID, TS: ts, CreatedBy: user, Created: now})
	if user != BotUserID || s.cfg.ownEvents {
		msg := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "user": m.User, "pinned_to": []string{c.ID}}
		if m.BotID != "" {
			msg["bot_id"] = m.BotID
		}
		s.emitLocked(c, map[string]any{"type": "pin_added", "user": user, "channel_id": c.ID,
			"item":     map[string]any{"type": "message", "channel": c.ID, "message": msg, "created": now.Unix(), "created_by": user},
			"has_pins": true})
	}
	return ""
}

// Join makes user a member of channelID, with member_joined_channel for the bot (also when
// the one joining is the bot, as Slack does).
func (s *Server) Join(user, channelID string) error {
	return s.Invite("", channelID, user)
}

// Invite adds users to channelID on behalf of inviter ("" for a self-join).
func (s *Server) Invite(inviter, channelID string, users ...string) error {
	s.mu.Lock()
	c := s.st.channels[channelID]
	if c == nil {
		s.mu.Unlock()
		return fmt.Errorf("slackfake: channel_not_found")
	}
	if c.IsArchived {
		s.mu.Unlock()
		return fmt.Errorf("slackfake: is_archived")
	}
	for _, u := range users {
		if s.st.users[u] == nil {
			s.mu.Unlock()
			return fmt.Errorf("slackfake: user_not_found: %s", u)
		}
	}
	for _, u := range users {
		s.joinLocked(c, u, inviter)
	}
	s.mu.Unlock()
	s.publish(Change{Kind: ChangeChannel, Channel: channelID})
	return nil
}

func (s *Server) joinLocked(c *channel, user, inviter string) {
	if c.members[user] {
		return
	}
	c.addMember(user)
	if inviter == BotUserID && !s.cfg.ownEvents {
		return
	}
	ev := map[string]any{"type": "member_joined_channel", "user": user, "channel": c.ID,
		"channel_type": map[bool]string{true: "G", false: "C"}[c.IsPrivate], "team": TeamID}
	if inviter != "" {
		ev["inviter"] = inviter
	}
	s.emitLocked(c, ev)
}

// Leave removes user from channelID, as leaving or being removed does; the bot gets
// member_left_channel if it is still in the channel (and subscribes to it). Removing the bot
// itself is how a test takes it out of a channel.
func (s *Server) Leave(user, channelID string) error {
	s.mu.Lock()
	c := s.st.channels[channelID]
	if c == nil {
		s.mu.Unlock()
		return fmt.Errorf("slackfake: channel_not_found")
	}
	if !c.members[user] {
		s.mu.Unlock()
		return fmt.Errorf("slackfake: not_in_channel")
	}
	delete(c.members, user)
	for i, m := range c.Members {
		if m == user {
			c.Members = append(c.Members[:i:i], c.Members[i+1:]...)
			break
		}
	}
	s.emitLocked(c, map[string]any{"type": "member_left_channel", "user": user, "channel": c.ID,
		"channel_type": map[bool]string{true: "G", false: "C"}[c.IsPrivate], "team": TeamID})
	s.mu.Unlock()
	s.publish(Change{Kind: ChangeChannel, Channel: channelID})
	return nil
}

// Archive archives channelID, as a person doing so in Slack would.
func (s *Server) Archive(channelID string) error {
	return s.setChannel(channelID, func(c *channel) { c.IsArchived = true })
}

// MakePrivate turns channelID into a private channel, as a workspace admin can; from then on
// it is invisible to the bot unless the bot is a member.
func (s *Server) MakePrivate(channelID string) error {
	return s.setChannel(channelID, func(c *channel) { c.IsPrivate = true })
}

// RestrictPosting sets whether only admins may post in channelID, as the channel's posting
// permissions can; the bot's chat.postMessage there then answers restricted_action.
func (s *Server) RestrictPosting(channelID string, on bool) error {
	return s.setChannel(channelID, func(c *channel) { c.postingRestricted = on })
}

// setChannel changes channelID as a person (or an admin) does, and publishes the change.
func (s *Server) setChannel(channelID string, set func(c *channel)) error {
	s.mu.Lock()
	c := s.st.channels[channelID]
	if c != nil {
		set(c)
	}
	s.mu.Unlock()
	if c == nil {
		return fmt.Errorf("slackfake: channel_not_found")
	}
	s.publish(Change{Kind: ChangeChannel, Channel: channelID})
	return nil
}
