package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
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

// TestParseMention reads a user id out of a mention, and nothing else
// (want "" is a refusal).
func TestParseMention(t *testing.T) {
	for in, want := range map[string]string{
		"<@U0123|carol>": "U0123", " <@U0123> ": "U0123", "<@W9>": "W9",
		"<@u0123>": "", "<#C0123|ops>": "", "<!here>": "", "<@U1> <@U2>": "", "@carol": "",
	} {
		if got, ok := ParseMention(in); got != want || ok != (want != "") {
			t.Errorf("ParseMention(%q) = %q, %v; want %q", in, got, ok, want)
		}
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

// seeds are the hostile titles plus the shapes of real commands.
func seeds(f *testing.F, add func(string)) {
	f.Helper()
	for _, h := range hostileTitles {
		add(h.title)
	}
	for _, s := range []string{"", "new sev2 playbook:bad-deploy Checkout 500", "sev 1", "lead <@UCAROL|carol>",
		"role comms <@UBOB|bob>", "close --force verified", "note x", "Severe latency", "status page down", "sev-9 x"} {
		add(s)
	}
}

var knownSubs = map[Sub]bool{
	SubDeclareModal: true, SubDeclare: true, SubHelp: true, SubList: true, SubStatus: true, SubTimeline: true,
	SubNote: true, SubUpdate: true, SubSev: true, SubLead: true, SubRole: true, SubFollowup: true,
	SubMitigated: true, SubResolve: true, SubReopen: true, SubClose: true, SubCancel: true,
	SubTimes: true, SubPage: true, SubCatchup: true, SubHandover: true,
}

func FuzzParseSlash(f *testing.F) {
	seeds(f, func(s string) { f.Add(s) })
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParseSlash(in)
		p2, err2 := ParseSlash(in)
		if p != p2 || fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatal("ParseSlash is not deterministic")
		}
		if err != nil {
			// A refusal is a message for the user, never an internal error.
			var ue *UserError
			if _, refused := incident.IsRefusal(err); !refused && !errors.As(err, &ue) {
				t.Fatalf("not a refusal: %T %v", err, err)
			}
			if msg := err.Error(); msg == "" || !utf8.ValidString(msg) || utf8.RuneCountInString(msg) > 500 {
				t.Fatalf("refusal message %q", msg)
			}
			if p != (Parsed{}) {
				t.Fatalf("refusal with a result %+v", p)
			}
			return
		}
		if !knownSubs[p.Sub] {
			t.Fatalf("unknown sub %q", p.Sub)
		}
		for _, s := range []string{p.Title, p.Text, p.Playbook, p.Role, p.User} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %+v", p)
			}
		}
		// Slack's escaping of &, < and > is undone in titles and texts.
		valid := fromSlack(strings.ToValidUTF8(in, "\uFFFD"))
		switch p.Sub {
		case SubDeclare:
			if p.Title == "" || p.Title != strings.TrimSpace(p.Title) || !strings.Contains(valid, p.Title) {
				t.Fatalf("title %q from %q", p.Title, in)
			}
		case SubNote, SubUpdate, SubFollowup, SubReopen, SubCancel:
			if strings.TrimSpace(p.Text) == "" || !strings.Contains(valid, p.Text) {
				t.Fatalf("text %q from %q", p.Text, in)
			}
		case SubLead, SubRole:
			if !incident.ValidUserID(p.User) {
				t.Fatalf("user %q from %q", p.User, in)
			}
		case SubClose:
			if p.Force && strings.TrimSpace(p.Text) == "" {
				t.Fatal("forced close without a reason")
			}
		}
		if p.Severity != "" && !p.Severity.Valid() {
			t.Fatalf("severity %q", p.Severity)
		}
	})
}

// badChannelName returns why name breaks the contract, or "".
func badChannelName(name string) string {
	switch {
	case name == "":
		return "empty channel name"
	case len(name) > 80:
		return fmt.Sprintf("%q is %d characters", name, len(name))
	case strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "":
		return fmt.Sprintf("%q has characters outside a-z0-9-_", name)
	case strings.Contains(name, "--") || strings.HasSuffix(name, "-"):
		return fmt.Sprintf("%q has a doubled or trailing hyphen", name)
	}
	return ""
}

