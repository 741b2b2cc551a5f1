package postmortem

import "testing"

// textCase is one input of a text function and what it must return.
type textCase struct{ name, in, want string }

// TestTextFunctions checks each text function on its table of inputs.
func TestTextFunctions(t *testing.T) {
	names := map[string]string{"U1": "Alice"}
	for _, fn := range []struct {
		name  string
		f     func(string) string
		cases []textCase
	}{
		{"plain", func(s string) string { return plain(s, names) }, []textCase{
			{"known mention", "ask <@U1|alice>", "ask @Alice"},
			{"bare known mention", "ask <@U1>", "ask @Alice"},
			{"unknown mention uses label", "ask <@U9|zed>", "ask @zed"},
			{"unknown bare mention uses id", "ask <@U9>", "ask @U9"},
			{"channel", "see <#C1|ops>", "see #ops"},
			{"broadcast", "<!here> and <!channel>", "@here and @channel"},
			{"user group", "<!subteam^S1|@sre>", "@sre"},
			{"link with label", "<https://x.test/a?b=1&amp;c=2|graph>", "graph (https://x.test/a?b=1&c=2)"},
			{"bare link", "<https://x.test>", "https://x.test"},
			{"entities", "a &lt;b&gt; &amp;&amp; c", "a <b> && c"},
			{"unclosed", "a <b", "a <b"},
		}},
		{"inline", inline, []textCase{
			{"plain text", "all good", "all good"},
			{"emphasis and code", "*a* _b_ `c`", `\*a\* \_b\_ \` + "`c\\`"},
			{"table pipe", "a | b", `a \| b`},
			{"html", "<!-- x --> <img>", `\<!-- x --\> \<img\>`},
			{"link syntax", "[x](y)", `\[x\](y)`},
			{"mention neutralised", "hi @octocat and @org/team", "hi @\u200boctocat and @\u200borg/team"},
			{"email untouched", "bob@example.com", "bob@example.com"},
			{"mention after a hyphen or accent neutralised", "ping -@octocat é@org/team", "ping -@\u200boctocat é@\u200borg/team"},
			{"issue ref neutralised", "fixes #12", "fixes #\u200b12"},
			{"GH shorthand neutralised", "same as GH-1 and gh-22", "same as GH-\u200b1 and gh-\u200b22"},
			{"GH word kept", "GHz and GH-A", "GHz and GH-A"},
			{"issue URL neutralised", "see https://github.com/acme/payments/issues/7 now", "see https:\u200b//github.com/acme/payments/issues/7 now"},
			{"pull URL neutralised", "http://ghe.example/o/r/pull/3#x", "http:\u200b//ghe.example/o/r/pull/3#x"},
			{"other URL kept", "https://grafana.example/d/abc?x=1", "https://grafana.example/d/abc?x=1"},
			{"heading hash kept", "#ops", "#ops"},
			{"entity escaped", "&copy; R&D", `\&copy; R\&D`},
			{"lone ampersand kept", "a & b", "a & b"},
			{"newline in a cell", "a\nb\r\nc", "a<br>b<br>c"},
			{"bidi override dropped", "a\u202eb", "ab"},
			{"math", "$x$", `\$x\$`},
		}},
		{"quoteBlock", quoteBlock, []textCase{
			{"empty", " \n ", ""},
			{"lines", "a\nb", "> a\n> b"},
			{"block syntax neutralised", "# h\n- l\n+ l\n1. n\n2) n\n===\n    code", "> \\# h\n> \\- l\n> \\+ l\n> 1\\. n\n> 2\\) n\n> \\===\n> code"},
		}},
		{"clip(·, 5)", func(s string) string { return clip(s, 5) }, []textCase{
			{"short", "abc", "abc"},
			{"exact", "abcde", "abcde"},
			{"cut", "abcdef", "abcd…"},
			{"runes not bytes", "ééééé", "ééééé"},
			{"trailing space trimmed", "ab   cdef", "ab…"},
		}},
	} {
		for _, tc := range fn.cases {
			t.Run(fn.name+"/"+tc.name, func(t *testing.T) {
				if got := fn.f(tc.in); got != tc.want {
					t.Errorf("%s(%q) = %q, want %q", fn.name, tc.in, got, tc.want)
				}
			})
		}
	}
}
