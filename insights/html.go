package insights

import (
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/firebreak-hq/firebreak/incident"
)

// Page is what the HTML report shows.
type Page struct {
	From, To  string
	Incidents int
	Charts    []Chart
	Summary   []SummaryRow
	CSVLink   string // relative link to the CSV, when one is served beside the page
}

// SummaryRow is the numbers behind the distribution charts, per severity.
type SummaryRow struct {
	Severity                    string
	Incidents                   int
	MitigateMedian, MitigateP90 string
	ResolveMedian, ResolveP90   string
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"svg": func(s string) template.HTML { return template.HTML(s) }, // rendered by gonum/plot; text escaped there
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Firebreak insights {{.From}} – {{.To}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;color:#1d1c1d}
h1{font-size:1.5rem}figure{margin:1.5rem 0;border:1px solid #ddd;border-radius:6px;padding:.75rem}
figcaption{font-weight:600;margin-bottom:.5rem}figure svg{width:100%;height:auto;max-width:900px;display:block}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:right}th:first-child,td:first-child{text-align:left}
.empty{color:#616061;font-style:italic}
</style>
</head>
<body>
<h1>Firebreak insights</h1>
<p>{{.Incidents}} incidents declared from {{.From}} to {{.To}}. Durations are measured from when the impact started (the declaration unless corrected with <code>/incident times</code>).{{if .CSVLink}} <a href="{{.CSVLink}}">Download the CSV</a>.{{end}}</p>
<table>
<thead><tr><th>Severity</th><th>Incidents</th><th>Mitigate, median</th><th>Mitigate, 90th pct</th><th>Resolve, median</th><th>Resolve, 90th pct</th></tr></thead>
<tbody>
{{range .Summary}}<tr><td>{{.Severity}}</td><td>{{.Incidents}}</td><td>{{.MitigateMedian}}</td><td>{{.MitigateP90}}</td><td>{{.ResolveMedian}}</td><td>{{.ResolveP90}}</td></tr>
{{end}}</tbody>
</table>
{{range .Charts}}<figure id="{{.ID}}">
<figcaption id="{{.ID}}-cap">{{.Caption}}</figcaption>
{{if .SVG}}{{svg .SVG}}{{else}}<p class="empty">{{.Empty}}</p>{{end}}
</figure>
{{end}}</body>
</html>
`))

// NewPage lays out the report for WriteHTML.
func NewPage(r *Report, loc *time.Location) (Page, error) {
	charts, err := Charts(r)
	if err != nil {
		return Page{}, err
	}
	if loc == nil {
		loc = time.UTC
	}
	p := Page{To: r.To.In(loc).Format("2006-01-02"), Incidents: len(r.Rows), Charts: charts}
	p.From = "the first incident"
	if !r.From.IsZero() {
		p.From = r.From.In(loc).Format("2006-01-02")
	}
	count := map[incident.Severity]int{}
	for _, x := range r.Rows {
		count[x.Severity]++
	}
	for _, sev := range incident.Severities {
		s := string(sev)
		p.Summary = append(p.Summary, SummaryRow{
			Severity: s, Incidents: count[sev],
			MitigateMedian: quantile(r.MitigateBySev[s], 0.5), MitigateP90: quantile(r.MitigateBySev[s], 0.9),
			ResolveMedian: quantile(r.ResolveBySev[s], 0.5), ResolveP90: quantile(r.ResolveBySev[s], 0.9),
		})
	}
	return p, nil
}

// WriteHTML writes the self-contained report page: inline styles and
// SVG, no script, no external resource.
func WriteHTML(w io.Writer, p Page) error { return page.Execute(w, p) }

// quantile formats the q-quantile (nearest rank) of minutes as a duration.
func quantile(mins []float64, q float64) string {
	if len(mins) == 0 {
		return "–"
	}
	s := slices.Clone(mins)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return human(time.Duration(s[max(i, 0)] * float64(time.Minute)))
}

func human(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h >= 48:
		return itoa(h/24) + "d " + itoa(h%24) + "h"
	case h > 0:
		return itoa(h) + "h " + itoa(m) + "m"
	}
	return itoa(m) + "m"
}

func itoa(n int) string { return strconv.Itoa(n) }
