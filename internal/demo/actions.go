package demo

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"

	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// The actions a visitor takes. Each names the person acting; the fakes
// check the rest (that the channel exists, that the person is a member,
// that the button is on the message), and their errors are shown to the
// visitor as they are.

// reply is what an action answers besides "ok": true.
type reply map[string]any

// action serves a POST that acts as a person: it reads the body into a Req
// (see decode), lets do act, and answers {"ok": true} with what do adds,
// or do's error: 400, or 502 when it is badGateway's.
func action[Req any](s *Server, do func(Req) (reply, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req Req
		if !s.decode(w, r, &req) {
			return
		}
		more, err := do(req)
		if err != nil {
			status := http.StatusBadRequest
			if errors.As(err, new(gatewayError)) {
				status = http.StatusBadGateway
			}
			fail(w, status, err)
			return
		}
		out := map[string]any{"ok": true}
		maps.Copy(out, more)
		writeJSON(w, http.StatusOK, out)
	}
}

// gatewayError is the failure of an action the fake workspace forwards to
// the app (a slash command, a click, a submission, a shortcut), whether
// the workspace refused it or the app did not acknowledge it; it is
// answered 502, as a gateway's failure.
type gatewayError struct{ err error }

func (e gatewayError) Error() string { return e.err.Error() }
func (e gatewayError) Unwrap() error { return e.err }

// badGateway marks err (if any) as the app's: the action answers 502.
func badGateway(err error) error {
	if err == nil {
		return nil
	}
	return gatewayError{err}
}

type sendReq struct {
	User    string `json:"user"`
	Channel string `json:"channel"`
	Text    string `json:"text"`
}

// send posts what was typed in the composer: `/incident …` goes to the bot
// as the slash command, any other text is a message. Either way the text
// is first rewritten as Slack's client would (see slackify).
func (s *Server) send(req sendReq) (reply, error) {
	text := strings.TrimSpace(req.Text)
	if text == "" {
		return nil, errors.New("nothing to send")
	}
	if strings.HasPrefix(text, "/") {
		cmd, rest, _ := strings.Cut(text, " ")
		if cmd != slackfake.SlashCommand {
			return nil, fmt.Errorf("%s is not a command in this workspace; try %s help", cmd, slackfake.SlashCommand)
		}
		_, err := s.slack.Slash(req.User, req.Channel, s.slackify(req.User, strings.TrimSpace(rest), true))
		return nil, badGateway(err)
	}
	ts, err := s.slack.PostAsUser(req.User, req.Channel, s.slackify(req.User, text, false))
	if err != nil {
		return nil, err
	}
	return reply{"ts": ts}, nil
}

type clickReq struct {
	User     string `json:"user"`
	Channel  string `json:"channel"`
	TS       string `json:"ts"`
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
	// Select says value is the chosen option of a static_select.
	Select bool `json:"select"`
}

func (s *Server) click(req clickReq) (reply, error) {
	var err error
	if req.Select {
		_, err = s.slack.ClickSelect(req.User, req.Channel, req.TS, req.ActionID, req.Value)
	} else if s.isEphemeral(req.User, req.TS) {
		// A button on a message only this person sees, such as the
		// "did you mean" answer to a typo.
		_, err = s.slack.ClickEphemeral(req.User, req.TS, req.ActionID)
	} else {
		_, err = s.slack.Click(req.User, req.Channel, req.TS, req.ActionID, req.Value)
	}
	return nil, badGateway(err)
}

func (s *Server) isEphemeral(user, ts string) bool {
	for _, e := range s.slack.Ephemerals(user) {
		if e.TS == ts {
			return true
		}
	}
	return false
}

type submitReq struct {
	User   string                       `json:"user"`
	View   string                       `json:"view"`
	Values map[string]map[string]string `json:"values"`
}

// submit submits the modal; validation errors the bot returns stay on the
// view and come back in the state.
func (s *Server) submit(req submitReq) (reply, error) {
	ack, err := s.slack.Submit(req.User, req.View, req.Values)
	if err != nil {
		return nil, badGateway(err)
	}
	return reply{"errors": ack.Errors}, nil
}

func (s *Server) closeView(req submitReq) (reply, error) {
	return nil, s.slack.CloseView(req.User, req.View)
}

type messageReq struct {
	User    string `json:"user"`
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	Name    string `json:"name"`
}

func (s *Server) react(req messageReq) (reply, error) {
	if req.Name == "" {
		req.Name = "pushpin"
	}
	return nil, s.slack.React(req.User, req.Channel, req.TS, req.Name)
}

func (s *Server) pin(req messageReq) (reply, error) {
	return nil, s.slack.Pin(req.User, req.Channel, req.TS)
}

func (s *Server) join(req messageReq) (reply, error) {
	return nil, s.slack.Join(req.User, req.Channel)
}

// decode reads a JSON body whose "user" must be a person of the workspace
// (not the bot: the demo acts as people only).
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		fail(w, http.StatusBadRequest, fmt.Errorf("bad request body: %w", err))
		return false
	}
	var who struct {
		User string `json:"user"`
	}
	b, _ := json.Marshal(v)
	_ = json.Unmarshal(b, &who)
	if _, err := s.person(who.User); err != nil {
		fail(w, http.StatusBadRequest, err)
		return false
	}
	return true
}

// person checks that id is someone a visitor may act as.
func (s *Server) person(id string) (string, error) {
	for _, u := range s.slack.Users() {
		if u.ID == id && !u.IsBot {
			return id, nil
		}
	}
	return "", fmt.Errorf("unknown person %q", id)
}