func FuzzChannelName(f *testing.F) {
	seeds(f, func(s string) { f.Add(uint64(1), s, 0) })
	f.Add(uint64(18446744073709551615), strings.Repeat("ß", 100), 1<<30)
	f.Add(uint64(0), "-", -5)
	f.Fuzz(func(t *testing.T, n uint64, title string, suffix int) {
		name := ChannelName(n, title, suffix)
		if msg := badChannelName(name); msg != "" {
			t.Fatal(msg)
		}
		if name != ChannelName(n, title, suffix) {
			t.Fatal("ChannelName is not deterministic")
		}
		if !strings.HasPrefix(name, "inc-"+itoa(n)+"-") && name != "inc-"+itoa(n) {
			t.Fatalf("%q does not start with the incident number %d", name, n)
		}
		if suffix > 1 && !strings.HasSuffix(name, "-"+itoa(uint64(suffix))) {
			t.Fatalf("%q lost its suffix %d", name, suffix)
		}
		for _, max := range []int{1, 5, 80} {
			s := Slug(title, max)
			if s == "" || (len(s) > max && s != "incident") || badChannelName(s) != "" {
				t.Fatalf("Slug(%q, %d) = %q", title, max, s)
			}
		}
	})
}

// TestKeyTimeAt reads typed times in the configured zone.
func TestKeyTimeAt(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	now := time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC) // 10:30 in Berlin
	for _, c := range []struct {
		name, in string
		want     time.Time
	}{
		{"full date", "2026-12-02 23:15", time.Date(2026, 12, 2, 22, 15, 0, 0, time.UTC)},
		{"today", "10:05", time.Date(2026, 12, 3, 9, 5, 0, 0, time.UTC)},
		{"later than now is yesterday", "11:00", time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)},
		{"extra spaces", " 2026-12-01   08:00 ", time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := KeyTimeAt(c.in, now, berlin)
			if err != nil || !got.Equal(c.want) {
				t.Fatalf("KeyTimeAt(%q) = %v, %v; want %v", c.in, got, err, c.want)
			}
		})
	}
}

// TestTimesTexts renders every answer to /incident times, refusals and
// the acknowledgement, against testdata/times.golden.
func TestTimesTexts(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	var b strings.Builder
	line := func(name, text string) { b.WriteString("## " + name + "\n" + text + "\n\n") }
	for _, in := range []string{"times", "times when 10:00", "times started", "times started <yesterday> & soon"} {
		p, err := ParseSlash(in)
		if err == nil {
			p.Text = strings.TrimSpace(p.Text)
			_, err = KeyTimeAt(p.Text, now, time.UTC)
		}
		if err == nil {
			t.Fatalf("%q: no refusal", in)
		}
		line("typed "+in, userText(err))
	}
	res, err := incident.Declare(7, incident.Declaration{Title: "Checkout errors", Severity: incident.Sev2, Playbook: incident.DefaultPlaybook(), Declarer: "UALICE"}, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	inc := res.Incident
	apply := func(name string, which string, at time.Time) {
		t.Helper()
		r, err := incident.Apply(inc, incident.Command{Kind: incident.CmdTimes, Actor: "UALICE", Role: which, At: at}, now)
		if err != nil {
			line(name, userText(err))
			return
		}
		inc = r.Incident
		line(name, templates.ReplyText(r.Reply))
	}
	apply("future", "started", now.Add(time.Minute))
	apply("not mitigated yet", "mitigated", now.Add(-time.Minute))
	apply("started corrected", "started", now.Add(-90*time.Minute))
	apply("same again", "started", now.Add(-90*time.Minute))
	apply("detected before started", "detected", now.Add(-2*time.Hour))
	apply("detected corrected", "detected", now.Add(-80*time.Minute))
	r, err := incident.Apply(inc, incident.Command{Kind: incident.CmdMitigated, Actor: "UALICE"}, now)
	if err != nil {
		t.Fatal(err)
	}
	inc = r.Incident
	apply("mitigated before started", "mitigated", now.Add(-100*time.Minute))
	apply("mitigated corrected", "mitigated", now.Add(-30*time.Minute))
	r, err = incident.Apply(inc, incident.Command{Kind: incident.CmdResolve, Actor: "UALICE"}, now)
	if err != nil {
		t.Fatal(err)
	}
	inc = r.Incident
	apply("resolved before mitigated", "resolved", now.Add(-40*time.Minute))
	apply("resolved corrected", "resolved", now.Add(-20*time.Minute))
	golden(t, "times.golden", b.String())
}

func TestSuggest(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"stauts", []string{"status"}},
		{"STATSU", []string{"status"}},
		{"udpate", []string{"update"}},
		{"lsit", []string{"list"}},
		{"mitig", []string{"mitigated"}},
		{"clsoe", []string{"close"}},
		{"resolv", []string{"resolve"}},
		{"rol", []string{"role"}},
		{"frobnicate", nil},
		{"checkout", nil},
		{"database", nil},
		{"", nil},
	}
	for _, c := range cases {
		if got := Suggest(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Suggest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"stauts", "status", 1}, {"status", "status", 0}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"ca", "abc", 3}} {
		if got := editDistance(c.a, c.b); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}

