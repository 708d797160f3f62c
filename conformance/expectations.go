package conformance

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Expectations are the known divergences, read from YAML and keyed by case
// x runtime x version:
//
//	expectations:
//	  - case: json_bool_for_double.*   # request ID pattern (path.Match)
//	    runtime: python                # go, python, or go-python (the two disagree)
//	    versions:                      # where the divergence was seen
//	      python: protobuf>=7.35,<8
//	    backend: upb                   # optional: the Python backend
//	    reason: python accepts true/false for double fields
//	    source: protocolbuffers/protobuf conformance/failure_list_python_upb.txt
//
// versions maps a runtime (go, python) to a package of that runtime and a
// comma-separated list of comparisons (>=, >, <=, <, ==, !=) with dotted
// numeric versions; the runtime an entry names must have one (both for
// go-python). An entry applies only when every constraint holds for the
// versions the testees report (Active); one whose package the testee does
// not report applies, since nothing says it does not.
//
// An active entry marks the matching problems expected; an active entry
// that matches a request which shows no such problem is itself a failure
// (must still fail), so the list cannot go stale.
type Expectations struct {
	Entries []Expectation `yaml:"expectations"`
}

// Expectation is one known divergence.
type Expectation struct {
	Case     string            `yaml:"case" json:"case"`
	Runtime  string            `yaml:"runtime" json:"runtime"`
	Versions map[string]string `yaml:"versions" json:"versions"`
	Backend  string            `yaml:"backend" json:"backend,omitempty"`
	Reason   string            `yaml:"reason" json:"reason"`
	Source   string            `yaml:"source" json:"source"`
	// Why says why an inactive entry does not apply.
	Why string `yaml:"-" json:"why,omitempty"`

	line        int
	constraints []constraint
}

// Runtimes a problem or an expectation can name.
const (
	RuntimeGo       = "go"
	RuntimePython   = "python"
	RuntimeGoPython = "go-python"
)

// Package names the testees report versions under.
const (
	// GoProtobufModule is the Go protobuf runtime's module.
	GoProtobufModule = "google.golang.org/protobuf"
	// PythonProtobuf is the Python protobuf runtime's distribution.
	PythonProtobuf = "protobuf"
	// PythonBackend is the key of the Python protobuf backend (upb, cpp,
	// python) among the Python testee's versions.
	PythonBackend = "backend"
)

// constraint is one runtime's package version range.
type constraint struct {
	runtime, pkg string
	ops          []comparison
}

type comparison struct {
	op  string
	ver []int
}

// ParseExpectations reads an expectations file; name is used in messages.
func ParseExpectations(name string, data []byte) (*Expectations, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s", name, yamlMessage(err))
	}
	e := &Expectations{}
	if err := doc.Decode(e); err != nil {
		return nil, fmt.Errorf("%s: %s", name, yamlMessage(err))
	}
	if len(doc.Content) == 1 {
		root := doc.Content[0]
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "expectations" {
				for j, n := range root.Content[i+1].Content {
					if j < len(e.Entries) {
						e.Entries[j].line = n.Line
					}
				}
			}
		}
	}
	for i := range e.Entries {
		x := &e.Entries[i]
		where := fmt.Sprintf("%s:%d:", name, x.line)
		if _, err := path.Match(x.Case, ""); err != nil || x.Case == "" {
			return nil, fmt.Errorf("%s case pattern %q is not a valid pattern", where, x.Case)
		}
		var need []string
		switch x.Runtime {
		case RuntimeGo, RuntimePython:
			need = []string{x.Runtime}
		case RuntimeGoPython:
			need = []string{RuntimeGo, RuntimePython}
		default:
			return nil, fmt.Errorf("%s case %s: runtime %q is not go, python or go-python", where, x.Case, x.Runtime)
		}
		if strings.TrimSpace(x.Reason) == "" || strings.TrimSpace(x.Source) == "" {
			return nil, fmt.Errorf("%s case %s: an expectation needs a reason and a source", where, x.Case)
		}
		for _, rt := range need {
			if x.Versions[rt] == "" {
				return nil, fmt.Errorf("%s case %s: versions: missing the %s version range (e.g. %s)", where, x.Case, rt, exampleRange(rt))
			}
		}
		rts := make([]string, 0, len(x.Versions))
		for rt := range x.Versions {
			rts = append(rts, rt)
		}
		sort.Strings(rts)
		for _, rt := range rts {
			if rt != RuntimeGo && rt != RuntimePython {
				return nil, fmt.Errorf("%s case %s: versions: runtime %q is not go or python", where, x.Case, rt)
			}
			c, err := parseConstraint(rt, x.Versions[rt])
			if err != nil {
				return nil, fmt.Errorf("%s case %s: versions: %s: %v", where, x.Case, rt, err)
			}
			x.constraints = append(x.constraints, c)
		}
		switch x.Backend {
		case "", "upb", "cpp", "python":
		default:
			return nil, fmt.Errorf("%s case %s: backend %q is not upb, cpp or python", where, x.Case, x.Backend)
		}
	}
	return e, nil
}

