package playbooks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/templates"
)

// MaxFileSize bounds a playbook file. A checklist is a few kilobytes; a
// file much larger than this is a mistake, and refusing it keeps a stray
// binary or log dropped into the directory from stalling start-up.
const MaxFileSize = 1 << 20

// MaxVerifyWindow bounds verify_window: the verification reminder is meant
// to fire while the responders still remember the incident.
const MaxVerifyWindow = 7 * 24 * time.Hour

// Limits that keep a playbook readable on the incident card.
const (
	maxTitle       = 150
	maxDetail      = 2000
	maxDescription = 2000
	maxStepsPhase  = 25
)

// Error is one problem in one playbook file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

var (
	nameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	lineRe = regexp.MustCompile(`line (\d+)`)
)

// builtinRoles can be named by a step without being listed under roles.
var builtinRoles = []string{"lead", "comms", "scribe"}

var topKeys = []string{"name", "title", "description", "severity", "invite", "roles", "verify_window", "lead_change", "private", "phases"}
var stepKeys = []string{"id", "title", "detail", "link", "role", "approval"}

// parser collects every problem in one file instead of stopping at the
// first, so one run of `playbooks check` shows everything to fix.
type parser struct {
	file string
	errs []error
}

func (p *parser) errf(line int, format string, args ...any) {
	if line < 1 {
		line = 1
	}
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// parse reads one playbook file. It returns the playbook and the line of
// its name (for errors found later, such as a duplicate name), or the
// problems found.
func parse(file string, data []byte) (incident.Playbook, int, []error) {
	p := &parser{file: file}
	pb, line := p.parse(data)
	// Problems are found key by key; reading them top to bottom matches
	// how people fix a file.
	sort.SliceStable(p.errs, func(i, j int) bool {
		return p.errs[i].(*Error).Line < p.errs[j].(*Error).Line
	})
	return pb, line, p.errs
}

func (p *parser) parse(data []byte) (incident.Playbook, int) {
	var pb incident.Playbook
	if len(data) > MaxFileSize {
		p.errf(1, "file is %d bytes; a playbook may be at most %d", len(data), MaxFileSize)
		return pb, 1
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errf(1, "file is empty; a playbook needs name, title and phases")
		} else {
			p.yamlErr(err)
		}
		return pb, 1
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		line := extra.Line
		if len(extra.Content) > 0 {
			line = extra.Content[0].Line
		}
		p.errf(line, "a file holds one playbook; found a second YAML document")
	} else if !errors.Is(err, io.EOF) {
		p.yamlErr(err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			p.errf(1, "file is empty; a playbook needs name, title and phases")
			return pb, 1
		}
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		p.errf(root.Line, "a playbook must be a mapping with name, title and phases, not %s", kindName(root))
		return pb, root.Line
	}

	fields := p.mapping(root, "playbook", topKeys)
	nameLine := root.Line
	if n, ok := fields["name"]; ok {
		nameLine = n.key.Line
		pb.Name = p.str(n, "name")
		if pb.Name != "" && !nameRe.MatchString(pb.Name) {
			p.errf(n.val.Line, "name %q may contain only a-z, 0-9, - and _ (at most 64, starting with a letter or digit)", clipS(pb.Name))
		}
	} else {
		p.errf(root.Line, "missing key \"name\"")
	}
	if n, ok := fields["title"]; ok {
		pb.Title = p.text(n, "title", maxTitle)
	} else {
		p.errf(root.Line, "missing key \"title\"")
	}
	if n, ok := fields["description"]; ok {
		pb.Description = p.text(n, "description", maxDescription)
	}
	if n, ok := fields["severity"]; ok {
		s := p.str(n, "severity")
		sev := incident.Severity(strings.ToLower(s))
		if s != "" && !sev.Valid() {
			p.errf(n.val.Line, "severity %q is not one of sev1, sev2, sev3, sev4 (sev1 is the worst)", clipS(s))
		} else {
			pb.Severity = sev
		}
	}
	if n, ok := fields["invite"]; ok {
		for _, it := range p.strList(n, "invite") {
			if !incident.ValidUserID(it.s) {
				p.errf(it.line, "invite %q is not a Slack user id like U012AB3CD", clipS(it.s))
				continue
			}
			pb.Invite = append(pb.Invite, it.s)
		}
	}
	declaredRoles := map[string]bool{}
	if n, ok := fields["roles"]; ok {
		for _, it := range p.strList(n, "roles") {
			switch {
			case !incident.ValidRole(it.s):
				p.errf(it.line, "role %q must be one word of a-z, 0-9, - or _ starting with a letter (at most 30)", clipS(it.s))
			case it.s == "lead":
				p.errf(it.line, "role \"lead\" is built in; do not list it under roles")
			case declaredRoles[it.s]:
				p.errf(it.line, "role %q is listed twice", it.s)
			default:
				declaredRoles[it.s] = true
				pb.Roles = append(pb.Roles, it.s)
			}
		}
	}
	if n, ok := fields["verify_window"]; ok {
		s := p.str(n, "verify_window")
		if s != "" {
			d, err := time.ParseDuration(s)
			switch {
			case err != nil:
				p.errf(n.val.Line, "verify_window %q is not a duration like 30m or 2h", clipS(s))
			case d <= 0 || d > MaxVerifyWindow:
				p.errf(n.val.Line, "verify_window %s must be more than 0 and at most %s", s, "168h")
			default:
				pb.VerifyWindow = d
			}
		}
	}
	if n, ok := fields["lead_change"]; ok {
		s := p.str(n, "lead_change")
		if !incident.ValidLeadChange(s) {
			p.errf(n.val.Line, "lead_change %q is not %q (the lead or the declarer may change the lead; the default) or %q (any member may)", clipS(s), incident.LeadChangeLead, incident.LeadChangeAnyone)
		} else {
			pb.LeadChange = s
		}
	}
	if f, ok := fields["private"]; ok {
		if f.val.Kind != yaml.ScalarNode || f.val.Tag != "!!bool" {
			p.errf(f.val.Line, "private must be true or false")
		} else {
			pb.Private, _ = strconv.ParseBool(f.val.Value)
		}
	}
	if n, ok := fields["phases"]; ok {
		pb.Steps = p.phases(n, declaredRoles)
	} else {
		p.errf(root.Line, "missing key \"phases\" (%s)", phaseList())
	}

	// The domain's own invariants apply whatever the file format; they
	// overlap with the checks above, so only run them on an otherwise clean
	// file to avoid reporting one mistake twice.
	if len(p.errs) == 0 {
		if err := pb.Validate(); err != nil {
			p.errf(nameLine, "%s", templates.ErrorText(err))
		}
	}
	return pb, nameLine
}

