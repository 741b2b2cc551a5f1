package bot

import (
	"strings"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// parseTimes reads `times <which> <when>`; which is checked here, when is
// read against the clock and time zone by KeyTimeAt.
func parseTimes(rest string) (Parsed, error) {
	which, when := cut(rest)
	if which == "" {
		return Parsed{}, usageErr(templates.UsageWhichTime)
	}
	k, err := incident.ParseKeyTime(which)
	if err != nil {
		return Parsed{}, err
	}
	if strings.TrimSpace(when) == "" {
		return Parsed{}, userErr(templates.KeyTimeNeedsWhen(string(k)))
	}
	return Parsed{Sub: SubTimes, Role: string(k), Text: strings.TrimSpace(when)}, nil
}

// KeyTimeAt reads a corrected key time typed as "YYYY-MM-DD HH:MM" or
// "HH:MM" in loc (FIREBREAK_TIMEZONE). A bare HH:MM is the latest such
// moment that is not in the future: today, or yesterday when today's has
// not come yet.
func KeyTimeAt(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	s = strings.Join(strings.Fields(s), " ")
	if t, err := time.ParseInLocation("2006-01-02 15:04", s, loc); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("15:04", s, loc); err == nil && len(s) == 5 {
		n := now.In(loc)
		at := time.Date(n.Year(), n.Month(), n.Day(), t.Hour(), t.Minute(), 0, 0, loc)
		if at.After(n) {
			at = at.AddDate(0, 0, -1)
		}
		return at, nil
	}
	return time.Time{}, userErr(templates.BadKeyTime(clipText(s, 30), loc.String()))
}

func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
