package app_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	goldenfile "github.com/firebreak-hq/firebreak/internal/golden"
	"github.com/firebreak-hq/firebreak/internal/slackfake"
)

var update = goldenfile.Update

// Times and durations depend on when the test runs; everything else people read is compared
// exactly.
var (
	reDateTime = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}( UTC)?`)
	reTime     = regexp.MustCompile(`\b\d{2}:\d{2} UTC\b`)
	reUnix     = regexp.MustCompile(`<!date\^\d+\^[^>]*>`)
	reDuration = regexp.MustCompile(`\b(\d+h)?(\d+m)?\d+s\b|\b\d+h\d*m?\b|\b\d+m\b|under a minute|\b\d+ (second|minute)s?\b`)
	reGHURL    = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
)

func normalize(s string) string {
	s = reUnix.ReplaceAllString(s, "<DATE>")
	s = reDateTime.ReplaceAllString(s, "<TIME>")
	s = reTime.ReplaceAllString(s, "<TIME>")
	s = reGHURL.ReplaceAllString(s, "<FAKE>")
	s = reDuration.ReplaceAllString(s, "<DURATION>")
	return s
}

// golden compares got, normalised, with testdata/<name>.golden (or rewrites it with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Testdata(t, name+".golden", []byte(normalize(got)))
}

// transcript is everything people saw, channel by channel and person by person: the
// messages in each named channel (oldest first, with edits as they now stand, cards
// excluded), each person's ephemerals (acks, response_url posts, chat.postEphemeral) and
// the bot's direct messages to them. A transcript is compared whole with a golden file,
// so what it renders is consumed.
func (h *harness) transcript(channels [][2]string, users ...string) string {
	var b strings.Builder
	for _, c := range channels {
		fmt.Fprintf(&b, "=== #%s\n", c[0])
		for _, m := range h.slack.Messages(c[1]) {
			if m.User != slackfake.BotUserID || isCard(m) {
				continue
			}
			h.consumeMessage(m)
			fmt.Fprintf(&b, "%s\n---\n", m.Text)
		}
	}
	for _, u := range users {
		// Acks and later private answers travel on different paths (the
		// socket and the Web API), so their relative order is not fixed:
		// each gets its own section, in its own order.
		eph := h.slack.Ephemerals(u)
		fmt.Fprintf(&b, "=== acks to %s\n", u)
		for _, e := range eph {
			if e.Source == "ack" {
				fmt.Fprintf(&b, "[in %s] %s\n---\n", e.Channel, e.Text)
			}
		}
		fmt.Fprintf(&b, "=== ephemerals to %s\n", u)
		for i, e := range eph {
			if e.Source != "ack" {
				h.consume(ephKey(u, i))
				fmt.Fprintf(&b, "[%s in %s] %s\n---\n", e.Source, e.Channel, e.Text)
			}
		}
		fmt.Fprintf(&b, "=== direct messages to %s\n", u)
		for _, text := range h.dmsTo(u) {
			fmt.Fprintf(&b, "%s\n---\n", text)
		}
		for _, m := range h.slack.DirectMessages(u) {
			h.consumeMessage(m)
		}
	}
	return b.String()
}

func isCard(m slackfake.Message) bool {
	for _, bl := range m.BlocksDecoded {
		if id, _ := bl["block_id"].(string); strings.HasPrefix(id, "card:") {
			return true
		}
	}
	return false
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
