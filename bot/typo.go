package bot

import (
	"sort"
	"strings"

	"github.com/slack-go/slack"

	"github.com/firebreak-hq/firebreak/templates"
)

// ActDeclareTyped is the button under a "did you mean" answer that
// declares the typed text as a new incident after all. Its value is the
// text as typed after /incident.
const ActDeclareTyped = "incident.declare_typed"

// subcommandWords are the subcommands a typo is compared with, in the
// order help lists them.
var subcommandWords = []string{
	"new", "list", "help", "status", "note", "update", "sev", "lead", "role", "followup",
	"mitigated", "resolve", "reopen", "close", "cancel", "timeline", "catchup", "handover",
	"postmortem",
}

// maxTypoDistance is how far a word may be from a subcommand to count as
// a typo of it.
const maxTypoDistance = 2

// Suggest lists the subcommands closest to word (a typo of them): within
// edit distance 2, or that word begins, nearest first.
func Suggest(word string) []string {
	w := strings.ToLower(strings.TrimSpace(word))
	if w == "" {
		return nil
	}
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, s := range subcommandWords {
		d := editDistance(w, s)
		if len(w) >= 3 && strings.HasPrefix(s, w) && d > 1 {
			d = 1 // "mitig" is on its way to "mitigated"
		}
		if d <= maxTypoDistance && d < len([]rune(s)) {
			cs = append(cs, cand{s, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for _, c := range cs {
		if len(out) == 3 || c.d > cs[0].d {
			break
		}
		out = append(out, c.name)
	}
	return out
}

// editDistance is the optimal-string-alignment distance: insertions,
// deletions, substitutions and swaps of neighbours each cost one, so
// "stauts" is one edit from "status".
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 1 << 20 // no subcommand is that long
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// typoCheck decides whether an implicit declaration must be confirmed
// first: always inside an incident channel (a first word that is not a
// subcommand there is far more likely a slip than a new incident), and
// elsewhere when the whole title is one word close to a subcommand.
func typoCheck(p Parsed, text string, inIncident bool) (suggest []string, confirm bool) {
	if p.Sub != SubDeclare || !p.Implicit {
		return nil, false
	}
	first, rest := cut(text)
	suggest = Suggest(first)
	if inIncident {
		return suggest, true
	}
	return suggest, rest == "" && len(suggest) > 0
}

// maxButtonValue is Block Kit's limit on a button's value.
// https://api.slack.com/reference/block-kit/block-elements#button
const maxButtonValue = 2000

// typoReply is the answer to a probable typo: the closest subcommands,
// and a button that declares the text as an incident after all.
func typoReply(text string, suggest []string, inIncident bool) (string, []slack.Block) {
	text = strings.TrimSpace(text)
	first, _ := cut(text)
	title := templates.Clip(strings.Join(strings.Fields(text), " "), 40)
	fits := len(text) <= maxButtonValue
	out := templates.Typo(first, suggest, inIncident, fits)
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(out), nil, nil, slack.SectionBlockOptionBlockID("typo"))}
	if fits {
		blocks = append(blocks, slack.NewActionBlock("typo:declare",
			button(ActDeclareTyped, templates.DeclareTypedButton(title), text, slack.StyleDanger)))
	}
	return out, blocks
}
