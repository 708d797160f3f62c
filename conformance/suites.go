package conformance

import (
	"embed"
	"path"
)

//go:embed suites/runtime.yaml suites/expectations.yaml
var builtin embed.FS

// Built-in file names, as messages and reports show them.
const (
	RuntimeSuiteFile    = "conformance/suites/runtime.yaml"
	ExpectationsFile    = "conformance/suites/expectations.yaml"
	builtinRuntimeSuite = "suites/runtime.yaml"
	builtinExpectations = "suites/expectations.yaml"
)

// RuntimeSuite is the built-in runtime suite: curated edge cases on the
// all-types protos.
func RuntimeSuite() (*Suite, error) {
	data, err := builtin.ReadFile(builtinRuntimeSuite)
	if err != nil {
		return nil, err
	}
	s, err := ParseSuite(RuntimeSuiteFile, data)
	if err != nil {
		return nil, err
	}
	s.Cases = append(s.Cases, generatedCases()...)
	return s, nil
}

// BuiltinExpectations are the known divergences of the built-in suites.
func BuiltinExpectations() (*Expectations, error) {
	data, err := builtin.ReadFile(builtinExpectations)
	if err != nil {
		return nil, err
	}
	return ParseExpectations(ExpectationsFile, data)
}

// Select returns the suite restricted to the requests whose ID
// ("<case>.<output>") or case name matches pattern (path.Match syntax).
func (s *Suite) Select(pattern string) *Suite {
	out := &Suite{Name: s.Name, MeaningOnly: s.MeaningOnly}
	for _, c := range s.Cases {
		var keep []string
		for _, o := range c.Outputs {
			okID, _ := path.Match(pattern, c.Name+"."+o)
			okName, _ := path.Match(pattern, c.Name)
			if okID || okName {
				keep = append(keep, o)
			}
		}
		if len(keep) > 0 {
			c.Outputs = keep
			out.Cases = append(out.Cases, c)
		}
	}
	return out
}
