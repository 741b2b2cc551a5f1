package templates

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestTextHelpers: escaping, clipping and durations as people read them.
// That a clipped text stays within its limit is FuzzEscape's to check.
func TestTextHelpers(t *testing.T) {
	for _, c := range []struct{ name, got, want string }{
		{"escape plain", EscapeMrkdwn("hello"), "hello"},
		{"escape all three", EscapeMrkdwn("a & b < c > d"), "a &amp; b &lt; c &gt; d"},
		{"escape special mention", EscapeMrkdwn("<!channel>"), "&lt;!channel&gt;"},
		{"escape already escaped again", EscapeMrkdwn("&amp;"), "&amp;amp;"},
		{"escape invalid utf8", EscapeMrkdwn("a\xffb"), "a\uFFFDb"},
		{"escape leaves markdown", EscapeMrkdwn("*bold* _it_ `code`"), "*bold* _it_ `code`"},

		{"clip fits", Clip("hello", 5), "hello"},
		{"clip cut", Clip("hello world", 8), "hello w…"},
		{"clip drops trailing space", Clip("hello world", 7), "hello…"},
		{"clip to zero", Clip("hello", 0), ""},
		{"clip to one", Clip("hello", 1), "…"},
		{"clip runes", Clip("äöüßéèê", 4), "äöü…"},
		{"clip keeps entity whole", Clip("a &amp; b", 4), "a…"},
		{"clip entity fits", Clip("a &amp; b", 8), "a &amp;…"},
		{"clip keeps mention whole", Clip("hi <@U0123ABC> there", 10), "hi…"},
		{"clip mention fits", Clip("hi <@U0123ABC> there", 15), "hi <@U0123ABC>…"},
		{"clip keeps channel whole", Clip("<#C0INC07> x y", 9), "…"},
		{"clip invalid utf8 fits", Clip("a\xff", 5), "a\uFFFD"},

		{"human negative", human(-time.Second), "0s"},
		{"human seconds", human(45 * time.Second), "45s"},
		{"human minutes", human(12 * time.Minute), "12m"},
		{"human hour", human(time.Hour), "1h"},
		{"human hour and minutes", human(65 * time.Minute), "1h 5m"},
		{"human days and hours", human(49 * time.Hour), "2d 1h"},
		{"human days", human(72 * time.Hour), "3d"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
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
	f.Add("äöüßéèê", 4)
	f.Add("a &amp; b", 4)
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
