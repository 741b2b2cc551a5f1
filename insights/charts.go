package insights

import (
	"bytes"
	"fmt"
	"image/color"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/firebreak-hq/firebreak/incident"
)

// Charts are drawn on the server with gonum's plot package into SVG and
// inlined in the page: no script, no CDN, readable offline and in mail.

// Chart is one rendered figure: its caption and the inline <svg> element.
type Chart struct {
	ID      string
	Caption string
	SVG     string // empty when there is nothing to draw yet
	Empty   string // what to say instead
}

var sevColor = map[incident.Severity]color.Color{
	incident.Sev1: color.RGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff},
	incident.Sev2: color.RGBA{R: 0xef, G: 0x6c, B: 0x00, A: 0xff},
	incident.Sev3: color.RGBA{R: 0xf9, G: 0xa8, B: 0x25, A: 0xff},
	incident.Sev4: color.RGBA{R: 0x42, G: 0x7a, B: 0xb8, A: 0xff},
}

const chartW, chartH = 18 * vg.Centimeter, 9 * vg.Centimeter

// Charts renders every chart of the report, in page order.
func Charts(r *Report) ([]Chart, error) {
	var out []Chart
	add := func(c Chart, err error) error {
		if err != nil {
			return fmt.Errorf("chart %s: %w", c.ID, err)
		}
		out = append(out, c)
		return nil
	}
	if err := add(weeklyChart(r)); err != nil {
		return nil, err
	}
	for _, d := range []struct {
		id, caption string
		data        map[string][]float64
		order       []string
	}{
		{"mitigate-by-severity", "Time to mitigate by severity (minutes from impact start)", r.MitigateBySev, sevNames()},
		{"resolve-by-severity", "Time to resolve by severity (minutes from impact start)", r.ResolveBySev, sevNames()},
		{"mitigate-by-playbook", "Time to mitigate by playbook (minutes from impact start)", r.MitigateByPB, nil},
		{"resolve-by-playbook", "Time to resolve by playbook (minutes from impact start)", r.ResolveByPB, nil},
	} {
		if err := add(boxChart(d.id, d.caption, d.data, d.order)); err != nil {
			return nil, err
		}
	}
	if err := add(skipChart(r)); err != nil {
		return nil, err
	}
	if err := add(followupChart(r)); err != nil {
		return nil, err
	}
	return out, nil
}

func sevNames() []string {
	var s []string
	for _, v := range incident.Severities {
		s = append(s, string(v))
	}
	return s
}

