package intake

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/firebreak-hq/firebreak/incident"
)

// Action is what a route does with a matching alert.
type Action string

// Route actions.
const (
	ActDeclare Action = "declare"
	ActAttach  Action = "attach"
	ActNotify  Action = "notify"
	ActIgnore  Action = "ignore"
)

// Route is one rule of FIREBREAK_ROUTES, in file order.
type Route struct {
	Name       string
	Line       int
	Match      []Matcher
	Action     Action
	Severity   incident.Severity
	Playbook   string
	Responders []string
	Private    bool
	// Page: PageDefault pages the configured services; PageTargets names
	// targets; PagerDutyKey/OpsgenieTeam make the route a target itself
	// (named after the route).
	PageDefault  bool
	PageTargets  []string
	PagerDutyKey string
	OpsgenieTeam string
	Channel      string
}

// Matcher compares one label, exactly or with an anchored regexp.
type Matcher struct {
	Label string
	Value string
	Re    *regexp.Regexp
}

// Matches reports whether labels satisfy m.
func (m Matcher) Matches(labels map[string]string) bool {
	v, ok := labels[m.Label]
	if m.Re != nil {
		return m.Re.MatchString(v)
	}
	return ok && v == m.Value
}

// Routes is a parsed routing file.
type Routes struct {
	File   string
	Routes []Route
}

// DefaultRoutes is the behaviour without a file: every firing group
// declares a sev3 incident with the general playbook.
func DefaultRoutes() *Routes {
	return &Routes{Routes: []Route{{Name: "default", Action: ActDeclare, Severity: incident.Sev3, Playbook: "general", PageDefault: false}}}
}

// Match returns the first route whose matchers all hold, or nil.
func (rs *Routes) Match(labels map[string]string) *Route {
	for i := range rs.Routes {
		r := &rs.Routes[i]
		ok := true
		for _, m := range r.Match {
			if !m.Matches(labels) {
				ok = false
				break
			}
		}
		if ok {
			return r
		}
	}
	return nil
}

// PageRoutes lists the routes that are page targets themselves.
func (rs *Routes) PageRoutes() []Route {
	var out []Route
	for _, r := range rs.Routes {
		if r.PagerDutyKey != "" || r.OpsgenieTeam != "" {
			out = append(out, r)
		}
	}
	return out
}

// LineError is one problem in a routes file, at file:line.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// LoadRoutes reads and checks a routes file. playbooks, when not nil,
// must know every playbook a route names.
func LoadRoutes(path string, playbooks Playbooks) (*Routes, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("FIREBREAK_ROUTES: %w", err)
	}
	return ParseRoutes(path, b, playbooks)
}

var (
	userIDRe  = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
	chanIDRe  = regexp.MustCompile(`^[CG][A-Z0-9]{2,20}$`)
	nameRe    = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)
	reserved  = map[string]bool{"pagerduty": true, "opsgenie": true}
	routeKeys = map[string]bool{"name": true, "match": true, "action": true, "severity": true, "playbook": true,
		"responders": true, "private": true, "page": true, "channel": true}
)

// ParseRoutes parses a routes file's content; every error carries
// file:line, and all of them are reported together.
func ParseRoutes(file string, data []byte, playbooks Playbooks) (*Routes, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%s: %s", file, strings.Join(te.Errors, "; "))
		}
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	p := &routeParser{file: file, pbs: playbooks}
	rs := &Routes{File: file}
	if len(doc.Content) == 0 {
		return nil, &LineError{file, 1, "the file is empty; it needs a `routes:` list"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &LineError{file, root.Line, "the file must be a mapping with a `routes:` list"}
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "routes" {
			p.fail(k.Line, "unknown key %q at the top level; only `routes` is allowed", k.Value)
			continue
		}
		list = v
	}
	if list == nil {
		p.fail(root.Line, "no `routes:` list")
	} else if list.Kind != yaml.SequenceNode {
		p.fail(list.Line, "`routes` must be a list of rules")
	} else {
		names := map[string]int{}
		pageNames := map[string]bool{}
		for _, n := range list.Content {
			r, ok := p.route(n)
			if r.Name != "" {
				if prev, dup := names[r.Name]; dup {
					p.fail(r.Line, "route name %q is already used on line %d", r.Name, prev)
				}
				names[r.Name] = r.Line
				if r.PagerDutyKey != "" || r.OpsgenieTeam != "" {
					pageNames[r.Name] = true
				}
			}
			if ok {
				rs.Routes = append(rs.Routes, r)
			}
		}
		for _, pt := range p.targets {
			if !pageNames[pt.name] && !reserved[pt.name] {
				p.fail(pt.line, "page target %q is neither pagerduty, opsgenie nor the name of a route with its own `page`", pt.name)
			}
		}
	}
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool {
			var a, b *LineError
			errors.As(p.errs[i], &a)
			errors.As(p.errs[j], &b)
			return a.Line < b.Line
		})
		return nil, errors.Join(p.errs...)
	}
	return rs, nil
}

type routeParser struct {
	file    string
	pbs     Playbooks
	errs    []error
	targets []struct {
		name string
		line int
	}
}

func (p *routeParser) fail(line int, format string, args ...any) {
	p.errs = append(p.errs, &LineError{p.file, line, fmt.Sprintf(format, args...)})
}

