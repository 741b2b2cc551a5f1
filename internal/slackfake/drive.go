package slackfake

import (
	"encoding/json"
	"errors"
	"fmt"
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
