package slackfake

import "fmt"

// ClickEphemeral presses the button action_id on an ephemeral message the person sees (found
// by its ts in Ephemerals) and waits for the ack. As in Slack, the payload's container says
// is_ephemeral and carries no stored message: the app answers through the response_url.
// https://api.slack.com/reference/interaction-payloads/block-actions
func (s *Server) ClickEphemeral(user, ephemeralTS, actionID string) (Ack, error) {
	s.mu.Lock()
	var eph *Ephemeral
	for i := range s.st.ephemerals {
		if e := &s.st.ephemerals[i]; e.User == user && e.TS == ephemeralTS {
			eph = e
			break
		}
	}
	if eph == nil {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackfake: no ephemeral %s for %s", ephemeralTS, user)
	}
	blockID, el, ok := findAction(decodeBlocks(eph.Blocks), actionID)
	if !ok {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackfake: ephemeral %s has no action_id %q", ephemeralTS, actionID)
	}
	action := s.pressLocked(blockID, actionID, el, false)
	action["value"] = el["value"]
	channelID := eph.Channel
	payload := s.blockActionsLocked(user, channelID, eph.TS, true, action)
	s.mu.Unlock()
	id, w := s.enqueueKind(EnvelopeInteractive, "block_actions", user, channelID, "", payload)
	return s.wait(id, w)
}
