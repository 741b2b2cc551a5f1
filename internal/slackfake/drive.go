package slackfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNoAck is returned by the blocking drivers when the app did not ack in time; Slack then
// shows the person an error and does not redeliver.
var ErrNoAck = errors.New("slackfake: envelope not acknowledged in time")

// SlashCommand is the command name Slash sends.
const SlashCommand = "/incident"

func (s *Server) userObj(id string) map[string]any {
	u := s.st.users[id]
	name := id
	if u != nil {
		name = u.Name
	}
	return map[string]any{"id": id, "username": name, "name": name, "team_id": TeamID}
}

func (s *Server) channelName(id string) string {
	if c := s.st.channels[id]; c != nil {
		if c.IsIM {
			return "directmessage"
		}
		return c.Name
	}
	return ""
}

func (s *Server) newTriggerLocked(user, channel string) string {
	id := fmt.Sprintf("%d.%d.%s", time.Now().Unix(), 1700000000+s.st.seq, s.st.nextID("tr"))
	s.st.triggers[id] = &trigger{user: user, channel: channel, created: time.Now()}
	return id
}

func (s *Server) newResponseURLLocked(user, channel, messageTS string) string {
	id := s.st.nextID("R")
	s.st.respURLs[id] = &responseURL{user: user, channel: channel, messageTS: messageTS, created: time.Now()}
	return s.base + "/response/" + id
}

// enqueueKind builds and queues an envelope, and arms Slack's 3-second clock for envelopes
// a person is waiting on.
func (s *Server) enqueueKind(typ, kind, user, channel, viewID string, payload map[string]any) (string, chan Ack) {
	b, _ := json.Marshal(payload)
	e := &envelope{Envelope: Envelope{Type: typ, Payload: b}, user: user, channel: channel, viewID: viewID, kind: kind}
	w := make(chan Ack, 1)
	s.mu.Lock()
	id := s.enqueueLocked(e)
	s.sm.waiters[id] = w
	// Timers are not tracked: each callback checks s.closed, and keeping them would grow
	// without bound in long benchmarks and demos.
	time.AfterFunc(s.cfg.ackTimeout, func() { s.expire(e) })
	s.mu.Unlock()
	return id, w
}

func (s *Server) expire(e *envelope) {
	select {
	case <-s.closed:
		return
	default:
	}
	s.mu.Lock()
	if e.Acked {
		s.mu.Unlock()
		return
	}
	e.expired = true
	var ch []Change
	if e.Type == EnvelopeSlash {
		// What Slack shows the person when the app does not answer in time.
		s.st.ephemerals = append(s.st.ephemerals, Ephemeral{User: e.user, Channel: e.channel, TS: s.st.nextTS(),
			Text: SlashCommand + ` failed with the error "operation_timeout"`, Source: "timeout", Time: time.Now()})
		ch = append(ch, Change{Kind: ChangeEphemeral, User: e.user, Channel: e.channel})
	}
	s.mu.Unlock()
	s.publish(ch...)
}

func (s *Server) wait(id string, w chan Ack) (Ack, error) {
	t := time.NewTimer(s.cfg.ackTimeout)
	defer t.Stop()
	select {
	case a := <-w:
		return a, nil
	case <-t.C:
		s.mu.Lock()
		delete(s.sm.waiters, id)
		s.mu.Unlock()
		return Ack{EnvelopeID: id}, fmt.Errorf("%w: envelope %s", ErrNoAck, id)
	case <-s.closed:
		return Ack{EnvelopeID: id}, errClosed
	}
}

// SendSlash sends `/incident text` from user in channelID and returns the envelope id
// without waiting for the ack.
func (s *Server) SendSlash(user, channelID, text string) (string, error) {
	id, _, err := s.sendSlash(user, channelID, text)
	return id, err
}

