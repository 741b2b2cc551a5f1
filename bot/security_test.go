package bot

import (
	"errors"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/firebreak-hq/firebreak/incident"
)

// TestPersonProblem: only people lead or hold roles.
func TestPersonProblem(t *testing.T) {
	person := &slack.User{ID: "UCAROL", Name: "carol"}
	cases := []struct {
		name string
		u    *slack.User
		err  error
		want string
	}{
		{"a person", person, nil, ""},
		{"a bot", &slack.User{ID: "U0BOT", IsBot: true}, nil, "The user <@U0BOT> is a bot, so it cannot lead INC-1: name a person."},
		{"an app user", &slack.User{ID: "U0APP", IsAppUser: true}, nil, "The user <@U0APP> is a bot, so it cannot lead INC-1: name a person."},
		{"Slackbot", &slack.User{ID: "USLACKBOT"}, nil, "Slackbot cannot lead INC-1: name a person."},
		{"deactivated", &slack.User{ID: "U0GONE", Deleted: true}, nil, "The account of <@U0GONE> is deactivated, so they cannot lead INC-1: name someone who can act."},
		{"unknown", nil, slack.SlackErrorResponse{Err: "user_not_found"}, "Slack knows no user U0GONE, so they cannot lead INC-1. Pick the person from the @-mention list."},
		{"Slack slow", nil, errors.New("context deadline exceeded"), "Firebreak could not look up <@U0GONE> in Slack (it did not answer in time), so nothing was changed. Try again in a moment."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := "U0GONE"
			if tc.u != nil {
				id = tc.u.ID
			}
			if got := personProblem(id, "lead INC-1", tc.u, tc.err); got != tc.want {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestForeignWorkspace: payloads are judged against the installed
// workspace, or its Enterprise Grid org for an org-wide install.
func TestForeignWorkspace(t *testing.T) {
	cases := []struct {
		name                       string
		team, ent, payTeam, payEnt string
		foreign                    bool
	}{
		{"same workspace", "T1", "", "T1", "", false},
		{"other workspace", "T1", "", "T2", "", true},
		{"no team in the payload", "T1", "", "", "", true},
		{"same org, other workspace", "T1", "E1", "T2", "E1", false},
		{"other org", "T1", "E1", "T2", "E2", true},
		{"enterprise id alone does not match a workspace install", "T1", "", "T2", "E1", true},
		{"auth.test named no workspace", "", "", "T9", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := &Bot{team: tc.team, enterprise: tc.ent}
			if got := b.foreign(tc.payTeam, tc.payEnt); got != tc.foreign {
				t.Fatalf("foreign(%q, %q) = %v", tc.payTeam, tc.payEnt, got)
			}
		})
	}
}

func TestSplitRequest(t *testing.T) {
	for in, want := range map[string]struct {
		step string
		req  int
		ok   bool
	}{
		"fix": {"fix", 0, true}, "fix:3": {"fix", 3, true}, "fix:0": {"", 0, false}, "fix:-1": {"", 0, false},
		"fix:x": {"", 0, false}, "fix:1:2": {"", 0, false}, "fix:9999999999": {"", 0, false}, "": {"", 0, true},
	} {
		s, r, err := splitRequest(in)
		if s != want.step || r != want.req || (err == nil) != want.ok {
			t.Errorf("splitRequest(%q) = %q, %d, %v", in, s, r, err)
		}
	}
}

// TestClockStepBackIsLogged: a backwards step of the clock absorbed by
// the domain is logged with how far it went.
func TestClockStepBackIsLogged(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	b := &Bot{log: zap.New(core)}
	b.noteClockBack(7, incident.Result{})
	if logs.Len() != 0 {
		t.Fatal("logged without a step back")
	}
	b.noteClockBack(7, incident.Result{ClockBack: 90 * time.Second})
	all := logs.All()
	if len(all) != 1 || all[0].ContextMap()["incident"] != "INC-7" || all[0].ContextMap()["behind"] != 90*time.Second {
		t.Fatalf("logged %+v", all)
	}
}
