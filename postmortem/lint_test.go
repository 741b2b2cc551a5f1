package postmortem

import (
	"reflect"
	"strings"
	"testing"
)

func TestLint(t *testing.T) {
	cases := []struct {
		name string
		text string
		want []string // patterns, in order of appearance
	}{
		{"neutral", "Rolled back deploy 42; error rate back to 0.1%.", nil},
		{"empty", "  ", nil},
		{"mention as cause", "<@U0123|bob> broke the checkout", []string{PatternPerson}},
		{"bare mention as cause", "<@U0123> forgot to drain the node", []string{PatternPerson}},
		{"at-name as cause", "@carol pushed a bad config", []string{PatternPerson}},
		{"pronoun as cause", "Turns out he didn't check the diff", []string{PatternPerson}},
		{"caused by a person", "outage caused by <@U0123>.", []string{PatternPerson}},
		{"possessive mistake", "It was <@U0123>'s mistake", []string{PatternPerson}},
		{"human error", "Root cause: human error.", []string{PatternHumanError}},
		{"operator error", "classic operator-error", []string{PatternHumanError}},
		{"should have", "We should have rolled back sooner", []string{PatternShouldHave}},
		{"shouldn't have", "They shouldn’t have merged it on Friday", []string{PatternShouldHave}},
		{"careless", "A careless change to the LB", []string{PatternCareless}},
		{"at fault", "The on-call is at fault", []string{PatternFault}},
		{"whose fault", "whose fault was this?", []string{PatternFault}},
		{"fault tolerance is technical", "fault tolerance of the queue was lower than assumed", nil},
		{"page fault is technical", "kernel reported a page fault storm", nil},
		{"faulty is technical", "a faulty disk on db-3", nil},
		{"default is not fault", "the default timeout is 30s", nil},
		{"blame", "not here to blame anyone but", []string{PatternBlame}},
		{"several, in order", "Human error: <@U1> broke prod and should have known.", []string{PatternHumanError, PatternPerson, PatternShouldHave}},
		{"system as subject is fine", "The deploy broke checkout", nil},
		{"error rate is fine", "error rate rose to 31%", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := Lint(tc.text)
			var got []string
			for _, f := range fs {
				got = append(got, f.Pattern)
				if f.Suggestion == "" || f.Quote == "" {
					t.Errorf("finding without quote or suggestion: %+v", f)
				}
				if f.Source != "" {
					t.Errorf("Lint filled Source: %q", f.Source)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Lint(%q) patterns = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestLintNamesAndQuotes(t *testing.T) {
	l := newLinter(people)
	cases := []struct {
		name, text, pattern, quote string
	}{
		{"display name as cause", "Lots going on. Bob broke prod by hand. Then it recovered.", PatternPerson, "Bob broke prod by hand."},
		{"first name of a full name", "Alice forgot the flag", PatternPerson, "Alice forgot the flag"},
		{"quote shows names, not ids", "Because of <@UDAN> the cache emptied.", PatternPerson, "Because of @Dan the cache emptied."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := l.lint(tc.text, people)
			if len(fs) != 1 || fs[0].Pattern != tc.pattern || fs[0].Quote != tc.quote {
				t.Errorf("got %+v, want one %q finding quoting %q", fs, tc.pattern, tc.quote)
			}
		})
	}
	long := strings.Repeat("word ", 100) + "human error " + strings.Repeat("word ", 100)
	if fs := Lint(long); len(fs) != 1 || len([]rune(fs[0].Quote)) > 200 {
		t.Errorf("long sentence: %+v", fs)
	}
}
