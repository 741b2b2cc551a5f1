package slackfake

// SendRaw queues an envelope of type typ (EnvelopeSlash or
// EnvelopeInteractive) whose payload is exactly payload, and waits for its
// ack. It is for payloads Slack itself would not send but an attacker or a
// broken proxy might: another workspace's team_id, a JSON number where text
// belongs, a view that was never opened. kind is "slash", "block_actions"
// or "view_submission"; user and channel are whom a slash ack's text is
// shown to, as Slack would.
func (s *Server) SendRaw(typ, kind, user, channel string, payload map[string]any) (Ack, error) {
	id, w := s.enqueueKind(typ, kind, user, channel, "", payload)
	return s.wait(id, w)
}
