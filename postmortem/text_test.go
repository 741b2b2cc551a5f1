package postmortem

import "testing"

func TestPlain(t *testing.T) {
	names := map[string]string{"U1": "Alice"}
	cases := []struct{ name, in, want string }{
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
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := plain(tc.in, names); got != tc.want {
				t.Errorf("plain(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestInline(t *testing.T) {
	cases := []struct{ name, in, want string }{
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
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := inline(tc.in); got != tc.want {
				t.Errorf("inline(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestQuoteBlock(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", " \n ", ""},
		{"lines", "a\nb", "> a\n> b"},
		{"block syntax neutralised", "# h\n- l\n+ l\n1. n\n2) n\n===\n    code", "> \\# h\n> \\- l\n> \\+ l\n> 1\\. n\n> 2\\) n\n> \\===\n> code"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := quoteBlock(tc.in); got != tc.want {
				t.Errorf("quoteBlock(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestClip(t *testing.T) {
	cases := []struct {
		name, in string
		n        int
		want     string
	}{
		{"short", "abc", 5, "abc"},
		{"exact", "abcde", 5, "abcde"},
		{"cut", "abcdef", 5, "abcd…"},
		{"runes not bytes", "ééééé", 5, "ééééé"},
		{"trailing space trimmed", "ab   cdef", 5, "ab…"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := clip(tc.in, tc.n); got != tc.want {
				t.Errorf("clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
		})
	}
}
