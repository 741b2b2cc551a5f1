package app_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// actionValue returns the value of the first button action on m whose
// value starts with prefix, or "".
func actionValue(m slackfake.Message, action, prefix string) string {
	for _, b := range m.BlocksDecoded {
		els, _ := b["elements"].([]any)
		for _, e := range els {
			em, _ := e.(map[string]any)
			if v, _ := em["value"].(string); em["action_id"] == action && strings.HasPrefix(v, prefix) {
				return v
			}
		}
	}
	return ""
}

// approveButton waits until the card of incident n offers Approve for
// step and returns that button's value, which names the request it
// answers (INC-<n>:<step>:<request>).
func (h *harness) approveButton(n uint64, step string) string {
	h.t.Helper()
	var v string
	h.eventually(fmt.Sprintf("approve button for INC-%d %s", n, step), func() bool {
		v = actionValue(h.card(h.incident(n)), "step.approve", fmt.Sprintf("INC-%d:%s:", n, step))
		return v != ""
	})
	return v
}

// requestApproval has user ask, from the card, for approval to run what
// where for step of inc, and returns the value of the Approve button the
// card then offers.
func (h *harness) requestApproval(user string, inc incident.Incident, step, what, where string) string {
	h.t.Helper()
	h.click(user, inc, "step.request_approval", inc.ID()+":"+step)
	v := h.openView(user, "step.request_approval")
	if _, err := h.slack.Submit(user, v.ID, map[string]map[string]string{"what": {"what": what}, "where": {"where": where}}); err != nil {
		h.t.Fatal(err)
	}
	return h.approveButton(inc.Number, step)
}

// carolJoins has carol join INC-1's channel and waits until her joining and bob's
// (the responder invited at declaration) are on the timeline.
func (h *harness) carolJoins(ch string) {
	h.t.Helper()
	h.join(carol, ch)
	h.waitJoined(1, carol)
	h.waitJoined(1, bob)
}

// takeLeadReminder moves the clock past the no-lead reminder of a sev1 declared with
// no lead, runs the scheduler (which must send that reminder alone) and returns the
// reminder's message in ch.
func (h *harness) takeLeadReminder(ch string) slackfake.Message {
	h.t.Helper()
	h.clock.Advance(6 * time.Minute)
	if n := h.tick(); n != 1 {
		h.t.Fatalf("want the no-lead reminder only, sent %d", n)
	}
	var m slackfake.Message
	h.eventually("take-lead reminder", func() bool { var ok bool; m, ok = h.messageWithAction(ch, "incident.take_lead"); return ok })
	return m
}

// waitJoined waits until user's joining incident n's channel is on its
// timeline (and so known to the bot's member check).
func (h *harness) waitJoined(n uint64, user string) {
	h.t.Helper()
	h.eventually(fmt.Sprintf("%s joined INC-%d", user, n), func() bool {
		for _, e := range h.events(n) {
			if e.Kind == incident.EvMemberJoined && e.Actor == user {
				return true
			}
		}
		return false
	})
}