func weeklyChart(r *Report) (Chart, error) {
	c := Chart{ID: "incidents-per-week", Caption: "Incidents per week by severity (week starting Monday)"}
	if len(r.Rows) == 0 {
		c.Empty = "No incidents in this period."
		return c, nil
	}
	p := plot.New()
	p.Y.Label.Text = "incidents"
	var below *plotter.BarChart
	w := barWidth(len(r.Weeks))
	for _, sev := range incident.Severities {
		vals := make(plotter.Values, len(r.Weeks))
		for i, wk := range r.Weeks {
			vals[i] = float64(wk.Count[sev])
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return c, err
		}
		b.Color = sevColor[sev]
		b.LineStyle.Width = 0
		if below != nil {
			b.StackOn(below)
		}
		below = b
		p.Add(b)
		p.Legend.Add(string(sev), b)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	labels := make([]string, len(r.Weeks))
	every := (len(r.Weeks) + 11) / 12
	for i, wk := range r.Weeks {
		if i%every == 0 {
			labels[i] = wk.Start.Format("Jan 2")
		}
	}
	p.NominalX(labels...)
	return render(c, p)
}

func barWidth(n int) vg.Length {
	w := (chartW - 3*vg.Centimeter) / vg.Length(max(n, 1)) * 0.7
	return max(min(w, vg.Centimeter), 1)
}

func boxChart(id, caption string, data map[string][]float64, order []string) (Chart, error) {
	c := Chart{ID: id, Caption: caption}
	if order == nil {
		for k := range data {
			order = append(order, k)
		}
		slices.Sort(order)
	}
	var names []string
	p := plot.New()
	p.Y.Label.Text = "minutes"
	for _, k := range order {
		if len(data[k]) == 0 {
			continue
		}
		b, err := plotter.NewBoxPlot(vg.Length(min(60, 400/max(len(order), 1))), float64(len(names)), plotter.Values(data[k]))
		if err != nil {
			return c, err
		}
		b.FillColor = color.RGBA{R: 0x9e, G: 0xc5, B: 0xe8, A: 0xff}
		p.Add(b)
		names = append(names, fmt.Sprintf("%s (%d)", k, len(data[k])))
	}
	if len(names) == 0 {
		c.Empty = "Nothing has been mitigated or resolved in this period."
		return c, nil
	}
	p.NominalX(names...)
	return render(c, p)
}

// skipsShown is how many steps the skipped-steps chart names.
const skipsShown = 10

func skipChart(r *Report) (Chart, error) {
	c := Chart{ID: "skipped-steps", Caption: "Most skipped checklist steps (incidents that skipped them)"}
	top := r.Skips[:min(len(r.Skips), skipsShown)]
	if len(top) == 0 {
		c.Empty = "No step was skipped in this period."
		return c, nil
	}
	vals := make(plotter.Values, len(top))
	names := make([]string, len(top))
	for i, s := range top {
		// The most skipped is drawn at the top.
		j := len(top) - 1 - i
		vals[j] = float64(s.Count)
		names[j] = clipLabel(s.Step+" · "+s.Playbook, 48)
	}
	b, err := plotter.NewBarChart(vals, 12)
	if err != nil {
		return c, err
	}
	b.Horizontal = true
	b.Color = color.RGBA{R: 0x8e, G: 0x24, B: 0xaa, A: 0xff}
	b.LineStyle.Width = 0
	p := plot.New()
	p.X.Label.Text = "incidents"
	p.Add(b)
	p.NominalY(names...)
	return render(c, p)
}

func followupChart(r *Report) (Chart, error) {
	c := Chart{ID: "followups", Caption: fmt.Sprintf("Follow-ups: %d done, %d open", r.FollowupsDone, r.FollowupsOpen)}
	if r.FollowupsDone+r.FollowupsOpen == 0 {
		c.Empty = "No follow-ups were recorded in this period."
		return c, nil
	}
	p := plot.New()
	p.Y.Label.Text = "follow-ups"
	for i, v := range []struct {
		n   int
		col color.Color
	}{{r.FollowupsDone, color.RGBA{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff}}, {r.FollowupsOpen, color.RGBA{R: 0x9e, G: 0x9e, B: 0x9e, A: 0xff}}} {
		b, err := plotter.NewBarChart(plotter.Values{float64(v.n)}, 40)
		if err != nil {
			return c, err
		}
		b.XMin = float64(i)
		b.Color = v.col
		b.LineStyle.Width = 0
		p.Add(b)
	}
	p.NominalX("done", "open")
	return render(c, p)
}

func clipLabel(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// render draws p into an SVG element fit to inline in HTML: the XML
// prolog and DOCTYPE are dropped, fonts are not embedded (the page's
// fonts are used), and the element scales with its box.
func render(c Chart, p *plot.Plot) (Chart, error) {
	cv := vgsvg.NewWith(vgsvg.UseWH(chartW, chartH), vgsvg.EmbedFonts(false))
	p.Draw(draw.New(cv))
	var buf bytes.Buffer
	if _, err := cv.WriteTo(&buf); err != nil {
		return c, err
	}
	s := buf.String()
	i := strings.Index(s, "<svg")
	if i < 0 {
		return c, fmt.Errorf("no <svg> element in the rendered chart")
	}
	s = s[i:]
	s = strings.Replace(s, "<svg ", `<svg role="img" aria-labelledby="`+c.ID+`-cap" `, 1)
	c.SVG = s
	return c, nil
}
