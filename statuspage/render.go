package statuspage

import (
	"encoding/json"
	"encoding/xml"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

var page = template.Must(template.New("status").Funcs(template.FuncMap{
	"when": func(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02 15:04 MST") },
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"entry": func(e Entry, loc *time.Location) any {
		return struct {
			E   Entry
			Loc *time.Location
		}{e, loc}
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Status</title>
<link rel="alternate" type="application/atom+xml" title="Status updates" href="status.atom">
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:900px;padding:1rem 1.5rem;color:#1d1c1d}
.ok{background:#e8f5e9;border:1px solid #a5d6a7;border-radius:6px;padding:.75rem 1rem;font-weight:600}
article{border:1px solid #ddd;border-radius:6px;padding:.75rem 1rem;margin:1rem 0}
article h3{margin:.2rem 0 .4rem}.meta{color:#616061;font-size:.9rem}
.sev1{border-left:6px solid #c62828}.sev2{border-left:6px solid #ef6c00}.sev3{border-left:6px solid #f9a825}.sev4{border-left:6px solid #427ab8}
ol{list-style:none;padding:0}li{margin:.5rem 0}time{color:#616061;font-size:.85rem;display:block}
.text{white-space:pre-wrap}
</style>
</head>
<body>
<h1>Status</h1>
{{if not .P.Open}}<p class="ok">No open incidents.</p>{{end}}
{{if .P.Open}}<h2>Open incidents</h2>{{end}}
{{range .P.Open}}{{template "entry" (entry . $.Loc)}}{{end}}
{{if .P.Resolved}}<h2>Resolved in the last 7 days</h2>{{end}}
{{range .P.Resolved}}{{template "entry" (entry . $.Loc)}}{{end}}
<p class="meta">Updated <time datetime="{{iso .P.Generated}}" style="display:inline">{{when .P.Generated .Loc}}</time>. Also as <a href="status.json">JSON</a> and an <a href="status.atom">Atom feed</a>.</p>
</body>
</html>
{{define "entry"}}<article class="{{.E.Severity}}" id="{{.E.ID}}">
<h3>{{.E.ID}}: {{.E.Title}}</h3>
<p class="meta">{{.E.Severity}} · {{.E.Status}} · since {{when .E.Started .Loc}}{{if not .E.Resolved.IsZero}} · resolved {{when .E.Resolved .Loc}}{{end}}</p>
{{if .E.Updates}}<ol>{{range .E.Updates}}<li><time datetime="{{iso .At}}">{{when .At $.Loc}}</time><span class="text">{{.Text}}</span></li>{{end}}</ol>{{else}}<p class="meta">No status update yet.</p>{{end}}
</article>
{{end}}`))

// WriteHTML writes the page; times are shown in loc.
func WriteHTML(w io.Writer, p Page, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	return page.Execute(w, struct {
		P   Page
		Loc *time.Location
	}{p, loc})
}

// WriteJSON writes the page as JSON.
func WriteJSON(w io.Writer, p Page) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// The Atom feed (RFC 4287): one entry per status update.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Author  atomAuthor  `xml:"author"`
	Link    atomLink    `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
}

type atomEntry struct {
	Title   string   `xml:"title"`
	ID      string   `xml:"id"`
	Updated string   `xml:"updated"`
	Link    atomLink `xml:"link"`
	Content atomText `xml:"content"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

// WriteAtom writes the status updates as an Atom feed, newest first.
// selfURL is the feed's own address as the client asked for it.
func WriteAtom(w io.Writer, p Page, base string) error {
	f := atomFeed{Title: "Status updates", ID: "urn:firebreak:status", Author: atomAuthor{Name: "Firebreak"},
		Updated: p.Generated.Format(time.RFC3339), Link: atomLink{Href: base + "status", Rel: "alternate"}}
	var latest time.Time
	for _, list := range [][]Entry{p.Open, p.Resolved} {
		for _, e := range list {
			for _, u := range e.Updates {
				if u.At.After(latest) {
					latest = u.At
				}
				f.Entries = append(f.Entries, atomEntry{
					Title:   e.ID + ": " + e.Title + " (" + e.Status + ")",
					ID:      "urn:firebreak:" + e.ID + "/update/" + strconv.FormatUint(u.Seq, 10),
					Updated: u.At.UTC().Format(time.RFC3339),
					Link:    atomLink{Href: base + "status#" + e.ID},
					Content: atomText{Type: "text", Body: u.Text},
				})
			}
		}
	}
	slices.SortStableFunc(f.Entries, func(a, b atomEntry) int { return strings.Compare(b.Updated, a.Updated) })
	if !latest.IsZero() {
		f.Updated = latest.UTC().Format(time.RFC3339)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
