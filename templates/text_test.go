package templates

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestEscapeMrkdwn(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "hello", "hello"},
		{"all three", "a & b < c > d", "a &amp; b &lt; c &gt; d"},
		{"special mention", "<!channel>", "&lt;!channel&gt;"},
		{"already escaped is escaped again", "&amp;", "&amp;amp;"},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
		{"markdown untouched", "*bold* _it_ `code`", "*bold* _it_ `code`"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := EscapeMrkdwn(c.in); got != c.want {
				t.Fatalf("EscapeMrkdwn(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestClip(t *testing.T) {
	cases := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"fits", "hello", 5, "hello"},
		{"cut", "hello world", 8, "hello w…"},
		{"trailing space dropped", "hello world", 7, "hello…"},
		{"zero", "hello", 0, ""},
		{"one", "hello", 1, "…"},
		{"runes", "äöüßéèê", 4, "äöü…"},
		{"entity kept whole", "a &amp; b", 4, "a…"},
		{"entity fits", "a &amp; b", 8, "a &amp;…"},
		{"mention kept whole", "hi <@U0123ABC> there", 10, "hi…"},
		{"mention fits", "hi <@U0123ABC> there", 15, "hi <@U0123ABC>…"},
		{"channel kept whole", "<#C0INC07> x y", 9, "…"},
		{"invalid utf8 fits", "a\xff", 5, "a\uFFFD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Clip(c.in, c.max)
			if got != c.want {
				t.Fatalf("Clip(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
			}
			if n := utf8.RuneCountInString(got); n > c.max && c.max >= 0 {
				t.Fatalf("%d runes > %d", n, c.max)
			}
		})
	}
}

func TestHuman(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"}, {45 * time.Second, "45s"}, {12 * time.Minute, "12m"},
		{time.Hour, "1h"}, {65 * time.Minute, "1h 5m"}, {49 * time.Hour, "2d 1h"}, {72 * time.Hour, "3d"},
	}
	for _, c := range cases {
		if got := human(c.d); got != c.want {
			t.Errorf("human(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

var cutEntity = regexp.MustCompile(`&(a|am|amp|l|lt|g|gt)?…$`)

func FuzzEscape(f *testing.F) {
	for _, h := range hostile[:6] {
		f.Add(h, 10)
	}
	f.Add("&&&&&&&&", 5)
	f.Add("<<<>>>", 3)
	f.Fuzz(func(t *testing.T, s string, max int) {
		max = max % 5000
		out := Clip(EscapeMrkdwn(s), max)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		if strings.ContainsAny(out, "<>") {
			t.Fatalf("unescaped user markup: %q", out)
		}
		if max > 0 && utf8.RuneCountInString(out) > max {
			t.Fatalf("%d runes > %d", utf8.RuneCountInString(out), max)
		}
		if cutEntity.MatchString(out) {
			t.Fatalf("cut entity: %q", out)
		}
		// Every & in the output starts a whole entity.
		for i := strings.IndexByte(out, '&'); i >= 0; i = nextIndex(out, '&', i) {
			rest := out[i:]
			if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
				t.Fatalf("broken entity at %d: %q", i, out)
			}
		}
	})
}

func nextIndex(s string, b byte, i int) int {
	j := strings.IndexByte(s[i+1:], b)
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

func BenchmarkStatusSummary(b *testing.B) {
	inc := rich()
	now := t0.Add(time.Hour)
	var n int
	for b.Loop() {
		n = len(StatusSummary(inc, now, ber))
	}
	b.ReportMetric(float64(n), "bytes/msg")
}

func BenchmarkTimeline500(b *testing.B) {
	inc := rich()
	evs := richEvents()
	for i := 0; i < 500; i++ {
		evs = append(evs, evs[len(evs)%15])
	}
	for b.Loop() {
		Timeline(inc, evs, nil, 3900)
	}
}
