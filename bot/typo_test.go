package bot

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

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
