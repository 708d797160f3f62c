package conformance

import (
	"fmt"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// Expectations are the known divergences, read from YAML:
//
//	expectations:
//	  - case: json_bool_for_double.*   # request ID pattern (path.Match)
//	    runtime: python                # go, python, or go-python (the two disagree)
//	    reason: python accepts true/false for double fields
//	    source: protocolbuffers/protobuf conformance/failure_list_python_upb.txt
//
// An entry marks the matching problems expected; an entry that matches a
// request which shows no such problem is itself a failure (must still fail),
// so the list cannot go stale.
type Expectations struct {
	Entries []Expectation `yaml:"expectations"`
}

// Expectation is one known divergence.
type Expectation struct {
	Case    string `yaml:"case"`
	Runtime string `yaml:"runtime"`
	Reason  string `yaml:"reason"`
	Source  string `yaml:"source"`

	line int
}

// Runtimes a problem or an expectation can name.
const (
	RuntimeGo       = "go"
	RuntimePython   = "python"
	RuntimeGoPython = "go-python"
)

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
		switch x.Runtime {
		case RuntimeGo, RuntimePython, RuntimeGoPython:
		default:
			return nil, fmt.Errorf("%s case %s: runtime %q is not go, python or go-python", where, x.Case, x.Runtime)
		}
		if strings.TrimSpace(x.Reason) == "" || strings.TrimSpace(x.Source) == "" {
			return nil, fmt.Errorf("%s case %s: an expectation needs a reason and a source", where, x.Case)
		}
	}
	return e, nil
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
