package postmortem

import (
	"regexp"
	"sort"
	"strings"
)

// Finding is one place where what someone wrote reads as blame, with a
// neutral rewrite to consider. Findings are advice for the people editing
// the postmortem; the text itself is never changed.
type Finding struct {
	// Source says where the text came from, e.g. "note by Alice at 12:01".
	// Lint leaves it empty; Render fills it in.
	Source string
	// Quote is the sentence that matched, as plain text (Slack mentions
	// shown as display names when Render knows them).
	Quote string
	// Pattern names the kind of blame found, e.g. "human error".
	Pattern string
	// Suggestion is a blameless way to say it.
	Suggestion string
}

// Pattern names used in findings.
const (
	PatternPerson     = "a person as the cause"
	PatternHumanError = "human error"
	PatternShouldHave = "should have"
	PatternCareless   = "careless"
	PatternFault      = "fault"
	PatternBlame      = "blame"
)

type rule struct {
	pattern    string
	suggestion string
	// stems are the lower-case beginnings (up to 4 letters) of the words
	// the rule needs; a text with none of them is not matched against the
	// regexp, which keeps linting a large timeline cheap.
	stems []string
	re    *regexp.Regexp
	// skip rejects a match that is not blame (e.g. "fault tolerance").
	skip func(lower string, start, end int) bool
}

const blameVerbs = `(?:broke|caused|forgot|messed up|screwed up|botched|ignored|neglected|failed to|missed|mistakenly|accidentally|` +
	`did(?:n't|n’t| not) (?:check|test|follow|read|notice|look|wait|ask)|` +
	`(?:pushed|deployed|shipped|merged|ran) (?:a |the |an )?(?:bad|broken|wrong|buggy|untested)|made (?:a|the|an) (?:mistake|error))`

// personWords are references to a person that are not names.
const personWords = `(?:he|she|they|someone|somebody|whoever|(?:the |our |a )?(?:on-?call(?: engineer)?|engineer|developer|dev|intern|operator|sre|admin|new hire))`

const slackMention = `<@[UW][A-Z0-9]+(?:\|[^>]*)?>|@[\w.-]+`

func personRules(person string) []*regexp.Regexp {
	return []*regexp.Regexp{
		regexp.MustCompile(`(?i)(?:^|[^\w@])((?:` + person + `)(?:\s+\w+){0,2}?\s+` + blameVerbs + `)\b`),
		regexp.MustCompile(`(?i)\b((?:because of|caused by|due to|thanks to)\s+(?:` + person + `))(?:[^\w]|$)`),
		regexp.MustCompile(`(?i)(?:^|[^\w@])((?:` + person + `)['’]s\s+(?:mistake|error|fault|bad (?:change|deploy|commit|config|push)))\b`),
	}
}

// personStems start the verbs and phrases of the person rules; a
// possessive or a negation ("Bob's", "didn't") also triggers them.
var personStems = []string{"brok", "caus", "forg", "mess", "scre", "botc", "igno", "negl", "fail", "miss",
	"mist", "acci", "did", "didn", "push", "depl", "ship", "merg", "ran", "made", "beca", "due", "than"}

// stems maps a word beginning to the rules it may trigger: bit 0 is the
// person rules, bit i+1 is fixedRules[i].
var stems = func() map[string]uint32 {
	m := map[string]uint32{}
	for _, s := range personStems {
		m[s] |= 1
	}
	for i, r := range fixedRules {
		for _, s := range r.stems {
			m[s] |= 1 << (i + 1)
		}
	}
	return m
}()

// triggers scans text once and returns which rules may match.
func triggers(text string) uint32 {
	var mask uint32
	var key [4]byte
	for i := 0; i < len(text); {
		for i < len(text) && !wordByte(text[i]) {
			i++
		}
		start, n := i, 0
		for i < len(text) && wordByte(text[i]) {
			if n < len(key) {
				c := text[i]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				key[n] = c
				n++
			}
			i++
		}
		if n == 0 {
			continue
		}
		mask |= stems[string(key[:n])]
		w := text[start:i]
		if strings.HasSuffix(w, "'s") || strings.HasSuffix(w, "’s") || strings.HasSuffix(w, "'S") {
			mask |= 1
		}
	}
	return mask
}

func wordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '\'' || c >= 0x80
}

var fixedRules = []rule{
	{
		pattern:    PatternHumanError,
		suggestion: "“Human error” ends the inquiry instead of starting it. Name the conditions: what made the action easy to get wrong, and what could have caught it?",
		stems:      []string{"erro"},
		re:         regexp.MustCompile(`(?i)\b(?:human|operator|pilot)[ -]error\b`),
	},
	{
		pattern:    PatternShouldHave,
		suggestion: "This is hindsight. Describe what was known and visible at the time, e.g. “The warning was not shown on the dashboard in use, so the change went ahead.”",
		stems:      []string{"shou", "ough"},
		re:         regexp.MustCompile(`(?i)\b(?:should(?:n't|n’t| not)? have|should['’]ve|ought to have)\b`),
	},
	{
		pattern:    PatternCareless,
		suggestion: "Describe the conditions (time pressure, unclear tooling, a missing guard) rather than a trait of a person.",
		stems:      []string{"care", "negl", "slop", "lazy", "inco", "reck", "stup", "dumb"},
		re:         regexp.MustCompile(`(?i)\b(?:careless(?:ly|ness)?|negligen(?:t|ce)|sloppy|lazy|incompeten(?:t|ce)|reckless(?:ly)?|stupid|dumb)\b`),
	},
	{
		pattern:    PatternFault,
		suggestion: "Describe the contributing factors instead of assigning fault, e.g. “Three things combined: …”.",
		stems:      []string{"faul"},
		re:         regexp.MustCompile(`(?i)\b(?:at fault|faults?)\b`),
		skip:       technicalFault,
	},
	{
		pattern:    PatternBlame,
		suggestion: "Ask what allowed this to happen and what would prevent it next time, rather than who is responsible.",
		stems:      []string{"blam", "culp", "scap", "drop"},
		re:         regexp.MustCompile(`(?i)\b(?:blam(?:e|ed|es|ing)|culprit|scapegoat(?:ed)?|dropped the ball)\b`),
	},
}

