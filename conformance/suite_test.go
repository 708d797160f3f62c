package conformance

import (
	"path"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/protoctl/protoctl/gen/conformance"
)

func TestParseSuiteErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, input, want string
	}{
		{"not yaml", "suite: [", "s.yaml: "},
		{"no name", "cases: []", `s.yaml: missing "suite" name`},
		{"bad case name", "suite: s\ncases:\n  - name: Bad-Name\n    type: a.B\n    json: '{}'\n", `s.yaml:3: case name "Bad-Name" must match`},
		{"duplicate", "suite: s\ncases:\n  - {name: a, type: a.B, json: '{}'}\n  - {name: a, type: a.B, json: '{}'}\n", `s.yaml:4: duplicate case name "a"`},
		{"no type", "suite: s\ncases:\n  - {name: a, json: '{}'}\n", "s.yaml:3: case a: missing type"},
		{"two inputs", "suite: s\ncases:\n  - {name: a, type: a.B, json: '{}', binary: '00'}\n", "give exactly one of binary and json"},
		{"no input", "suite: s\ncases:\n  - {name: a, type: a.B}\n", "give exactly one of binary and json"},
		{"bad hex", "suite: s\ncases:\n  - {name: a, type: a.B, binary: 'zz'}\n", "s.yaml:3: case a: binary: encoding/hex"},
		{"bad want", "suite: s\ncases:\n  - {name: a, type: a.B, json: '{}', want: maybe}\n", `want "maybe" is not one of`},
		{"bad output", "suite: s\ncases:\n  - {name: a, type: a.B, json: '{}', outputs: [text]}\n", `output "text" is not protobuf or json`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseSuite("s.yaml", []byte(tc.input))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseSuite = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestSuiteRequests(t *testing.T) {
	t.Parallel()
	s, err := ParseSuite("s.yaml", []byte(`suite: s
cases:
  - {name: b, type: a.B, binary: "08 01"}
  - {name: j, type: a.B, json: '{"x": 1}', ignore_unknown: true, outputs: [json]}
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range s.Requests() {
		got = append(got, r.ID+" "+r.Req.GetTestCategory().String()+" "+r.Req.GetRequestedOutputFormat().String()+" "+r.Case.Group)
	}
	want := []string{
		"b.protobuf BINARY_TEST PROTOBUF misc",
		"b.json BINARY_TEST JSON misc",
		"j.json JSON_IGNORE_UNKNOWN_PARSING_TEST JSON misc",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if b := s.Requests()[0].Req.GetProtobufPayload(); string(b) != "\x08\x01" {
		t.Errorf("binary payload = %x, want 0801", b)
	}
	var sel []string
	for _, r := range s.Select("b.json").Requests() {
		sel = append(sel, r.ID)
	}
	if diff := cmp.Diff([]string{"b.json"}, sel); diff != "" {
		t.Errorf("Select(b.json) (-want +got):\n%s", diff)
	}
}

func TestBuiltinSuite(t *testing.T) {
	t.Parallel()
	s, err := RuntimeSuite()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Cases) < 40 {
		t.Errorf("runtime suite has %d cases, want at least 40", len(s.Cases))
	}
	types := GeneratedTypes()
	groups := map[string]bool{}
	for _, c := range s.Cases {
		groups[c.Group] = true
		if _, err := types.FindMessageByName(protoName(c.Type)); err != nil {
			t.Errorf("case %s: type %s is not in the generated code", c.Name, c.Type)
		}
	}
	for _, g := range []string{"scalars", "floats", "utf8", "unknown", "maps", "enums", "required", "recursion", "editions", "json", "wkt"} {
		if !groups[g] {
			t.Errorf("runtime suite has no %s case", g)
		}
	}
	e, err := BuiltinExpectations()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range s.Requests() {
		ids[r.ID] = true
	}
	for _, x := range e.Entries {
		if len(matchingIDs(x.Case, ids)) == 0 {
			t.Errorf("%s:%d: expectation %q matches no request of the runtime suite", ExpectationsFile, x.line, x.Case)
		}
	}
}

func TestParseExpectationsErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, input, want string
	}{
		{"bad pattern", "expectations:\n  - {case: '[', runtime: go, versions: {go: 'google.golang.org/protobuf>=1.36'}, reason: r, source: s}\n", `e.yaml:2: case pattern "[" is not a valid pattern`},
		{"bad runtime", "expectations:\n  - {case: a, runtime: java, reason: r, source: s}\n", `runtime "java" is not go, python or go-python`},
		{"no reason", "expectations:\n  - {case: a, runtime: go, versions: {go: 'google.golang.org/protobuf>=1.36'}, source: s}\n", "needs a reason and a source"},
		{"no source", "expectations:\n  - {case: a, runtime: go, versions: {go: 'google.golang.org/protobuf>=1.36'}, reason: r}\n", "needs a reason and a source"},
		{"no versions", "expectations:\n  - {case: a, runtime: go, reason: r, source: s}\n", `e.yaml:2: case a: versions: missing the go version range (e.g. "google.golang.org/protobuf>=1.36,<2")`},
		{"go-python needs both", "expectations:\n  - {case: a, runtime: go-python, versions: {go: 'google.golang.org/protobuf>=1.36'}, reason: r, source: s}\n", "versions: missing the python version range"},
		{"unknown runtime in versions", "expectations:\n  - {case: a, runtime: go, versions: {go: 'google.golang.org/protobuf>=1', java: 'x>=1'}, reason: r, source: s}\n", `versions: runtime "java" is not go or python`},
		{"no package", "expectations:\n  - {case: a, runtime: python, versions: {python: '>=7'}, reason: r, source: s}\n", `versions: python: ">=7": want a package and comparisons`},
		{"bad comparison", "expectations:\n  - {case: a, runtime: python, versions: {python: 'protobuf>=7,~8'}, reason: r, source: s}\n", `"~8" is not a comparison like >=1.2 or <2`},
		{"bad version", "expectations:\n  - {case: a, runtime: python, versions: {python: 'protobuf>=x'}, reason: r, source: s}\n", `">=x" is not a comparison`},
		{"bad backend", "expectations:\n  - {case: a, runtime: python, versions: {python: 'protobuf>=7'}, backend: jython, reason: r, source: s}\n", `backend "jython" is not upb, cpp or python`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseExpectations("e.yaml", []byte(tc.input))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseExpectations = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func jsonReply(s string) Reply {
	return Reply{Response: &pb.ConformanceResponse{Result: &pb.ConformanceResponse_JsonPayload{JsonPayload: s}}}
}

func TestJudge(t *testing.T) {
	t.Parallel()
	parseError := Reply{Response: &pb.ConformanceResponse{Result: &pb.ConformanceResponse_ParseError{ParseError: "bad"}}}
	expect, err := ParseExpectations("e.yaml", []byte(`expectations:
  - {case: lenient.*, runtime: python, versions: {python: protobuf>=7}, reason: python is lenient, source: s}
  - {case: fixed.*, runtime: python, versions: {python: protobuf>=7}, reason: was lenient, source: s}
  - {case: differ.*, runtime: go-python, versions: {go: google.golang.org/protobuf>=1.36, python: protobuf>=7}, reason: they differ, source: s}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, id, want   string
		goReply, pyReply Reply
		status           Status
		problems         []string
	}{
		{"agree", "same.json", "", jsonReply(`{"a":1}`), jsonReply(`{"a": 1.0}`), StatusPassed, nil},
		{"disagree", "other.json", "", jsonReply(`{"a":1}`), jsonReply(`{}`), StatusFailed, []string{"go-python: $.a: missing in the second output"}},
		{"expected disagreement", "differ.json", "", jsonReply(`{"a":1}`), jsonReply(`{}`), StatusExpected, []string{"go-python: $.a: missing in the second output"}},
		{"expected leniency", "lenient.json", "parse_error", parseError, jsonReply(`{}`), StatusExpected, []string{"python: want parse_error, got json_payload"}},
		{"unexpected leniency", "strict.json", "parse_error", parseError, jsonReply(`{}`), StatusFailed, []string{"python: want parse_error, got json_payload"}},
		{"must still fail", "fixed.json", "parse_error", parseError, parseError, StatusFailed, []string{`python: expected divergence no longer happens ("fixed.*": was lenient); remove the entry from the expectations`}},
		{"testee failure", "same.json", "", Reply{Failure: "go testee exited"}, jsonReply(`{}`), StatusFailed, []string{"go: go testee exited"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &Run{Types: GeneratedTypes(), Expectations: expect}
			c := &Case{Name: "c", Group: "g", Want: tc.want}
			q := Request{ID: tc.id, Case: c, Suite: "s", Req: &pb.ConformanceRequest{MessageType: "protoctl.testing.v1.AllTypes"}}
			res := r.judge(q, tc.goReply, tc.pyReply)
			var got []string
			for _, p := range res.Problems {
				got = append(got, p.Runtime+": "+p.Message)
			}
			if diff := cmp.Diff(tc.problems, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if res.Status != tc.status {
				t.Errorf("status = %s, want %s", res.Status, tc.status)
			}
		})
	}
}

func protoName(s string) protoreflect.FullName { return protoreflect.FullName(s) }

// matchingIDs returns the IDs matching pattern.
func matchingIDs(pattern string, ids map[string]bool) []string {
	var out []string
	for id := range ids {
		if ok, _ := path.Match(pattern, id); ok {
			out = append(out, id)
		}
	}
	return out
}
