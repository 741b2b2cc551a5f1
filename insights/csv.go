package insights

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// CSVHeader names the columns of WriteCSV, one incident per line.
var CSVHeader = []string{
	"incident", "severity", "playbook", "status",
	"declared_at", "started_at", "detected_at", "mitigated_at", "resolved_at", "closed_at",
	"minutes_to_mitigate", "minutes_to_resolve",
	"steps_skipped", "followups", "followups_done", "time_corrections", "times_corrected", "reopened",
}

// WriteCSV writes one line per incident of the report, oldest first.
// Times are UTC RFC 3339; durations are minutes with one decimal, empty
// when the incident never got there. Titles are left out: the file is
// for numbers and may travel further than the incidents should.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, x := range r.Rows {
		rec := []string{
			x.ID, string(x.Severity), x.Playbook, string(x.Status),
			ts(x.Declared), ts(x.Started), ts(x.Detected), ts(x.Mitigated), ts(x.Resolved), ts(x.Closed),
			mins(x.ToMitigate), mins(x.ToResolve),
			strconv.Itoa(x.Skipped), strconv.Itoa(x.Followups), strconv.Itoa(x.FollowDone),
			strconv.Itoa(x.Corrections), strings.Join(x.Corrected, " "), strconv.Itoa(x.Reopened),
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func mins(d time.Duration) string {
	if d < 0 {
		return ""
	}
	return strconv.FormatFloat(d.Minutes(), 'f', 1, 64)
}
