package demo

import "errors"

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

// openHome opens the person's Home tab: Slack tells the app
// (app_home_opened), which publishes the view the page then shows.
func (s *Server) openHome(req homeReq) (reply, error) {
	return nil, s.slack.OpenHome(req.User)
}

// homeClick presses a button on the person's Home view.
func (s *Server) homeClick(req homeReq) (reply, error) {
	if req.ActionID == "" {
		return nil, errors.New("no action_id")
	}
	_, err := s.slack.ClickHome(req.User, req.ActionID)
	return nil, badGateway(err)
}

type shortcutReq struct {
	User       string `json:"user"`
	Channel    string `json:"channel"`
	TS         string `json:"ts"`
	CallbackID string `json:"callback_id"`
}

// shortcut uses a message shortcut on a message, as choosing it in the
// message's menu does.
func (s *Server) shortcut(req shortcutReq) (reply, error) {
	_, err := s.slack.MessageShortcut(req.User, req.Channel, req.TS, req.CallbackID)
	return nil, badGateway(err)
}
