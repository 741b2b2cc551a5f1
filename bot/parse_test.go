package bot

import (
	"errors"
	"strings"
	"testing"

	"github.com/firebreak-hq/firebreak/incident"
)

func TestParseSlash(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    Parsed
		wantErr string // substring of the refusal; "" means success
	}{
		{name: "empty opens the modal", in: "  \n", want: Parsed{Sub: SubDeclareModal}},
		{name: "help", in: "help", want: Parsed{Sub: SubHelp}},
		{name: "help with words still helps", in: "HELP me", want: Parsed{Sub: SubHelp}},
		{name: "list", in: "ls", want: Parsed{Sub: SubList}},
		{name: "status", in: "Status", want: Parsed{Sub: SubStatus}},
		{name: "timeline", in: "timeline", want: Parsed{Sub: SubTimeline}},
		{name: "status with a title is refused with a hint", in: "status page is down", wantErr: "/incident new status page is down"},
		{name: "resolve with text is refused", in: "resolve fixed by rollback", wantErr: "takes no text"},
		{name: "mitigated with text is refused", in: "mitigated by the rollback", wantErr: "takes no text"},
		{name: "list with text is refused", in: "list open", wantErr: "takes no text"},
		{name: "refusal escapes what it echoes", in: "status <!channel>", wantErr: "&lt;!channel&gt;"},
		{name: "bare title", in: "Checkout returns 500", want: Parsed{Sub: SubDeclare, Title: "Checkout returns 500", Implicit: true}},
		{name: "new with severity and playbook", in: "new SEV2 playbook:Bad-Deploy  Checkout 500s ",
			want: Parsed{Sub: SubDeclare, Severity: incident.Sev2, Playbook: "bad-deploy", Title: "Checkout 500s"}},
		{name: "playbook before severity", in: "declare playbook:security sev1 Leaked key", want: Parsed{Sub: SubDeclare, Severity: incident.Sev1, Playbook: "security", Title: "Leaked key"}},
		{name: "severity without new", in: "sev1 DB down", want: Parsed{Sub: SubDeclare, Severity: incident.Sev1, Title: "DB down", Implicit: true}},
		{name: "title starting with sev", in: "Severe latency in checkout", want: Parsed{Sub: SubDeclare, Title: "Severe latency in checkout", Implicit: true}},
		{name: "new title starting with sev", in: "new several services down", want: Parsed{Sub: SubDeclare, Title: "several services down"}},
		{name: "second severity is title", in: "new sev2 sev3 is wrong", want: Parsed{Sub: SubDeclare, Severity: incident.Sev2, Title: "sev3 is wrong"}},
		{name: "bad severity word", in: "new sev9 x", wantErr: "sev1–sev4"},
		{name: "new private", in: "new PRIVATE sev1 playbook:security Leaked key", want: Parsed{Sub: SubDeclare, Private: true, Severity: incident.Sev1, Playbook: "security", Title: "Leaked key"}},
		{name: "private only right after new", in: "new sev3 Private beta slow", want: Parsed{Sub: SubDeclare, Severity: incident.Sev3, Title: "Private beta slow"}},
		{name: "a title starting with private", in: "private repo exposed", want: Parsed{Sub: SubDeclare, Title: "private repo exposed", Implicit: true}},
		{name: "new private is a title when nothing follows", in: "new private", want: Parsed{Sub: SubDeclare, Title: "private"}},
		{name: "catchup", in: "catch-up", want: Parsed{Sub: SubCatchup}},
		{name: "handover with a note", in: "handover <@UCAROL|carol>  eu-1 still flaky &amp; slow", want: Parsed{Sub: SubHandover, User: "UCAROL", Text: "eu-1 still flaky & slow"}},
		{name: "handover without a note", in: "handover <@UCAROL>", want: Parsed{Sub: SubHandover, User: "UCAROL"}},
		{name: "handover needs a mention", in: "handover carol", wantErr: "incoming lead"},
		{name: "new without title", in: "new sev2", wantErr: "needs a title"},
		{name: "empty playbook name", in: "new playbook: x", wantErr: "needs a name"},
		{name: "hostile title kept verbatim", in: "<!channel> <@U1|a> <http://x|y>", want: Parsed{Sub: SubDeclare, Title: "<!channel> <@U1|a> <http://x|y>", Implicit: true}},
		{name: "invalid UTF-8 repaired", in: "db \xff down", want: Parsed{Sub: SubDeclare, Title: "db \uFFFD down", Implicit: true}},
		{name: "note", in: "note  saw 5xx at 15:58", want: Parsed{Sub: SubNote, Text: "saw 5xx at 15:58"}},
		{name: "note needs text", in: "note", wantErr: "needs some text"},
		{name: "update", in: "update rolling back", want: Parsed{Sub: SubUpdate, Text: "rolling back"}},
		{name: "follow-up spelling", in: "follow-up add canary", want: Parsed{Sub: SubFollowup, Text: "add canary"}},
		{name: "sev number", in: "sev 1", want: Parsed{Sub: SubSev, Severity: incident.Sev1}},
		{name: "sev word", in: "severity sev4", want: Parsed{Sub: SubSev, Severity: incident.Sev4}},
		{name: "sev out of range", in: "sev 9", wantErr: "sev1–sev4"},
		{name: "lead escaped mention", in: "lead <@UCAROL|carol>", want: Parsed{Sub: SubLead, User: "UCAROL"}},
		{name: "lead bare mention", in: "lead <@W123>", want: Parsed{Sub: SubLead, User: "W123"}},
		{name: "lead unescaped name", in: "lead @carol", wantErr: "mention"},
		{name: "lead broadcast refused", in: "lead <!channel>", wantErr: "mention"},
		{name: "role", in: "role Comms <@UBOB|bob>", want: Parsed{Sub: SubRole, Role: "comms", User: "UBOB"}},
		{name: "role without person", in: "role comms", wantErr: "role and a person"},
		{name: "reopen", in: "reopen errors are back", want: Parsed{Sub: SubReopen, Text: "errors are back"}},
		{name: "reopen needs a reason", in: "reopen", wantErr: "needs some text"},
		{name: "close", in: "close", want: Parsed{Sub: SubClose}},
		{name: "close force", in: "close --force verified by hand", want: Parsed{Sub: SubClose, Force: true, Text: "verified by hand"}},
		{name: "close force needs reason", in: "close -f", wantErr: "needs a reason"},
		{name: "close with text", in: "close now please", wantErr: "takes no text"},
		{name: "cancel", in: "cancel typo for status", want: Parsed{Sub: SubCancel, Text: "typo for status"}},
		{name: "cancel needs a reason", in: "cancel", wantErr: "/incident cancel <why it was declared by mistake>"},
		{name: "a severity alone changes the severity", in: "SEV2", want: Parsed{Sub: SubSev, Severity: incident.Sev2}},
		{name: "a typo is an implicit title", in: "stauts", want: Parsed{Sub: SubDeclare, Title: "stauts", Implicit: true}},
		{name: "new is explicit", in: "new stauts", want: Parsed{Sub: SubDeclare, Title: "stauts"}},
		{name: "Slack's escaping is undone in a title", in: "new Checkout &amp; cart &lt;500&gt;", want: Parsed{Sub: SubDeclare, Title: "Checkout & cart <500>"}},
		{name: "Slack's escaping is undone in a note", in: "note p99 &gt; 2s &amp;&amp; rising", want: Parsed{Sub: SubNote, Text: "p99 > 2s && rising"}},
		{name: "an escaped entity typed literally survives once", in: "note &amp;lt;b&amp;gt;", want: Parsed{Sub: SubNote, Text: "&lt;b&gt;"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSlash(tc.in)
			if tc.wantErr != "" {
				var ue *UserError
				_, refused := incident.IsRefusal(err)
				if !errors.As(err, &ue) && !refused {
					t.Fatalf("ParseSlash(%q) = %+v, %v; want a refusal containing %q", tc.in, got, err, tc.wantErr)
				}
				if !strings.Contains(rawUserText(err), tc.wantErr) {
					t.Fatalf("refusal %q does not contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSlash(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("ParseSlash(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseMention(t *testing.T) {
	cases := []struct {
		name, in, want string
		ok             bool
	}{
		{"escaped", "<@U0123|carol>", "U0123", true},
		{"bare", " <@U0123> ", "U0123", true},
		{"enterprise user", "<@W9>", "W9", true},
		{"lowercase id", "<@u0123>", "", false},
		{"channel", "<#C0123|ops>", "", false},
		{"broadcast", "<!here>", "", false},
		{"two mentions", "<@U1> <@U2>", "", false},
		{"plain name", "@carol", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseMention(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("ParseMention(%q) = %q, %v", tc.in, got, ok)
			}
		})
	}
}

func TestChannelName(t *testing.T) {
	cases := []struct {
		name   string
		n      uint64
		title  string
		suffix int
		want   string
	}{
		{"simple", 1, "Checkout returns 500", 0, "inc-1-checkout-returns-500"},
		{"punctuation collapses", 12, "DB: failover -- loop!!", 0, "inc-12-db-failover-loop"},
		{"accents fold", 3, "Café Straße Ærø", 0, "inc-3-cafe-strasse-aero"},
		{"nothing usable", 4, "🔥🔥 支付失败", 0, "inc-4-incident"},
		{"markup", 5, "<!channel> <@U1|bob>", 0, "inc-5-channel-u1-bob"},
		{"suffix", 6, "x", 2, "inc-6-x-2"},
		{"suffix 1 is none", 6, "x", 1, "inc-6-x"},
		{"long title", 7, strings.Repeat("abc ", 40), 0, "inc-7-" + strings.Repeat("abc-", 18) + "ab"},
		{"invalid UTF-8", 8, "a\xffb", 0, "inc-8-a-b"},
		{"huge number", 18446744073709551615, strings.Repeat("z", 200), 99, "inc-18446744073709551615-" + strings.Repeat("z", 80-25-3) + "-99"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ChannelName(tc.n, tc.title, tc.suffix)
			if got != tc.want {
				t.Fatalf("ChannelName(%d, %q, %d) = %q, want %q", tc.n, tc.title, tc.suffix, got, tc.want)
			}
			if msg := badChannelName(got); msg != "" {
				t.Fatal(msg)
			}
		})
	}
}
