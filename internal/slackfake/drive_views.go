package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

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
	payload := s.interactionLocked("view_submission", user, map[string]any{
		"api_app_id":    AppID,
		"trigger_id":    s.newTriggerLocked(user, ""),
		"view":          vj,
		"response_urls": []any{},
	})
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

// selectedKey is the field of view state holding a one-value element's choice.
// https://api.slack.com/reference/interaction-payloads/views#view_submission_fields
var selectedKey = map[string]string{
	"users_select":         "selected_user",
	"conversations_select": "selected_conversation",
	"channels_select":      "selected_channel",
	"datepicker":           "selected_date",
	"timepicker":           "selected_time",
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
			case "users_select", "conversations_select", "channels_select", "datepicker", "timepicker":
				entry[selectedKey[typ]] = nilIfEmpty(val)
			case "multi_users_select":
				entry["selected_users"] = splitList(val)
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