// Slash sends `/incident text` from user in channelID and waits for the ack. A text or
// blocks ack payload is shown to the person (ephemeral, or in the channel for in_channel).
func (s *Server) Slash(user, channelID, text string) (Ack, error) {
	id, w, err := s.sendSlash(user, channelID, text)
	if err != nil {
		return Ack{}, err
	}
	return s.wait(id, w)
}

func (s *Server) sendSlash(user, channelID, text string) (string, chan Ack, error) {
	s.mu.Lock()
	if s.st.users[user] == nil {
		s.mu.Unlock()
		return "", nil, fmt.Errorf("slackfake: user_not_found: %s", user)
	}
	if s.st.channels[channelID] == nil {
		s.mu.Unlock()
		return "", nil, fmt.Errorf("slackfake: channel_not_found: %s", channelID)
	}
	payload := map[string]any{
		"token":                 "verification-token",
		"team_id":               TeamID,
		"team_domain":           TeamDomain,
		"channel_id":            channelID,
		"channel_name":          s.channelName(channelID),
		"user_id":               user,
		"user_name":             s.st.users[user].Name,
		"command":               SlashCommand,
		"text":                  text,
		"api_app_id":            AppID,
		"is_enterprise_install": "false",
		"response_url":          s.newResponseURLLocked(user, channelID, ""),
		"trigger_id":            s.newTriggerLocked(user, channelID),
	}
	s.mu.Unlock()
	id, w := s.enqueueKind(EnvelopeSlash, "slash", user, channelID, "", payload)
	return id, w, nil
}

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
	id, w, err := s.sendClick(user, channelID, messageTS, actionID, value, false)
	if err != nil {
		return Ack{}, err
	}
	return s.wait(id, w)
}

// SendClick is Click without waiting; it returns the envelope id.
func (s *Server) SendClick(user, channelID, messageTS, actionID, value string) (string, error) {
	id, _, err := s.sendClick(user, channelID, messageTS, actionID, value, false)
	return id, err
}

// ClickSelect picks the option with value in the select action_id on a stored message and
// waits for the ack.
func (s *Server) ClickSelect(user, channelID, messageTS, actionID, value string) (Ack, error) {
	id, w, err := s.sendClick(user, channelID, messageTS, actionID, value, true)
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
	elType, _ := el["type"].(string)
	action := map[string]any{"action_id": actionID, "block_id": blockID, "type": elType, "action_ts": s.st.nextTS()}
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
		if t, ok := el["text"]; ok {
			action["text"] = t
		}
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
	container := map[string]any{"type": "message", "message_ts": m.TS, "channel_id": channelID, "is_ephemeral": false}
	payload := map[string]any{
		"type":                  "block_actions",
		"token":                 "verification-token",
		"api_app_id":            AppID,
		"user":                  s.userObj(user),
		"team":                  map[string]any{"id": TeamID, "domain": TeamDomain},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": channelID, "name": s.channelName(channelID)},
		"container":             container,
		"message":               msg,
		"state":                 map[string]any{"values": map[string]any{}},
		"trigger_id":            s.newTriggerLocked(user, channelID),
		"response_url":          s.newResponseURLLocked(user, channelID, m.TS),
		"actions":               []any{action},
	}
	s.mu.Unlock()
	id, w := s.enqueueKind(EnvelopeInteractive, "block_actions", user, channelID, "", payload)
	return id, w, nil
}

// Submit submits the open modal viewID as user, with values keyed block_id → action_id →
// value (for selects, the option's value), and waits for the ack. A response_action of
// "errors" keeps the view open and the errors are in the Ack; otherwise the view is closed,
// updated, pushed over or cleared as the ack says.
func (s *Server) Submit(user, viewID string, values map[string]map[string]string) (Ack, error) {
	id, w, err := s.sendSubmit(user, viewID, values)
	if err != nil {
		return Ack{}, err
	}
	return s.wait(id, w)
}