func exampleRange(rt string) string {
	if rt == RuntimeGo {
		return `"` + GoProtobufModule + `>=1.36,<2"`
	}
	return `"` + PythonProtobuf + `>=7.35,<8"`
}

// parseConstraint reads "package>=1.2,<2".
func parseConstraint(rt, s string) (constraint, error) {
	c := constraint{runtime: rt}
	i := strings.IndexAny(s, "<>=!")
	if i <= 0 {
		return c, fmt.Errorf("%q: want a package and comparisons, e.g. %s", s, exampleRange(rt))
	}
	c.pkg = strings.TrimSpace(s[:i])
	for _, part := range strings.Split(s[i:], ",") {
		part = strings.TrimSpace(part)
		op := ""
		for _, o := range []string{">=", "<=", "==", "!=", ">", "<"} {
			if strings.HasPrefix(part, o) {
				op = o
				break
			}
		}
		v, ok := parseVersion(strings.TrimSpace(strings.TrimPrefix(part, op)))
		if op == "" || !ok {
			return c, fmt.Errorf("%q: %q is not a comparison like >=1.2 or <2", s, part)
		}
		c.ops = append(c.ops, comparison{op: op, ver: v})
	}
	return c, nil
}

// parseVersion reads the dotted numbers of "v1.36.12", "7.36.2" or
// "7.35"; anything after them (a pre-release or build suffix) is ignored.
func parseVersion(s string) ([]int, bool) {
	s = strings.TrimPrefix(s, "v")
	var out []int
	for _, f := range strings.Split(s, ".") {
		end := 0
		for end < len(f) && f[end] >= '0' && f[end] <= '9' {
			end++
		}
		if end == 0 {
			break
		}
		n, err := strconv.Atoi(f[:end])
		if err != nil {
			return nil, false
		}
		out = append(out, n)
		if end < len(f) {
			break
		}
	}
	return out, len(out) > 0
}

// compareVersions orders a and b, the missing parts being 0.
func compareVersions(a, b []int) int {
	for i := range max(len(a), len(b)) {
		x, y := 0, 0
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func (c comparison) holds(v []int) bool {
	n := compareVersions(v, c.ver)
	switch c.op {
	case ">=":
		return n >= 0
	case ">":
		return n > 0
	case "<=":
		return n <= 0
	case "<":
		return n < 0
	case "==":
		return n == 0
	case "!=":
		return n != 0
	}
	return false
}

// why says why the entry does not apply to versions, or returns "" when it
// does.
func (x *Expectation) why(versions map[string]map[string]string) string {
	for _, c := range x.constraints {
		have, ok := versions[c.runtime][c.pkg]
		if !ok {
			continue
		}
		v, ok := parseVersion(have)
		if !ok {
			continue
		}
		for _, op := range c.ops {
			if !op.holds(v) {
				return fmt.Sprintf("%s %s %s is outside %s", c.runtime, c.pkg, have, x.Versions[c.runtime])
			}
		}
	}
	if have, ok := versions[RuntimePython][PythonBackend]; ok && x.Backend != "" && have != x.Backend {
		return fmt.Sprintf("the python backend is %s, not %s", have, x.Backend)
	}
	return ""
}

// Active splits the entries into those that apply to the running versions
// (runtime -> package -> version, as the testees report them) and those
// that do not, each of the latter with Why set. Nil versions make every
// entry active.
func (e *Expectations) Active(versions map[string]map[string]string) (*Expectations, []Expectation) {
	if e == nil {
		return nil, nil
	}
	active := &Expectations{}
	var inactive []Expectation
	for _, x := range e.Entries {
		if why := x.why(versions); why != "" {
			x.Why = why
			inactive = append(inactive, x)
			continue
		}
		active.Entries = append(active.Entries, x)
	}
	return active, inactive
}

// matching returns the entries whose pattern matches id.
func (e *Expectations) matching(id string) []*Expectation {
	if e == nil {
		return nil
	}
	var out []*Expectation
	for i := range e.Entries {
		if ok, _ := path.Match(e.Entries[i].Case, id); ok {
			out = append(out, &e.Entries[i])
		}
	}
	return out
}
