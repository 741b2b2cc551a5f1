package demo

import (
	"errors"
	"net/http"
)

// The app's surfaces beyond channels: its Home tab and the shortcuts in a
// message's menu, both as the fake workspace has them from the app's
// manifest.

type shortcutJSON struct {
	Name       string `json:"name"`
	CallbackID string `json:"callback_id"`
}

// addHome puts in the state the Home view last published for me and the
// message shortcuts the app offers.
func (s *Server) addHome(st *stateJSON, me string) {
	st.Shortcuts = []shortcutJSON{}
	for _, sc := range s.slack.MessageShortcuts() {
		st.Shortcuts = append(st.Shortcuts, shortcutJSON{Name: sc.Name, CallbackID: sc.CallbackID})
	}
	if v, ok := s.slack.Home(me); ok {
		st.Home = &viewJSON{ID: v.ID, View: v.JSON}
	}
}

type homeReq struct {
	User     string `json:"user"`
	ActionID string `json:"action_id,omitempty"`
}

// handleHome opens the person's Home tab: Slack tells the app
// (app_home_opened), which publishes the view the page then shows.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	var req homeReq
	if !s.decode(w, r, &req) {
		return
	}
	if err := s.slack.OpenHome(req.User); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// handleHomeClick presses a button on the person's Home view.
func (s *Server) handleHomeClick(w http.ResponseWriter, r *http.Request) {
	var req homeReq
	if !s.decode(w, r, &req) {
		return
	}
	if req.ActionID == "" {
		fail(w, http.StatusBadRequest, errors.New("no action_id"))
		return
	}
	if _, err := s.slack.ClickHome(req.User, req.ActionID); err != nil {
		fail(w, http.StatusBadGateway, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

type shortcutReq struct {
	User       string `json:"user"`
	Channel    string `json:"channel"`
	TS         string `json:"ts"`
	CallbackID string `json:"callback_id"`
}

// handleShortcut uses a message shortcut on a message, as choosing it in
// the message's menu does.
func (s *Server) handleShortcut(w http.ResponseWriter, r *http.Request) {
	var req shortcutReq
	if !s.decode(w, r, &req) {
		return
	}
	if _, err := s.slack.MessageShortcut(req.User, req.Channel, req.TS, req.CallbackID); err != nil {
		fail(w, http.StatusBadGateway, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}
