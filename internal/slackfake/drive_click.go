package slackfake

import "fmt"

// findAction locates an interactive element by action_id in a block list and returns its
// block_id and the element.
func findAction(blocks []map[string]any, actionID string) (string, map[string]any, bool) {
	for _, b := range blocks {
		bid, _ := b["block_id"].(string)
		var els []any
		if e, ok := b["elements"].([]any); ok {
			els = append(els, e...)
		}
		if e, ok := b["accessory"]; ok {
			els = append(els, e)
		}
		if e, ok := b["element"]; ok {
			els = append(els, e)
		}
		for _, el := range els {
			m, ok := el.(map[string]any)
			if ok && m["action_id"] == actionID {
				return bid, m, true
			}
		}
	}
	return "", nil, false
}

func textOf(v any) string {
	if m, ok := v.(map[string]any); ok {
		s, _ := m["text"].(string)
		return s
	}
	return ""
}

func findOption(el map[string]any, value string) (map[string]any, bool) {
	var opts []any
	if o, ok := el["options"].([]any); ok {
		opts = append(opts, o...)
	}
	if groups, ok := el["option_groups"].([]any); ok {
		for _, g := range groups {
			if gm, ok := g.(map[string]any); ok {
				if o, ok := gm["options"].([]any); ok {
					opts = append(opts, o...)
				}
			}
		}
	}
	for _, o := range opts {
		if om, ok := o.(map[string]any); ok && om["value"] == value {
			return map[string]any{"text": map[string]any{"type": "plain_text", "text": textOf(om["text"]), "emoji": true}, "value": value}, true
		}
	}
	return nil, false
}

// Click presses the button action_id on a stored message and waits for the ack.
func (s *Server) Click(user, channelID, messageTS, actionID, value string) (Ack, error) {
	return s.clickAndWait(user, channelID, messageTS, actionID, value, false)
}

// SendClick is Click without waiting; it returns the envelope id.
func (s *Server) SendClick(user, channelID, messageTS, actionID, value string) (string, error) {
	id, _, err := s.sendClick(user, channelID, messageTS, actionID, value, false)
	return id, err
}

// ClickSelect picks the option with value in the select action_id on a stored message and
// waits for the ack.
func (s *Server) ClickSelect(user, channelID, messageTS, actionID, value string) (Ack, error) {
	return s.clickAndWait(user, channelID, messageTS, actionID, value, true)
}

func (s *Server) clickAndWait(user, channelID, messageTS, actionID, value string, isSelect bool) (Ack, error) {
	id, w, err := s.sendClick(user, channelID, messageTS, actionID, value, isSelect)
	if err != nil {
		return Ack{}, err
	}
	return s.wait(id, w)
}

func (s *Server) sendClick(user, channelID, messageTS, actionID, value string, isSelect bool) (string, chan Ack, error) {
	s.mu.Lock()
	c := s.st.channels[channelID]
	if c == nil {
		s.mu.Unlock()
		return "", nil, fmt.Errorf("slackfake: channel_not_found: %s", channelID)
	}
	m := c.find(messageTS)
	if m == nil {
		s.mu.Unlock()
		return "", nil, fmt.Errorf("slackfake: message_not_found: %s %s", channelID, messageTS)
	}
	blocks := decodeBlocks(m.Blocks)
	blockID, el, ok := findAction(blocks, actionID)
	if !ok {
		s.mu.Unlock()
		return "", nil, fmt.Errorf("slackfake: message %s has no action_id %q", messageTS, actionID)
	}
	action := s.pressLocked(blockID, actionID, el, isSelect)
	switch {
	case isSelect:
		opt, ok := findOption(el, value)
		if !ok {
			s.mu.Unlock()
			return "", nil, fmt.Errorf("slackfake: select %q has no option %q", actionID, value)
		}
		action["selected_option"] = opt
	default:
		if value == "" {
			value, _ = el["value"].(string)
		}
		action["value"] = value
	}
	msg := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "user": m.User, "team": TeamID}
	if m.BotID != "" {
		msg["bot_id"] = m.BotID
	}
	if len(blocks) > 0 {
		msg["blocks"] = blocks
	}
	if m.ThreadTS != "" {
		msg["thread_ts"] = m.ThreadTS
	}
	payload := s.blockActionsLocked(user, channelID, m.TS, false, action)
	payload["message"] = msg
	s.mu.Unlock()
	id, w := s.enqueueKind(EnvelopeInteractive, "block_actions", user, channelID, "", payload)
	return id, w, nil
}

// pressLocked is the action of pressing the element action_id of block blockID: a button
// carries its text, a select (the chosen option is added by the caller) does not.
func (s *Server) pressLocked(blockID, actionID string, el map[string]any, isSelect bool) map[string]any {
	elType, _ := el["type"].(string)
	action := map[string]any{"action_id": actionID, "block_id": blockID, "type": elType, "action_ts": s.st.nextTS()}
	if t, ok := el["text"]; ok && !isSelect {
		action["text"] = t
	}
	return action
}

// interactionLocked is an interaction payload of type typ by user: the fields every one
// carries (token, team, user, enterprise), and those given.
// https://api.slack.com/reference/interaction-payloads
func (s *Server) interactionLocked(typ, user string, fields map[string]any) map[string]any {
	payload := map[string]any{
		"type":                  typ,
		"token":                 "verification-token",
		"team":                  map[string]any{"id": TeamID, "domain": TeamDomain},
		"user":                  s.userObj(user),
		"enterprise":            nil,
		"is_enterprise_install": false,
	}
	for k, v := range fields {
		payload[k] = v
	}
	return payload
}

// actionsLocked is the block_actions payload of one action pressed by user in container; the
// trigger_id is tied to channelID ("" outside a channel).
// https://api.slack.com/reference/interaction-payloads/block-actions
func (s *Server) actionsLocked(user, channelID string, container, action map[string]any) map[string]any {
	return s.interactionLocked("block_actions", user, map[string]any{
		"api_app_id": AppID,
		"container":  container,
		"state":      map[string]any{"values": map[string]any{}},
		"trigger_id": s.newTriggerLocked(user, channelID),
		"actions":    []any{action},
	})
}

// blockActionsLocked is the block_actions payload of a press on a message at ts in channelID:
// an ephemeral one carries no stored message and its response_url is not tied to a message.
func (s *Server) blockActionsLocked(user, channelID, ts string, ephemeral bool, action map[string]any) map[string]any {
	responseTS := ts
	if ephemeral {
		responseTS = ""
	}
	payload := s.actionsLocked(user, channelID,
		map[string]any{"type": "message", "message_ts": ts, "channel_id": channelID, "is_ephemeral": ephemeral}, action)
	payload["channel"] = map[string]any{"id": channelID, "name": s.channelName(channelID)}
	payload["response_url"] = s.newResponseURLLocked(user, channelID, responseTS)
	return payload
}
