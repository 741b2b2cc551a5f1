package incident

import "time"

// AddBusinessDays moves t forward by n business days (Monday to Friday)
// in loc, keeping the wall-clock time, so "five business days after a
// Friday 10:00 close" is the next-but-one Friday 10:00 local even when a
// daylight-saving change falls in between. Starting on a weekend, the
// first business day counted is the following Monday. A negative n counts
// backwards; n == 0 returns t. A nil loc means UTC. The result is in loc.
func AddBusinessDays(t time.Time, n int, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	ns := t.Nanosecond()
	for n > 0 {
		d += step
		// Calendar arithmetic on the date, not on durations: adding
		// 24h across a DST change would shift the wall-clock time.
		if IsBusinessDay(time.Date(y, m, d, 12, 0, 0, 0, loc)) {
			n--
		}
	}
	return time.Date(y, m, d, hh, mm, ss, ns, loc)
}

// IsBusinessDay reports whether t falls on Monday to Friday in t's own
// location; convert with t.In(loc) first to ask about another zone.
func IsBusinessDay(t time.Time) bool {
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}
