package templates

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// How the card shows each page's state.
var (
	pageEmojis = map[incident.PageState]string{
		incident.PageSent: ":pager:", incident.PageFailed: ":warning:", incident.PageResolved: ":white_check_mark:",
	}
	pageWords = map[incident.PageState]string{
		incident.PageSent: "paged", incident.PageFailed: "failed", incident.PageResolved: "resolved",
	}
)

func pageEmoji(s incident.PageState) string {
	return wordFor(pageEmojis, s, ":hourglass_flowing_sand:")
}

func pageWord(p incident.Page) string {
	if p.Attempts > 0 {
		return wordFor(pageWords, p.State, fmt.Sprintf("retrying (%d failed)", p.Attempts))
	}
	return wordFor(pageWords, p.State, "sending")
}

// PageLinkText is the words of the link a page carries to the incident's
// channel.
func PageLinkText(inc incident.Incident) string { return inc.ID() + " in Slack" }

// pageFailures words why a pager did not take a page; %[1]s is the
// pager, %[2]s the HTTP status it answered.
var pageFailures = map[incident.PageFailureKind]string{
	incident.PageRefused:     "%[1]s refused it (HTTP %[2]s)",
	incident.PageRateLimited: "%[1]s asked to slow down (HTTP %[2]s)",
	incident.PagePagerError:  "%[1]s had an error of its own (HTTP %[2]s)",
	incident.PageTimedOut:    "%[1]s did not answer in time",
	incident.PageUnreachable: "%[1]s could not be reached",
	incident.PageCallFailed:  "the call to %[1]s failed",
}

// pageReportWords says what the pagers answered to one attempt at a
// page of target (a resolve when resolve): who took it, why the others
// did not, and when it is tried again. esc makes text safe where it is
// shown: EscapeMrkdwn in Slack, nothing in plain text.
func pageReportWords(r incident.PageReport, target string, resolve bool, esc func(string) string) string {
	var parts []string
	for _, f := range r.Failures {
		parts = append(parts, pageFailureWords(f, target, r.Targets, esc))
	}
	if len(r.Accepted) > 0 {
		took := "accepted it"
		if resolve {
			took = "resolved it"
		}
		names := make([]string, len(r.Accepted))
		for i, n := range r.Accepted {
			names[i] = esc(n)
		}
		parts = append(parts, strings.Join(names, " and ")+" "+took)
	}
	if r.RetryIn > 0 {
		parts = append(parts, "trying again in "+retryWait(r.RetryIn))
	}
	return strings.Join(parts, "; ")
}

func pageFailureWords(f incident.PageFailure, target string, targets []string, esc func(string) string) string {
	if f.Kind == incident.PageNotConfigured {
		if len(targets) == 0 {
			return "no page target is configured"
		}
		return esc("there is no page target “" + target + "”; the targets are " + strings.Join(targets, ", "))
	}
	format := wordFor(pageFailures, f.Kind, "%[1]s did not take it")
	if f.Status == 0 {
		format = strings.TrimSuffix(format, " (HTTP %[2]s)")
	} else if !strings.Contains(format, "%[2]s") {
		format += " (HTTP %[2]s)"
	}
	s := fmt.Sprintf(format, esc(f.Provider), strconv.Itoa(f.Status))
	// The pager's words end where the sentence they stand in does.
	if m := strings.TrimRight(strings.TrimSpace(f.Message), "."); m != "" {
		s += ", saying “" + esc(oneLine(m)) + "”"
	}
	return s
}

// maxPageAnswer bounds what is said of the pagers' answer: the words
// around what each pager said, which the domain clips.
const maxPageAnswer = 2 * maxReasonLen

// retryWait is how long until the next attempt, in whole seconds
// rounded up: an attempt in 20 ms is "in 1s", not "in 0s".
func retryWait(d time.Duration) string {
	return Elapsed((d + time.Second - 1).Truncate(time.Second))
}

// pageEventWords is what an event of a page's outcome says of the
// pagers' answer, in Slack (esc EscapeMrkdwn) or plain text; ok is
// false for an event recorded before answers were typed.
func pageEventWords(e incident.Event, esc func(string) string) (string, bool) {
	r, ok := incident.PageReportOf(e)
	if !ok {
		return "", false
	}
	resolve := e.Kind == incident.EvPageResolved || e.Fields["resolve"] == "true"
	return pageReportWords(r, e.Fields["target"], resolve, esc), true
}

func plainText(s string) string { return s }

// pageFailed words the message that a page failed for good: its target
// and why, from the pagers' answer (or, for a message stored before
// answers were typed, from the text it carries).
func pageFailed(v *effView, _ incident.Incident, e incident.Effect) {
	v.Alert = alertView{Target: EscapeMrkdwn(e.Fields.Target), Detail: clipText(oneLine(e.Text), maxReasonLen)}
	if r := e.Fields.Page; r != nil {
		v.Alert.Detail = Clip(pageReportWords(*r, e.Fields.Target, false, EscapeMrkdwn), maxPageAnswer)
	}
}

// Page events in the event vocabulary: the Slack timeline and the
// postmortem. A page's outcome is worded from the pagers' answer; events
// recorded before answers were typed keep the text they carry.
func init() {
	target := func(x slackEvent) string { return EscapeMrkdwn(x.f["target"]) }
	answer := func(x slackEvent) string {
		if s, ok := pageEventWords(x.e, EscapeMrkdwn); ok {
			return Clip(s, maxPageAnswer)
		}
		return x.text
	}
	plainAnswer := func(x PostmortemEvent, what string) string {
		if s, ok := pageEventWords(x.Event, plainText); ok && s != "" {
			return what + ": " + s
		}
		return x.with(what)
	}
	vocabulary[incident.EvPageRequested] = eventWords{
		slack:      func(x slackEvent) (string, string) { return "paged " + target(x), x.text },
		postmortem: func(x PostmortemEvent) string { return x.with("Paged " + x.f("target")) },
	}
	vocabulary[incident.EvPageSent] = eventWords{
		slack:      func(x slackEvent) (string, string) { return "delivered the page to " + target(x), answer(x) },
		postmortem: func(x PostmortemEvent) string { return "Page to " + x.f("target") + " delivered" },
	}
	vocabulary[incident.EvPageRetry] = eventWords{
		slack: func(x slackEvent) (string, string) {
			return "could not deliver the page to " + target(x) + " (attempt " + EscapeMrkdwn(x.f["attempt"]) + ")", answer(x)
		},
		postmortem: func(x PostmortemEvent) string { return "Page to " + x.f("target") + " not delivered, retried" },
		noise:      "page retries", counted: "page retries",
	}
	vocabulary[incident.EvPageFailed] = eventWords{
		slack:      func(x slackEvent) (string, string) { return "gave up paging " + target(x), answer(x) },
		postmortem: func(x PostmortemEvent) string { return plainAnswer(x, "Page to "+x.f("target")+" failed") },
	}
	vocabulary[incident.EvPageResolved] = eventWords{
		slack:      func(x slackEvent) (string, string) { return "resolved the page to " + target(x), answer(x) },
		postmortem: func(x PostmortemEvent) string { return "Page to " + x.f("target") + " resolved" },
	}
}