// SendSubmit is Submit without waiting; it returns the envelope id.
func (s *Server) SendSubmit(user, viewID string, values map[string]map[string]string) (string, error) {
	id, _, err := s.sendSubmit(user, viewID, values)
	return id, err
}

func (s *Server) sendSubmit(user, viewID string, values map[string]map[string]string) (string, chan Ack, error) {
	s.mu.Lock()
	v := s.st.views[viewID]
	if v == nil || v.User != user {
		s.mu.Unlock()
		return "", nil, fmt.Errorf("slackfake: no open view %s for %s", viewID, user)
	}
	state, err := viewState(decodeBlocks(blocksOf(v.raw)), values)
	if err != nil {
		s.mu.Unlock()
		return "", nil, err
	}
	vj := s.viewPayloadLocked(v)
	vj["state"] = map[string]any{"values": state}
	payload := map[string]any{
		"type":                  "view_submission",
		"token":                 "verification-token",
		"api_app_id":            AppID,
		"team":                  map[string]any{"id": TeamID, "domain": TeamDomain},
		"user":                  s.userObj(user),
		"enterprise":            nil,
		"is_enterprise_install": false,
		"trigger_id":            s.newTriggerLocked(user, ""),
		"view":                  vj,
		"response_urls":         []any{},
	}
	s.mu.Unlock()
	id, w := s.enqueueKind(EnvelopeInteractive, "view_submission", user, "", viewID, payload)
	return id, w, nil
}

// CloseView closes a modal as the person's ✕ would, sending view_closed when the view asked
// for notify_on_close.
func (s *Server) CloseView(user, viewID string) error {
	s.mu.Lock()
	v := s.st.views[viewID]
	if v == nil || v.User != user {
		s.mu.Unlock()
		return fmt.Errorf("slackfake: no open view %s for %s", viewID, user)
	}
	notify, _ := v.raw["notify_on_close"].(bool)
	vj := s.viewPayloadLocked(v)
	ch := s.closeViewLocked(user, viewID, false)
	s.mu.Unlock()
	s.publish(ch...)
	if notify {
		s.enqueueKind(EnvelopeInteractive, "view_closed", user, "", viewID, map[string]any{
			"type": "view_closed", "token": "verification-token", "api_app_id": AppID,
			"team": map[string]any{"id": TeamID, "domain": TeamDomain}, "user": s.lockedUserObj(user),
			"view": vj, "is_cleared": false, "is_enterprise_install": false,
		})
	}
	return nil
}

func (s *Server) lockedUserObj(id string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userObj(id)
}

