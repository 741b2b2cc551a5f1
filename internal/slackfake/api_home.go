package slackfake

import (
	"encoding/json"
	"fmt"
	"time"
)

// ---- App Home: views.publish ----
//
// https://api.slack.com/methods/views.publish: one Home view per person, replaced whole by each
// publish; not_enabled unless the app's Home tab is on; view_too_large beyond 250 kB;
// hash_conflict when a hash is passed that is not the current view's. A Home view holds at
// most 100 blocks (https://api.slack.com/reference/surfaces/views). Tier 4.

// ViewsPublish is views.publish.
func (a *api) ViewsPublish(o viewArgs) (*viewResult, *apiError) {
	if a.st.users[o.UserID] == nil {
		return nil, explained("invalid_arguments", "invalid `user_id`")
	}
	if !a.app.homeTab {
		return nil, slackErr(rule("home_tab_disabled").Code)
	}
	if n := len(o.View); n > lim("home_view_size") {
		a.st.blockErrs = append(a.st.blockErrs, BlockError{Method: "views.publish", Limit: "home_view_size",
			Detail: fmt.Sprintf("the view is %d bytes, more than %d", n, lim("home_view_size")), Time: time.Now()})
		return nil, slackErr(rule("home_view_size").Code)
	}
	var v map[string]any
	if json.Unmarshal(o.View, &v) != nil || v == nil {
		return nil, slackErr("invalid_arguments")
	}
	if v["type"] != "home" {
		return nil, explained("invalid_arguments", "views.publish takes a view of type home")
	}
	if bv := validateModal(v); bv != nil {
		return nil, a.blocksErr("views.publish", bv)
	}
	cur := a.st.homes[o.UserID]
	if o.Hash != "" && cur != nil && o.Hash != cur.Hash {
		return nil, slackErr("hash_conflict")
	}
	if cur == nil {
		cur = &view{View: View{ID: a.st.nextID("V"), User: o.UserID}}
		cur.RootViewID = cur.ID
		a.st.homes[o.UserID] = cur
	}
	a.setViewLocked(cur, v)
	a.st.publishes[o.UserID]++
	a.changed(Change{Kind: ChangeHome, User: o.UserID, ViewID: cur.ID})
	return &viewResult{View: a.viewPayloadLocked(cur)}, nil
}

// explained is the error code with Slack's explanation in response_metadata.
func explained(code, why string) *apiError {
	return &apiError{code: code, extra: map[string]any{
		"response_metadata": map[string]any{"messages": []string{"[ERROR] " + why}}}}
}

// Home returns the Home view last published for user; false when none was.
func (s *Server) Home(user string) (View, bool) {
	return snapshotOf(s, func() *view { return s.st.homes[user] })
}

// Publishes is how many times a Home view was published for user.
func (s *Server) Publishes(user string) int {
	return locked(s, func() int { return s.st.publishes[user] })
}

// OpenHome is user opening the app's Home tab: Slack sends app_home_opened (tab "home", the
// app's DM with the user as channel, and the view last published, if any) to an app that
// subscribes to it. https://api.slack.com/events/app_home_opened
func (s *Server) OpenHome(user string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.users[user] == nil {
		return fmt.Errorf("slackfake: no user %s", user)
	}
	if !s.app.homeTab {
		return fmt.Errorf("slackfake: the app's Home tab is not enabled")
	}
	im := s.imFor(user)
	ev := map[string]any{"type": "app_home_opened", "user": user, "channel": im.ID, "tab": "home"}
	if v := s.st.homes[user]; v != nil {
		ev["view"] = s.homePayloadLocked(v)
	}
	s.eventLocked(s.st.nextID("Ev"), ev)
	return nil
}

// homePayloadLocked is a Home view as payloads and events carry it.
func (s *Server) homePayloadLocked(v *view) map[string]any {
	pv := s.viewPayloadLocked(v)
	pv["type"] = "home"
	return pv
}

// ClickHome presses the button action_id on user's Home view and waits for the ack. The
// block_actions payload carries the view, a container of type view and no channel.
// https://api.slack.com/reference/interaction-payloads/block-actions
func (s *Server) ClickHome(user, actionID string) (Ack, error) {
	s.mu.Lock()
	v := s.st.homes[user]
	if v == nil {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackfake: %s has no Home view", user)
	}
	blockID, el, ok := findAction(decodeBlocks(blocksOf(v.raw)), actionID)
	if !ok {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackfake: the Home view of %s has no action_id %q", user, actionID)
	}
	action := s.pressLocked(blockID, actionID, el, false)
	action["value"], _ = el["value"].(string)
	payload := s.actionsLocked(user, "", map[string]any{"type": "view", "view_id": v.ID}, action)
	payload["view"] = s.homePayloadLocked(v)
	s.mu.Unlock()
	id, w := s.enqueueKind(EnvelopeInteractive, "block_actions", user, "", "", payload)
	return s.wait(id, w)
}

// SetHomeTab turns the app's Home tab on or off (features.app_home.home_tab_enabled).
func (s *Server) SetHomeTab(on bool) {
	s.mu.Lock()
	s.app.homeTab = on
	s.mu.Unlock()
}