type field struct{ key, val *yaml.Node }

// mapping checks n's keys against known and returns them by name; unknown,
// duplicate and non-string keys are reported where they occur.
func (p *parser) mapping(n *yaml.Node, what string, known []string) map[string]field {
	out := map[string]field{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errf(k.Line, "%s keys must be plain words", what)
			continue
		}
		if prev, dup := out[k.Value]; dup {
			p.errf(k.Line, "key %q appears twice in this %s (first on line %d)", k.Value, what, prev.key.Line)
			continue
		}
		if !contains(known, k.Value) {
			p.errf(k.Line, "unknown key %q in %s (known: %s)", clipS(k.Value), what, strings.Join(known, ", "))
			continue
		}
		if v.Kind == yaml.AliasNode || k.Kind == yaml.AliasNode {
			p.errf(v.Line, "YAML aliases are not supported in playbooks; write the value out")
			continue
		}
		out[k.Value] = field{k, v}
	}
	return out
}

// str reads a scalar value. Null counts as missing; other non-strings are
// refused so that `title: [a]` does not become "".
func (p *parser) str(f field, key string) string {
	v := f.val
	if v.Kind != yaml.ScalarNode {
		p.errf(v.Line, "%s must be a single value, not %s", key, kindName(v))
		return ""
	}
	if v.Tag == "!!null" {
		p.errf(v.Line, "%s is empty", key)
		return ""
	}
	return strings.TrimSpace(v.Value)
}

func (p *parser) text(f field, key string, max int) string {
	s := p.str(f, key)
	if s == "" {
		if f.val.Kind == yaml.ScalarNode && f.val.Tag != "!!null" {
			p.errf(f.val.Line, "%s is empty", key)
		}
		return ""
	}
	if n := len([]rune(s)); n > max {
		p.errf(f.val.Line, "%s is %d characters; at most %d fit", key, n, max)
	}
	return s
}

type item struct {
	s    string
	line int
}

func (p *parser) strList(f field, key string) []item {
	v := f.val
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		p.errf(v.Line, "%s must be a list like [a, b], not %s", key, kindName(v))
		return nil
	}
	var out []item
	for _, e := range v.Content {
		if e.Kind != yaml.ScalarNode || e.Tag == "!!null" {
			p.errf(e.Line, "each entry of %s must be a single value", key)
			continue
		}
		out = append(out, item{strings.TrimSpace(e.Value), e.Line})
	}
	return out
}