func (p *routeParser) route(n *yaml.Node) (Route, bool) {
	r := Route{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		p.fail(n.Line, "a route must be a mapping with `match` and `action`")
		return r, false
	}
	before := len(p.errs)
	var actionLine int
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !routeKeys[k.Value] {
			p.fail(k.Line, "unknown key %q in a route; known: action, channel, match, name, page, playbook, private, responders, severity", k.Value)
			continue
		}
		switch k.Value {
		case "name":
			if !nameRe.MatchString(v.Value) || reserved[v.Value] {
				p.fail(v.Line, "route name %q must be a-z, 0-9, - or _ starting with a letter, and not pagerduty or opsgenie", v.Value)
			}
			r.Name = v.Value
		case "match":
			p.match(&r, v)
		case "action":
			actionLine = v.Line
			switch a := Action(v.Value); a {
			case ActDeclare, ActAttach, ActNotify, ActIgnore:
				r.Action = a
			default:
				p.fail(v.Line, "action %q must be declare, attach, notify or ignore", v.Value)
			}
		case "severity":
			sev, err := incident.ParseSeverity(v.Value)
			if err != nil {
				p.fail(v.Line, "severity %q must be sev1–sev4", v.Value)
			}
			r.Severity = sev
		case "playbook":
			r.Playbook = v.Value
			if p.pbs != nil {
				if _, ok := p.pbs.Get(v.Value); !ok {
					p.fail(v.Line, "no playbook named %q", v.Value)
				}
			}
		case "responders":
			if v.Kind != yaml.SequenceNode {
				p.fail(v.Line, "responders must be a list of Slack user IDs like U0123ABCD")
				continue
			}
			for _, u := range v.Content {
				if !userIDRe.MatchString(u.Value) {
					p.fail(u.Line, "responder %q is not a Slack user ID like U0123ABCD", u.Value)
				}
				r.Responders = append(r.Responders, u.Value)
			}
		case "private":
			if err := v.Decode(&r.Private); err != nil {
				p.fail(v.Line, "private must be true or false")
			}
		case "page":
			p.page(&r, v)
		case "channel":
			if !chanIDRe.MatchString(v.Value) {
				p.fail(v.Line, "channel %q must be a channel ID like C0123456789", v.Value)
			}
			r.Channel = v.Value
		}
	}
	switch {
	case r.Action == "" && actionLine == 0:
		p.fail(n.Line, "the route has no action (declare, attach, notify or ignore)")
	case r.Action == ActNotify && r.Channel == "":
		p.fail(n.Line, "a notify route needs a channel")
	case r.Action != ActNotify && r.Channel != "":
		p.fail(n.Line, "only a notify route takes a channel")
	case r.Action != ActDeclare && (r.Severity != "" || r.Playbook != "" || len(r.Responders) > 0 || r.Private || r.PageDefault || len(r.PageTargets) > 0):
		p.fail(n.Line, "severity, playbook, responders, private and page belong to a declare route")
	}
	if (r.PagerDutyKey != "" || r.OpsgenieTeam != "") && r.Name == "" {
		p.fail(n.Line, "a route with its own page keys needs a name, which `/incident page <name>` uses")
	}
	if r.Action == ActDeclare && r.Playbook == "" {
		r.Playbook = "general"
	}
	return r, len(p.errs) == before
}

func (p *routeParser) match(r *Route, v *yaml.Node) {
	if v.Kind != yaml.MappingNode {
		p.fail(v.Line, "match must be a mapping of label: value or label: /regex/")
		return
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		if val.Kind != yaml.ScalarNode {
			p.fail(val.Line, "label %q must match a string or /regex/", k.Value)
			continue
		}
		m := Matcher{Label: k.Value, Value: val.Value}
		if s := val.Value; len(s) >= 2 && strings.HasPrefix(s, "/") && strings.HasSuffix(s, "/") {
			if _, err := regexp.Compile(s[1 : len(s)-1]); err != nil {
				p.fail(val.Line, "label %q: bad regular expression %s: %v", k.Value, s, err)
				continue
			}
			re := regexp.MustCompile("^(?:" + s[1:len(s)-1] + ")$")
			m.Re = re
		}
		r.Match = append(r.Match, m)
	}
	sort.SliceStable(r.Match, func(i, j int) bool { return r.Match[i].Label < r.Match[j].Label })
}

func (p *routeParser) page(r *Route, v *yaml.Node) {
	switch v.Kind {
	case yaml.ScalarNode:
		var b bool
		if err := v.Decode(&b); err != nil {
			p.fail(v.Line, "page is true, a list of targets, or {pagerduty: KEY, opsgenie: TEAM}")
			return
		}
		r.PageDefault = b
	case yaml.SequenceNode:
		for _, t := range v.Content {
			name := strings.ToLower(t.Value)
			r.PageTargets = append(r.PageTargets, name)
			p.targets = append(p.targets, struct {
				name string
				line int
			}{name, t.Line})
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, val := v.Content[i], v.Content[i+1]
			switch k.Value {
			case "pagerduty":
				r.PagerDutyKey = val.Value
			case "opsgenie":
				r.OpsgenieTeam = val.Value
			default:
				p.fail(k.Line, "page keys are pagerduty and opsgenie, not %q", k.Value)
			}
			if strings.TrimSpace(val.Value) == "" {
				p.fail(val.Line, "page %s is empty", k.Value)
			}
		}
	default:
		p.fail(v.Line, "page is true, a list of targets, or {pagerduty: KEY, opsgenie: TEAM}")
	}
}
