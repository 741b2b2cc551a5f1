package slackfake

import (
	"encoding/json"
	"time"
)

// ---- views ----

func (s *Server) viewArg(method string, p params) (map[string]any, *apiError) {
	raw := p.raw("view")
	if raw == nil {
		return nil, slackErr("invalid_arguments")
	}
	var v map[string]any
	if json.Unmarshal(raw, &v) != nil || v == nil {
		return nil, slackErr("invalid_arguments")
	}
	if bv := validateModal(v); bv != nil {
		return nil, s.blocksErr(method, bv)
	}
	return v, nil
}

// useTrigger spends a trigger_id: once, and only within the TTL.
func (s *Server) useTrigger(id string) (*trigger, *apiError) {
	if id == "" {
		return nil, slackErr("invalid_arguments")
	}
	t := s.st.triggers[id]
	switch {
	case t == nil:
		return nil, slackErr("invalid_trigger_id")
	case t.used:
		return nil, slackErr("exchanged_trigger_id")
	case time.Since(t.created) > s.cfg.triggerTTL:
		return nil, slackErr("expired_trigger_id")
	}
	t.used = true
	return t, nil
}

func (s *Server) viewsOpen(p params, ch *[]Change) (map[string]any, *apiError) {
	v, err := s.viewArg("views.open", p)
	if err != nil {
		return nil, err
	}
	t, err := s.useTrigger(p.str("trigger_id"))
	if err != nil {
		return nil, err
	}
	nv := s.openViewLocked(t.user, v, "", "")
	*ch = append(*ch, Change{Kind: ChangeViewOpened, User: t.user, ViewID: nv.ID})
	return map[string]any{"view": s.viewPayloadLocked(nv)}, nil
}

func (s *Server) viewsPush(p params, ch *[]Change) (map[string]any, *apiError) {
	v, err := s.viewArg("views.push", p)
	if err != nil {
		return nil, err
	}
	t, err := s.useTrigger(p.str("trigger_id"))
	if err != nil {
		return nil, err
	}
	stack := s.st.stacks[t.user]
	if len(stack) == 0 {
		return nil, slackErr("not_found")
	}
	if len(stack) >= 3 {
		return nil, slackErr("push_limit_reached")
	}
	top := s.st.views[stack[len(stack)-1]]
	nv := s.openViewLocked(t.user, v, top.RootViewID, top.ID)
	*ch = append(*ch, Change{Kind: ChangeViewOpened, User: t.user, ViewID: nv.ID})
	return map[string]any{"view": s.viewPayloadLocked(nv)}, nil
}

func (s *Server) viewsUpdate(p params, ch *[]Change) (map[string]any, *apiError) {
	v, err := s.viewArg("views.update", p)
	if err != nil {
		return nil, err
	}
	var cur *view
	if id := p.str("view_id"); id != "" {
		cur = s.st.views[id]
	} else if ext := p.str("external_id"); ext != "" {
		for _, vv := range s.st.views {
			if vv.ExternalID == ext {
				cur = vv
			}
		}
	} else {
		return nil, slackErr("invalid_arguments")
	}
	if cur == nil {
		return nil, slackErr("not_found")
	}
	if h := p.str("hash"); h != "" && h != cur.Hash {
		return nil, slackErr("hash_conflict")
	}
	s.setViewLocked(cur, v)
	*ch = append(*ch, Change{Kind: ChangeViewUpdated, User: cur.User, ViewID: cur.ID})
	return map[string]any{"view": s.viewPayloadLocked(cur)}, nil
}