func (p *parser) phases(f field, roles map[string]bool) []incident.StepDef {
	v := f.val
	if v.Kind != yaml.MappingNode {
		p.errf(v.Line, "phases must be a mapping of %s, not %s", phaseList(), kindName(v))
		return nil
	}
	names := make([]string, len(incident.Phases))
	for i, ph := range incident.Phases {
		names[i] = string(ph)
	}
	groups := p.mapping(v, "phases", names)
	var steps []incident.StepDef
	ids := map[string]int{}
	for _, ph := range incident.Phases {
		g, ok := groups[string(ph)]
		if !ok {
			p.errf(f.key.Line, "phase %s is missing; every playbook needs steps in %s", ph, phaseList())
			continue
		}
		if g.val.Kind != yaml.SequenceNode || len(g.val.Content) == 0 {
			p.errf(g.key.Line, "phase %s needs a list of at least one step", ph)
			continue
		}
		if len(g.val.Content) > maxStepsPhase {
			p.errf(g.key.Line, "phase %s has %d steps; at most %d fit on the card", ph, len(g.val.Content), maxStepsPhase)
		}
		for _, sn := range g.val.Content {
			if st, ok := p.step(sn, ph, ids, roles); ok {
				steps = append(steps, st)
			}
		}
	}
	return steps
}

func (p *parser) step(n *yaml.Node, ph incident.Phase, ids map[string]int, roles map[string]bool) (incident.StepDef, bool) {
	st := incident.StepDef{Phase: ph}
	if n.Kind != yaml.MappingNode {
		p.errf(n.Line, "a step must be a mapping with id and title, not %s", kindName(n))
		return st, false
	}
	before := len(p.errs)
	fs := p.mapping(n, "step", stepKeys)
	if f, ok := fs["id"]; ok {
		st.ID = p.str(f, "id")
		switch {
		case st.ID == "":
		case !nameRe.MatchString(st.ID):
			p.errf(f.val.Line, "step id %q may contain only a-z, 0-9, - and _ (at most 64); it is stored in button values", clipS(st.ID))
		case ids[st.ID] > 0:
			p.errf(f.val.Line, "duplicate step id %q (first on line %d)", st.ID, ids[st.ID])
		default:
			ids[st.ID] = f.val.Line
		}
	} else {
		p.errf(n.Line, "step has no id")
	}
	if f, ok := fs["title"]; ok {
		st.Title = p.text(f, "title", maxTitle)
	} else {
		p.errf(n.Line, "step %q has no title", clipS(st.ID))
	}
	if f, ok := fs["detail"]; ok {
		st.Detail = p.text(f, "detail", maxDetail)
	}
	if f, ok := fs["link"]; ok {
		st.Link = p.str(f, "link")
		if u, err := url.Parse(st.Link); st.Link != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(st.Link, "<>| ")) {
			p.errf(f.val.Line, "link %q must be an absolute http(s) URL", clipS(st.Link))
		}
	}
	if f, ok := fs["role"]; ok {
		st.Role = p.str(f, "role")
		if st.Role != "" && !contains(builtinRoles, st.Role) && !roles[st.Role] {
			p.errf(f.val.Line, "step role %q is not lead, comms, scribe or listed under roles", clipS(st.Role))
		}
	}
	if f, ok := fs["approval"]; ok {
		if f.val.Kind != yaml.ScalarNode || f.val.Tag != "!!bool" {
			p.errf(f.val.Line, "approval must be true or false")
		} else {
			b, _ := strconv.ParseBool(f.val.Value)
			st.Approval = b
		}
	}
	return st, len(p.errs) == before
}

func (p *parser) yamlErr(err error) {
	line := 1
	msg := err.Error()
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		if n, e := strconv.Atoi(m[1]); e == nil {
			line = n
		}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = lineRe.ReplaceAllString(msg, "")
	msg = strings.TrimLeft(msg, " :")
	p.errf(line, "not valid YAML: %s", msg)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("the value %q", clipS(n.Value))
	}
	return "nothing"
}

func phaseList() string {
	s := make([]string, len(incident.Phases))
	for i, ph := range incident.Phases {
		s[i] = string(ph)
	}
	return strings.Join(s, ", ")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// clipS keeps echoed values short so one bad line cannot flood the output.
func clipS(s string) string {
	r := []rune(s)
	if len(r) <= 40 {
		return s
	}
	return string(r[:40]) + "…"
}