func TestTypoCheck(t *testing.T) {
	cases := []struct {
		name       string
		text       string
		inIncident bool
		confirm    bool
	}{
		{"typo in an incident channel", "stauts", true, true},
		{"unknown word in an incident channel", "frobnicate", true, true},
		{"a sentence in an incident channel", "checkout is down again", true, true},
		{"explicit new in an incident channel", "new frobnicate", true, false},
		{"one-word typo elsewhere", "stauts", false, true},
		{"one word far from any subcommand elsewhere", "frobnicate", false, false},
		{"a title that starts like a typo elsewhere", "stauts page down", false, false},
		{"a title elsewhere", "Checkout returns 500", false, false},
		{"explicit new elsewhere", "new stauts", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParseSlash(c.text)
			if err != nil {
				t.Fatal(err)
			}
			if _, confirm := typoCheck(p, c.text, c.inIncident); confirm != c.confirm {
				t.Fatalf("confirm = %v, want %v", confirm, c.confirm)
			}
		})
	}
}

func TestTypoReply(t *testing.T) {
	cases := []struct {
		name, text string
		inIncident bool
		want       string
	}{
		{"typo in an incident channel", "stauts", true,
			"Did you mean `/incident status`? Nothing was declared: `stauts` is not a subcommand, and in an incident channel only `/incident new &lt;title&gt;` declares another incident. To declare it as a new incident anyway, press the button."},
		{"unknown word in an incident channel", "frobnicate", true,
			"Nothing was declared: `frobnicate` is not a subcommand, and in an incident channel only `/incident new &lt;title&gt;` declares another incident. See `/incident help` for what works here. To declare it as a new incident anyway, press the button."},
		{"typo elsewhere", "lsit", false,
			"Did you mean `/incident list`? Nothing was declared yet: `lsit` looks like a mistyped subcommand rather than an incident title. To declare it as a new incident anyway, press the button."},
		{"hostile word", "<!channel>", true,
			"Nothing was declared: `&lt;!channel&gt;` is not a subcommand, and in an incident channel only `/incident new &lt;title&gt;` declares another incident. See `/incident help` for what works here. To declare it as a new incident anyway, press the button."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text, blocks := typoReply(c.text, Suggest(strings.Fields(c.text)[0]), c.inIncident)
			if text != c.want {
				t.Fatalf("text\n got %q\nwant %q", text, c.want)
			}
			raw, _ := json.Marshal(blocks)
			var bs []map[string]any
			_ = json.Unmarshal(raw, &bs)
			if len(bs) != 2 {
				t.Fatalf("want a section and a button, got %s", raw)
			}
			el := bs[1]["elements"].([]any)[0].(map[string]any)
			label := el["text"].(map[string]any)["text"]
			if el["action_id"] != ActDeclareTyped || el["value"] != c.text || label != "Declare “"+c.text+"” as a new incident" {
				t.Fatalf("button %v", el)
			}
		})
	}
	// Text too long for a button's value: the reply says how instead.
	long := "x " + strings.Repeat("y", maxButtonValue)
	text, blocks := typoReply(long, nil, true)
	if len(blocks) != 1 || !strings.HasSuffix(text, "use `/incident new &lt;title&gt;`.") {
		t.Fatalf("long text: %q, %d blocks", text, len(blocks))
	}
}
