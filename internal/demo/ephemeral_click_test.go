package demo

import (
	"testing"

	"github.com/slack-go/slack"

	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

// TestClickOnEphemeral: a button on an ephemeral message (the answer to a
// typo) reaches the app like any other click.
func TestClickOnEphemeral(t *testing.T) {
	e := newEnv(t)
	a := e.startApp(t)
	ts, err := e.api.PostEphemeral(slackfake.GeneralChannelID, slackfake.Alice, slack.MsgOptionText("did you mean", false),
		slack.MsgOptionBlocks(slack.NewActionBlock("typo:declare",
			slack.NewButtonBlockElement("incident.declare_typed", "frobnicate", slack.NewTextBlockObject("plain_text", "Declare", false, false)))))
	if err != nil {
		t.Fatal(err)
	}
	if status, msg := e.post(t, "/api/click", clickReq{User: slackfake.Alice, Channel: slackfake.GeneralChannelID, TS: ts, ActionID: "incident.declare_typed"}); status != 200 {
		t.Fatalf("click = %d %q", status, msg)
	}
	eventually(t, "the click", func() bool { acts, _ := a.seen(); return len(acts) == 1 })
	if acts, _ := a.seen(); acts[0].ActionID != "incident.declare_typed" || acts[0].Value != "frobnicate" {
		t.Fatalf("action %+v", acts[0])
	}
}
