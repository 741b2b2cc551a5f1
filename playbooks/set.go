package playbooks

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/firebreak-hq/firebreak/incident"
)

//go:embed defaults/*.yaml
var defaults embed.FS

// embeddedPrefix names embedded files in errors, so they cannot be
// mistaken for files in the operator's directory.
const embeddedPrefix = "embedded:"

// Set is a loaded collection of playbooks, keyed by name. It is immutable
// after loading and safe for concurrent use.
type Set struct {
	byName map[string]entry
}

type entry struct {
	pb     incident.Playbook
	source string // file (and line) it came from, for duplicate reports
}

// Get returns the playbook with the given name.
func (s *Set) Get(name string) (incident.Playbook, bool) {
	if s == nil {
		return incident.Playbook{}, false
	}
	e, ok := s.byName[name]
	if !ok {
		return incident.Playbook{}, false
	}
	return clonePlaybook(e.pb), true
}

// Names lists the playbook names sorted, with "general" first because it
// is the default and the one people reach for when unsure.
func (s *Set) Names() []string {
	if s == nil {
		return nil
	}
	out := make([]string, 0, len(s.byName))
	for n := range s.byName {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i] == "general") != (out[j] == "general") {
			return out[i] == "general"
		}
		return out[i] < out[j]
	})
	return out
}

// All returns every playbook in Names order.
func (s *Set) All() []incident.Playbook {
	names := s.Names()
	out := make([]incident.Playbook, 0, len(names))
	for _, n := range names {
		out = append(out, clonePlaybook(s.byName[n].pb))
	}
	return out
}

// Source says where a playbook was loaded from: "embedded:NAME.yaml" or a
// path in the playbook directory.
func (s *Set) Source(name string) string {
	if s == nil {
		return ""
	}
	return s.byName[name].source
}

// clonePlaybook keeps callers from mutating the set through shared slices.
func clonePlaybook(p incident.Playbook) incident.Playbook {
	p.Invite = append([]string(nil), p.Invite...)
	p.Roles = append([]string(nil), p.Roles...)
	p.Steps = append([]incident.StepDef(nil), p.Steps...)
	return p
}

// Embedded returns the playbooks shipped in the binary.
func Embedded() (*Set, error) {
	s := &Set{byName: map[string]entry{}}
	if errs := s.addEmbedded(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// Load returns the embedded playbooks plus those in dir, where a file whose
// playbook has the same name as an embedded one replaces it. dir "" means
// embedded only. Any problem in dir fails the whole load, with every
// problem listed, each starting with `file:line: `: running with a
// half-loaded directory would silently hand responders the wrong checklist.
func Load(dir string) (*Set, error) {
	s := &Set{byName: map[string]entry{}}
	errs := s.addEmbedded()
	if dir != "" {
		errs = append(errs, s.addDir(dir)...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// Check validates the embedded playbooks and, when dir is not empty, the
// playbook files in dir. Each error's text starts with `file:line: `.
func Check(dir string) []error {
	_, err := Load(dir)
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func (s *Set) addEmbedded() []error {
	names, err := fs.Glob(defaults, "defaults/*.yaml")
	if err != nil {
		return []error{&Error{File: embeddedPrefix + "defaults", Line: 1, Msg: err.Error()}}
	}
	sort.Strings(names)
	var errs []error
	for _, n := range names {
		data, err := defaults.ReadFile(n)
		file := embeddedPrefix + path.Base(n)
		if err != nil {
			errs = append(errs, &Error{File: file, Line: 1, Msg: err.Error()})
			continue
		}
		errs = append(errs, s.add(file, data, false)...)
	}
	return errs
}

func (s *Set) addDir(dir string) []error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return []error{&Error{File: dir, Line: 1, Msg: "cannot read the playbook directory: " + describe(err)}}
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		ext := strings.ToLower(filepath.Ext(name))
		// Editors and config management leave READMEs, backups and dot
		// files beside the playbooks; only YAML files are playbooks.
		if e.IsDir() || strings.HasPrefix(name, ".") || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		file := filepath.Join(dir, name)
		data, err := readFile(file)
		if err != nil {
			errs = append(errs, &Error{File: file, Line: 1, Msg: "cannot read: " + describe(err)})
			continue
		}
		errs = append(errs, s.add(file, data, true)...)
	}
	return errs
}

func readFile(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	// One byte past the limit lets parse report the size without
	// reading an arbitrarily large file into memory.
	return io.ReadAll(io.LimitReader(f, MaxFileSize+1))
}

func describe(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// add parses one file into the set. override says whether the file may
// replace a playbook loaded from an earlier source (the embedded set);
// two files of the same source naming the same playbook is a mistake.
func (s *Set) add(file string, data []byte, override bool) []error {
	pb, line, errs := parse(file, data)
	if len(errs) > 0 {
		return errs
	}
	src := fmt.Sprintf("%s:%d", file, line)
	if prev, ok := s.byName[pb.Name]; ok {
		fromEmbedded := strings.HasPrefix(prev.source, embeddedPrefix)
		if !override || !fromEmbedded {
			return []error{&Error{File: file, Line: line, Msg: fmt.Sprintf("playbook %q is already defined at %s", pb.Name, prev.source)}}
		}
	}
	s.byName[pb.Name] = entry{pb: pb, source: src}
	return nil
}
