package slackfake

import (
	"encoding/json"
	"time"
)

// ---- views ----

// viewArgs are the arguments of views.open, views.push, views.update and views.publish.
type viewArgs struct {
	View       json.RawMessage `form:"view"`
	TriggerID  string          `form:"trigger_id"`
	ViewID     string          `form:"view_id"`
	ExternalID string          `form:"external_id"`
	Hash       string          `form:"hash"`
	UserID     string          `form:"user_id"`
}

// viewResult is the answer of the views methods: the view as Slack now holds it (the app's
// own JSON with the ids, hash and state Slack adds).
type viewResult struct {
	View map[string]any `json:"view"`
}

// viewArg decodes and checks the view a views method was given.
func (a *api) viewArg(method string, raw json.RawMessage) (map[string]any, *apiError) {
	if raw == nil {
		return nil, slackErr("invalid_arguments")
	}
	var v map[string]any
	if json.Unmarshal(raw, &v) != nil || v == nil {
		return nil, slackErr("invalid_arguments")
	}
	if bv := validateModal(v); bv != nil {
		return nil, a.blocksErr(method, bv)
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

// openView opens a modal for the person whose trigger_id the call spends; under, given the
// person's open views, answers the view it goes over ("" ids for a new stack).
func (a *api) openView(method string, o viewArgs, under func(stack []string) (root, prev string, err *apiError)) (*viewResult, *apiError) {
	v, err := a.viewArg(method, o.View)
	if err != nil {
		return nil, err
	}
	t, err := a.useTrigger(o.TriggerID)
	if err != nil {
		return nil, err
	}
	root, prev, err := under(a.st.stacks[t.user])
	if err != nil {
		return nil, err
	}
	nv := a.openViewLocked(t.user, v, root, prev)
	a.changed(Change{Kind: ChangeViewOpened, User: t.user, ViewID: nv.ID})
	return &viewResult{View: a.viewPayloadLocked(nv)}, nil
}

// ViewsOpen is https://api.slack.com/methods/views.open: a new stack, replacing any open one.
func (a *api) ViewsOpen(o viewArgs) (*viewResult, *apiError) {
	return a.openView("views.open", o, func([]string) (string, string, *apiError) { return "", "", nil })
}

// ViewsPush is https://api.slack.com/methods/views.push: over the visible view, at most three
// views in a stack.
func (a *api) ViewsPush(o viewArgs) (*viewResult, *apiError) {
	return a.openView("views.push", o, func(stack []string) (string, string, *apiError) {
		if len(stack) == 0 {
			return "", "", slackErr("not_found")
		}
		if len(stack) >= 3 {
			return "", "", slackErr("push_limit_reached")
		}
		top := a.st.views[stack[len(stack)-1]]
		return top.RootViewID, top.ID, nil
	})
}

// ViewsUpdate is https://api.slack.com/methods/views.update: the view named by view_id or
// external_id, refused when hash is not its current one.
func (a *api) ViewsUpdate(o viewArgs) (*viewResult, *apiError) {
	v, err := a.viewArg("views.update", o.View)
	if err != nil {
		return nil, err
	}
	var cur *view
	switch {
	case o.ViewID != "":
		cur = a.st.views[o.ViewID]
	case o.ExternalID != "":
		for _, vv := range a.st.views {
			if vv.ExternalID == o.ExternalID {
				cur = vv
			}
		}
	default:
		return nil, slackErr("invalid_arguments")
	}
	if cur == nil {
		return nil, slackErr("not_found")
	}
	if o.Hash != "" && o.Hash != cur.Hash {
		return nil, slackErr("hash_conflict")
	}
	a.setViewLocked(cur, v)
	a.changed(Change{Kind: ChangeViewUpdated, User: cur.User, ViewID: cur.ID})
	return &viewResult{View: a.viewPayloadLocked(cur)}, nil
}
