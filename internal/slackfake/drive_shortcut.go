package slackfake

import "fmt"

// MessageShortcut is user choosing the app's message shortcut callbackID in the menu of the
// message at messageTS in channelID; it waits for the ack. Slack offers only the shortcuts the
// app declares (row "message_shortcuts"), on any message the person can see, whether or not the
// bot is in the conversation, and sends the whole message in the payload.
// https://api.slack.com/reference/interaction-payloads/shortcuts
func (s *Server) MessageShortcut(user, channelID, messageTS, callbackID string) (Ack, error) {
	id, w, err := s.sendShortcut(user, channelID, messageTS, callbackID)
	if err != nil {
		return Ack{}, err
	}
	return s.wait(id, w)
}

// SendMessageShortcut is MessageShortcut without waiting; it returns the envelope id.
func (s *Server) SendMessageShortcut(user, channelID, messageTS, callbackID string) (string, error) {
	id, _, err := s.sendShortcut(user, channelID, messageTS, callbackID)
	return id, err
}

func (s *Server) sendShortcut(user, channelID, messageTS, callbackID string) (string, chan Ack, error) {
	s.mu.Lock()
	if s.app.shortcuts != nil && !s.app.shortcuts[callbackID] {
		s.mu.Unlock()
		return "", nil, fmt.Errorf("slackfake: the app declares no message shortcut %q", callbackID)
	}
	c := s.st.channels[channelID]
	if c == nil {
		s.mu.Unlock()
		return "", nil, fmt.Errorf("slackfake: channel_not_found: %s", channelID)
	}
	if !c.members[user] && (c.IsPrivate || c.IsIM) {
		s.mu.Unlock()
		return "", nil, fmt.Errorf("slackfake: %s cannot see %s", user, channelID)
	}
	m := c.find(messageTS)
	if m == nil {
		s.mu.Unlock()
		return "", nil, fmt.Errorf("slackfake: message_not_found: %s %s", channelID, messageTS)
	}
	msg := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "user": m.User, "team": TeamID}
	if m.BotID != "" {
		msg["bot_id"] = m.BotID
	}
	if b := decodeBlocks(m.Blocks); len(b) > 0 {
		msg["blocks"] = b
	}
	if m.ThreadTS != "" {
		msg["thread_ts"] = m.ThreadTS
	}
	name := s.channelName(channelID)
	if c.IsPrivate {
		name = "privategroup"
	}
	payload := s.interactionLocked("message_action", user, map[string]any{
		"action_ts":    s.st.nextTS(),
		"channel":      map[string]any{"id": channelID, "name": name},
		"callback_id":  callbackID,
		"trigger_id":   s.newTriggerLocked(user, channelID),
		"response_url": s.newResponseURLLocked(user, channelID, ""),
		"message_ts":   m.TS,
		"message":      msg,
	})
	s.mu.Unlock()
	id, w := s.enqueueKind(EnvelopeInteractive, "message_action", user, channelID, "", payload)
	return id, w, nil
}
