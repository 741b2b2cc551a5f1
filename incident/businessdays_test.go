package incident_test

import (
	"testing"
	"time"
	_ "time/tzdata" // the DST cases must not depend on the host's zoneinfo

	"github.com/firebreak-hq/firebreak/incident"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s not available: %v", name, err)
	}
	return loc
}

func TestAddBusinessDays(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	cases := []struct {
		name    string
		from    time.Time
		n       int
		loc     *time.Location
		want    time.Time
		elapsed time.Duration // checked when non-zero
	}{
		{"monday plus one", at(time.UTC, 2026, 3, 2, 10, 0), 1, time.UTC, at(time.UTC, 2026, 3, 3, 10, 0), 24 * time.Hour},
		{"friday plus one skips the weekend", at(time.UTC, 2026, 3, 6, 10, 0), 1, time.UTC, at(time.UTC, 2026, 3, 9, 10, 0), 72 * time.Hour},
		{"saturday plus one is monday", at(time.UTC, 2026, 3, 7, 10, 0), 1, time.UTC, at(time.UTC, 2026, 3, 9, 10, 0), 0},
		{"sunday plus one is monday", at(time.UTC, 2026, 3, 8, 10, 0), 1, time.UTC, at(time.UTC, 2026, 3, 9, 10, 0), 0},
		{"wednesday plus five is next wednesday", at(time.UTC, 2026, 3, 4, 10, 0), 5, time.UTC, at(time.UTC, 2026, 3, 11, 10, 0), 0},
		{"friday plus ten crosses two weekends", at(time.UTC, 2026, 3, 6, 10, 0), 10, time.UTC, at(time.UTC, 2026, 3, 20, 10, 0), 0},
		{"zero days is the same moment", at(time.UTC, 2026, 3, 7, 10, 0), 0, time.UTC, at(time.UTC, 2026, 3, 7, 10, 0), 0},
		{"monday minus one is friday", at(time.UTC, 2026, 3, 9, 10, 0), -1, time.UTC, at(time.UTC, 2026, 3, 6, 10, 0), 0},
		{"nil location counts in UTC", at(time.UTC, 2026, 3, 6, 23, 30), 1, nil, at(time.UTC, 2026, 3, 9, 23, 30), 0},
		// US DST starts Sunday 2026-03-08: the weekend is 71 hours long.
		{"weekend with spring-forward keeps wall clock", at(ny, 2026, 3, 6, 10, 0), 1, ny, at(ny, 2026, 3, 9, 10, 0), 71 * time.Hour},
		{"five days across spring-forward", at(ny, 2026, 3, 4, 9, 0), 5, ny, at(ny, 2026, 3, 11, 9, 0), 7*24*time.Hour - time.Hour},
		// US DST ends Sunday 2026-11-01: the weekend is 73 hours long.
		{"weekend with fall-back keeps wall clock", at(ny, 2026, 10, 30, 10, 0), 1, ny, at(ny, 2026, 11, 2, 10, 0), 73 * time.Hour},
		{"backwards across fall-back", at(ny, 2026, 11, 2, 10, 0), -1, ny, at(ny, 2026, 10, 30, 10, 0), -73 * time.Hour},
		// 03:00 UTC on Saturday is still Friday evening in New York, so
		// the business day is counted from Friday, not from Saturday.
		{"local day differs from UTC day", at(time.UTC, 2026, 3, 7, 3, 0), 1, ny, at(ny, 2026, 3, 9, 22, 0), 0},
		{"local friday evening vs utc", at(time.UTC, 2026, 3, 7, 3, 0), 1, time.UTC, at(time.UTC, 2026, 3, 9, 3, 0), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := incident.AddBusinessDays(tc.from, tc.n, tc.loc)
			if !got.Equal(tc.want) {
				t.Fatalf("AddBusinessDays(%s, %d) = %s, want %s", tc.from, tc.n, got, tc.want)
			}
			if tc.elapsed != 0 {
				if d := got.Sub(tc.from); d != tc.elapsed {
					t.Fatalf("elapsed %s, want %s", d, tc.elapsed)
				}
			}
			wantLoc := tc.loc
			if wantLoc == nil {
				wantLoc = time.UTC
			}
			if got.Location() != wantLoc {
				t.Fatalf("result in %s, want %s", got.Location(), wantLoc)
			}
			if tc.n != 0 && !incident.IsBusinessDay(got) {
				t.Fatalf("%s is not a business day", got.Weekday())
			}
		})
	}
}

func TestIsBusinessDay(t *testing.T) {
	start := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC) // a Monday
	want := []bool{true, true, true, true, true, false, false}
	for i, w := range want {
		d := start.AddDate(0, 0, i)
		if got := incident.IsBusinessDay(d); got != w {
			t.Errorf("%s: IsBusinessDay = %v, want %v", d.Weekday(), got, w)
		}
	}
}

func BenchmarkAddBusinessDays(b *testing.B) {
	ny := mustLoc(b, "America/New_York")
	t0 := time.Date(2026, 3, 6, 10, 0, 0, 0, ny)
	for b.Loop() {
		_ = incident.AddBusinessDays(t0, 5, ny)
	}
}