var personSuggestion = "Say what happened and what made it possible, not who did it, e.g. “The change reached production without the check that would have caught it.”"

// A "fault" that is a technical term rather than blame.
var (
	faultBefore = map[string]bool{"page": true, "segmentation": true, "seg": true, "protection": true, "bus": true,
		"hardware": true, "network": true, "disk": true, "power": true, "ground": true, "transient": true, "injected": true, "general": true}
	faultAfter = map[string]bool{"tolerance": true, "tolerant": true, "injection": true, "domain": true, "domains": true,
		"line": true, "isolation": true, "detection": true, "handler": true, "handling": true, "code": true}
)

func technicalFault(text string, start, end int) bool {
	if strings.HasPrefix(strings.ToLower(text[start:end]), "at ") {
		return false
	}
	before := strings.Fields(strings.ToLower(text[max(0, start-40):start]))
	after := strings.Fields(strings.ToLower(text[end:min(len(text), end+40)]))
	if len(before) > 0 && faultBefore[strings.Trim(before[len(before)-1], "-,.")] {
		return true
	}
	if len(after) > 0 && faultAfter[strings.Trim(after[0], ",.;:")] {
		return true
	}
	return false
}

var defaultPerson = personRules(slackMention + `|\b` + personWords)

// Lint checks one text for blame and returns a finding per kind of blame
// found, in the order they occur. It never changes the text.
func Lint(text string) []Finding { return newLinter(nil).lint(text, nil) }

type linter struct{ person []*regexp.Regexp }

// newLinter also recognises the given display names (and their first
// words) as people, so "Bob broke prod" is found as well as "<@U1> broke prod".
func newLinter(names map[string]string) *linter {
	if len(names) == 0 {
		return &linter{person: defaultPerson}
	}
	seen := map[string]bool{}
	var alts []string
	add := func(n string) {
		n = strings.ToValidUTF8(strings.TrimSpace(n), "\uFFFD")
		if len([]rune(n)) < 2 || seen[strings.ToLower(n)] {
			return
		}
		seen[strings.ToLower(n)] = true
		alts = append(alts, regexp.QuoteMeta(n))
	}
	for _, n := range names {
		add(n)
		if f := strings.Fields(n); len(f) > 1 {
			add(f[0])
		}
	}
	// Longest first, so "Bob Smith" wins over "Bob"; sorted for stable output.
	sort.Slice(alts, func(i, j int) bool {
		if len(alts[i]) != len(alts[j]) {
			return len(alts[i]) > len(alts[j])
		}
		return alts[i] < alts[j]
	})
	if len(alts) == 0 {
		return &linter{person: defaultPerson}
	}
	return &linter{person: personRules(slackMention + `|\b` + personWords + `|\b(?:` + strings.Join(alts, "|") + `)`)}
}

type hit struct {
	at int
	f  Finding
}

func (l *linter) lint(text string, names map[string]string) []Finding {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	mask := triggers(text)
	if mask == 0 {
		return nil
	}
	var hits []hit
	if mask&1 != 0 {
		best := -1
		var span [2]int
		for _, re := range l.person {
			if m := re.FindStringSubmatchIndex(text); m != nil && (best < 0 || m[2] < best) {
				best, span = m[2], [2]int{m[2], m[3]}
			}
		}
		if best >= 0 {
			hits = append(hits, hit{best, Finding{Pattern: PatternPerson, Quote: sentence(text, span[0], span[1], names), Suggestion: personSuggestion}})
		}
	}
	for i := range fixedRules {
		r := &fixedRules[i]
		if mask&(1<<(i+1)) == 0 {
			continue
		}
		for _, m := range r.re.FindAllStringIndex(text, -1) {
			if r.skip != nil && r.skip(text, m[0], m[1]) {
				continue
			}
			hits = append(hits, hit{m[0], Finding{Pattern: r.pattern, Quote: sentence(text, m[0], m[1], names), Suggestion: r.suggestion}})
			break
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].at < hits[j].at })
	out := make([]Finding, len(hits))
	for i, h := range hits {
		out[i] = h.f
	}
	return out
}

// sentence returns the sentence around text[start:end] as plain text,
// clipped so that a long paragraph does not become the quote.
func sentence(text string, start, end int, names map[string]string) string {
	from := strings.LastIndexAny(text[:start], ".!?\n")
	// A Slack token's "|label" or a URL may contain a dot; good enough
	// as a sentence boundary for a quote.
	from++
	to := strings.IndexAny(text[end:], ".!?\n")
	if to < 0 {
		to = len(text)
	} else {
		to += end + 1
	}
	q := oneLine(plain(text[from:to], names))
	return clip(q, 200)
}