func (s *Server) viewPayloadLocked(v *view) map[string]any {
	out := map[string]any{}
	for k, val := range v.raw {
		out[k] = val
	}
	out["id"] = v.ID
	out["team_id"] = TeamID
	out["type"] = "modal"
	out["hash"] = v.Hash
	out["root_view_id"] = v.RootViewID
	out["previous_view_id"] = nilIfEmpty(v.PreviousViewID)
	out["app_id"] = AppID
	out["bot_id"] = BotID
	out["app_installed_team_id"] = TeamID
	out["external_id"] = v.ExternalID
	out["private_metadata"] = v.PrivateMetadata
	out["callback_id"] = v.CallbackID
	if _, ok := out["state"]; !ok {
		out["state"] = map[string]any{"values": map[string]any{}}
	}
	return out
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// viewState builds state.values as Slack does: every input block appears, with what the
// person entered (or null).
func viewState(blocks []map[string]any, values map[string]map[string]string) (map[string]any, error) {
	out := map[string]any{}
	used := map[string]bool{}
	for _, b := range blocks {
		bid, _ := b["block_id"].(string)
		var els []map[string]any
		if b["type"] == "input" {
			if e, ok := b["element"].(map[string]any); ok {
				els = append(els, e)
			}
		} else if b["type"] == "actions" {
			for _, e := range asSlice(b["elements"]) {
				if m, ok := e.(map[string]any); ok {
					els = append(els, m)
				}
			}
		}
		for _, el := range els {
			aid, _ := el["action_id"].(string)
			typ, _ := el["type"].(string)
			val, given := values[bid][aid]
			if given {
				used[bid+"\x00"+aid] = true
			} else if b["type"] != "input" {
				continue
			}
			entry := map[string]any{"type": typ}
			switch typ {
			case "static_select", "radio_buttons", "external_select":
				if !given {
					entry["selected_option"] = nil
					break
				}
				opt, ok := findOption(el, val)
				if !ok && typ != "external_select" {
					return nil, fmt.Errorf("slackfake: %s/%s has no option %q", bid, aid, val)
				}
				if !ok {
					opt = map[string]any{"text": map[string]any{"type": "plain_text", "text": val}, "value": val}
				}
				entry["selected_option"] = opt
			case "users_select":
				entry["selected_user"] = nilIfEmpty(val)
			case "conversations_select":
				entry["selected_conversation"] = nilIfEmpty(val)
			case "channels_select":
				entry["selected_channel"] = nilIfEmpty(val)
			case "multi_users_select":
				entry["selected_users"] = splitList(val)
			case "datepicker":
				entry["selected_date"] = nilIfEmpty(val)
			case "timepicker":
				entry["selected_time"] = nilIfEmpty(val)
			case "checkboxes", "multi_static_select":
				var opts []any
				for _, v := range splitList(val) {
					if o, ok := findOption(el, v); ok {
						opts = append(opts, o)
					}
				}
				entry["selected_options"] = opts
			default:
				entry["value"] = nilIfEmpty(val)
			}
			if out[bid] == nil {
				out[bid] = map[string]any{}
			}
			out[bid].(map[string]any)[aid] = entry
		}
	}
	for bid, acts := range values {
		for aid := range acts {
			if !used[bid+"\x00"+aid] {
				return nil, fmt.Errorf("slackfake: view has no input %s/%s", bid, aid)
			}
		}
	}
	return out, nil
}

func splitList(v string) []string {
	out := []string{}
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// actOnAckLocked does what Slack does with an ack payload.
func (s *Server) actOnAckLocked(e *envelope, payload json.RawMessage, a *Ack) []Change {
	var p map[string]any
	if len(payload) > 0 {
		_ = json.Unmarshal(payload, &p)
	}
	switch e.kind {
	case "slash":
		if p == nil {
			return nil
		}
		text, _ := p["text"].(string)
		var blocks json.RawMessage
		if p["blocks"] != nil {
			blocks, _ = json.Marshal(p["blocks"])
		}
		if text == "" && len(blocks) == 0 {
			return nil
		}
		if p["response_type"] == "in_channel" {
			if c := s.st.channels[e.channel]; c != nil {
				m := &message{Message: Message{Channel: c.ID, TS: s.st.nextTS(), User: BotUserID, BotID: BotID, Text: text, Blocks: blocks}}
				c.msgs = append(c.msgs, m)
				return []Change{{Kind: ChangeMessagePosted, Channel: c.ID, TS: m.TS}}
			}
		}
		s.st.ephemerals = append(s.st.ephemerals, Ephemeral{User: e.user, Channel: e.channel, TS: s.st.nextTS(),
			Text: text, Blocks: blocks, Source: "ack", Time: time.Now()})
		return []Change{{Kind: ChangeEphemeral, User: e.user, Channel: e.channel}}
	case "view_submission":
		ra, _ := p["response_action"].(string)
		a.ResponseAction = ra
		v := s.st.views[e.viewID]
		if v == nil {
			return nil
		}
		switch ra {
		case "errors":
			a.Errors = map[string]string{}
			if m, ok := p["errors"].(map[string]any); ok {
				for k, val := range m {
					a.Errors[k], _ = val.(string)
				}
			}
			v.Errors = a.Errors
			return []Change{{Kind: ChangeViewUpdated, User: e.user, ViewID: v.ID}}
		case "update":
			if nv, ok := p["view"].(map[string]any); ok {
				s.setViewLocked(v, nv)
				return []Change{{Kind: ChangeViewUpdated, User: e.user, ViewID: v.ID}}
			}
		case "push":
			if nv, ok := p["view"].(map[string]any); ok {
				pv := s.openViewLocked(e.user, nv, v.RootViewID, v.ID)
				return []Change{{Kind: ChangeViewOpened, User: e.user, ViewID: pv.ID}}
			}
		case "clear":
			return s.closeViewLocked(e.user, v.ID, true)
		}
		return s.closeViewLocked(e.user, v.ID, false)
	}
	return nil
}

func (s *Server) setViewLocked(v *view, raw map[string]any) {
	v.raw = raw
	v.JSON, _ = json.Marshal(raw)
	v.CallbackID, _ = raw["callback_id"].(string)
	v.PrivateMetadata, _ = raw["private_metadata"].(string)
	if ext, _ := raw["external_id"].(string); ext != "" {
		v.ExternalID = ext
	}
	v.Title = textOf(raw["title"])
	v.Type, _ = raw["type"].(string)
	v.Errors = nil
	v.Hash = fmt.Sprintf("%d.%s", time.Now().Unix(), s.st.nextID("h"))
}

func (s *Server) openViewLocked(user string, raw map[string]any, root, prev string) *view {
	v := &view{View: View{ID: s.st.nextID("V"), User: user, PreviousViewID: prev}}
	v.RootViewID = root
	if root == "" {
		v.RootViewID = v.ID
	}
	s.setViewLocked(v, raw)
	s.st.views[v.ID] = v
	if root == "" {
		for _, id := range s.st.stacks[user] {
			delete(s.st.views, id)
		}
		s.st.stacks[user] = nil
	}
	s.st.stacks[user] = append(s.st.stacks[user], v.ID)
	return v
}

// closeViewLocked closes viewID (and any view pushed over it), or the whole stack.
func (s *Server) closeViewLocked(user, viewID string, all bool) []Change {
	stack := s.st.stacks[user]
	idx := -1
	for i, id := range stack {
		if id == viewID {
			idx = i
		}
	}
	if idx < 0 {
		return nil
	}
	if all {
		idx = 0
	}
	var ch []Change
	for _, id := range stack[idx:] {
		delete(s.st.views, id)
		ch = append(ch, Change{Kind: ChangeViewClosed, User: user, ViewID: id})
	}
	s.st.stacks[user] = stack[:idx]
	if idx == 0 {
		delete(s.st.stacks, user)
	}
	return ch
}

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
	s.mu.Lock()
	c := s.st.channels[channelID]
	if c == nil {
		s.mu.Unlock()
		return fmt.Errorf("slackfake: channel_not_found")
	}
	c.IsArchived = true
	s.mu.Unlock()
	s.publish(Change{Kind: ChangeChannel, Channel: channelID})
	return nil
}

// MakePrivate turns channelID into a private channel, as a workspace admin can; from then on
// it is invisible to the bot unless the bot is a member.
func (s *Server) MakePrivate(channelID string) error {
	s.mu.Lock()
	c := s.st.channels[channelID]
	if c == nil {
		s.mu.Unlock()
		return fmt.Errorf("slackfake: channel_not_found")
	}
	c.IsPrivate = true
	s.mu.Unlock()
	s.publish(Change{Kind: ChangeChannel, Channel: channelID})
	return nil
}

// RestrictPosting sets whether only admins may post in channelID, as the channel's posting
// permissions can; the bot's chat.postMessage there then answers restricted_action.
func (s *Server) RestrictPosting(channelID string, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.channels[channelID]
	if c == nil {
		return fmt.Errorf("slackfake: channel_not_found")
	}
	c.postingRestricted = on
	return nil
}
