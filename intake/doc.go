// Package intake takes alerts in over HTTP (`/hooks/alertmanager`,
// `/hooks/grafana`, `/hooks/generic`) and turns them into domain
// commands, as bot/ does for slash commands: one transaction records the
// alert, the incident it opens or joins and the effects, and the sender
// gets 202 only after that commit. A redelivered alert is recorded once
// (a dedupe key per alert in the same transaction).
//
// It owns the webhook formats, the hook tokens and the routing rules
// (FIREBREAK_ROUTES). It must not talk to Slack or a pager: what follows
// an alert is an effect in the outbox. It reaches storage only through
// the port in ports.go.
package intake
