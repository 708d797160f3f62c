package conformance

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	pb "github.com/protoctl/protoctl/gen/conformance"
)

// Suite is a named list of cases, read from YAML:
//
//	suite: runtime
//	cases:
//	  - name: int32_max           # unique in the suite; [a-z0-9_]
//	    group: scalars            # the summary's category
//	    type: protoctl.testing.v1.AllTypes
//	    binary: "08 ffffffff07"   # hex input (spaces allowed), or
//	    json: '{"singularInt32": 2147483647}'
//	    ignore_unknown: true      # JSON_IGNORE_UNKNOWN_PARSING_TEST
//	    outputs: [protobuf, json] # the default
//	    want: ok                  # optional: ok, parse_error, serialize_error, error
//	    origin: python            # optional: go or python, see below
//	    note: why the case exists
//
// Each case becomes one request per output; a request's ID is
// "<name>.<output>".
//
// A case with an origin is a round trip that starts in that runtime: the
// input is a seed which the origin testee first rewrites in the same format
// (so the bytes or JSON the other runtime reads were written by the
// origin); both runtimes then read it and write the requested output; and
// the other runtime's output goes back to the origin, which must read it
// and write exactly what it wrote itself.
type Suite struct {
	Name  string `yaml:"suite"`
	Cases []Case `yaml:"cases"`
	// MeaningOnly compares binary output by meaning only, not also byte for
	// byte (equal messages may differ in map and field order).
	MeaningOnly bool `yaml:"meaning_only"`
}

// Case is one input sent to both runtimes.
type Case struct {
	Name          string   `yaml:"name"`
	Group         string   `yaml:"group"`
	Type          string   `yaml:"type"`
	Binary        *string  `yaml:"binary"`
	JSON          *string  `yaml:"json"`
	IgnoreUnknown bool     `yaml:"ignore_unknown"`
	Outputs       []string `yaml:"outputs"`
	Want          string   `yaml:"want"`
	Note          string   `yaml:"note"`
	Origin        string   `yaml:"origin"`

	line int
	// raw is the binary input of a case built in code (Binary is nil), or
	// build makes it when the case's requests are made (so a large case
	// that --case leaves out is never built).
	raw   []byte
	build func() []byte
}

// Request is one request of a suite, ready to send.
type Request struct {
	ID          string
	Case        *Case
	Suite       string
	MeaningOnly bool
	Req         *pb.ConformanceRequest
}

var (
	caseName = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)
	outputs  = map[string]pb.WireFormat{"protobuf": pb.WireFormat_PROTOBUF, "json": pb.WireFormat_JSON}
	wants    = map[string]bool{"": true, "ok": true, "parse_error": true, "serialize_error": true, "error": true}
)

// ParseSuite reads a suite; name is the file name used in messages.
func ParseSuite(name string, data []byte) (*Suite, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s", name, yamlMessage(err))
	}
	s := &Suite{}
	if err := doc.Decode(s); err != nil {
		return nil, fmt.Errorf("%s: %s", name, yamlMessage(err))
	}
	if s.Name == "" {
		return nil, fmt.Errorf("%s: missing \"suite\" name", name)
	}
	// Line numbers of the cases, for messages.
	if len(doc.Content) == 1 {
		root := doc.Content[0]
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "cases" {
				for j, c := range root.Content[i+1].Content {
					if j < len(s.Cases) {
						s.Cases[j].line = c.Line
					}
				}
			}
		}
	}
	seen := map[string]bool{}
	for i := range s.Cases {
		c := &s.Cases[i]
		where := fmt.Sprintf("%s:%d:", name, c.line)
		switch {
		case !caseName.MatchString(c.Name):
			return nil, fmt.Errorf("%s case name %q must match %s", where, c.Name, caseName)
		case seen[c.Name]:
			return nil, fmt.Errorf("%s duplicate case name %q", where, c.Name)
		case c.Type == "":
			return nil, fmt.Errorf("%s case %s: missing type", where, c.Name)
		case (c.Binary == nil) == (c.JSON == nil):
			return nil, fmt.Errorf("%s case %s: give exactly one of binary and json", where, c.Name)
		case !wants[c.Want]:
			return nil, fmt.Errorf("%s case %s: want %q is not one of ok, parse_error, serialize_error, error", where, c.Name, c.Want)
		case c.Origin != "" && c.Origin != RuntimeGo && c.Origin != RuntimePython:
			return nil, fmt.Errorf("%s case %s: origin %q is not go or python", where, c.Name, c.Origin)
		}
		seen[c.Name] = true
		if c.Binary != nil {
			if _, err := c.binary(); err != nil {
				return nil, fmt.Errorf("%s case %s: binary: %v", where, c.Name, err)
			}
		}
		if c.Group == "" {
			c.Group = "misc"
		}
		if len(c.Outputs) == 0 {
			c.Outputs = []string{"protobuf", "json"}
		}
		for _, o := range c.Outputs {
			if _, ok := outputs[o]; !ok {
				return nil, fmt.Errorf("%s case %s: output %q is not protobuf or json", where, c.Name, o)
			}
		}
	}
	return s, nil
}

func (c *Case) binary() ([]byte, error) {
	return hex.DecodeString(strings.Join(strings.Fields(*c.Binary), ""))
}

// Requests expands the suite into requests.
func (s *Suite) Requests() []Request {
	var reqs []Request
	for i := range s.Cases {
		c := &s.Cases[i]
		raw := c.raw
		if raw == nil && c.build != nil {
			raw = c.build() // once for the case: its requests share it
		}
		if raw == nil && c.Binary != nil {
			raw, _ = c.binary()
		}
		for _, o := range c.Outputs {
			req := &pb.ConformanceRequest{MessageType: c.Type, RequestedOutputFormat: outputs[o]}
			if raw != nil {
				req.Payload = &pb.ConformanceRequest_ProtobufPayload{ProtobufPayload: raw}
				req.TestCategory = pb.TestCategory_BINARY_TEST
			} else {
				req.Payload = &pb.ConformanceRequest_JsonPayload{JsonPayload: *c.JSON}
				req.TestCategory = pb.TestCategory_JSON_TEST
				if c.IgnoreUnknown {
					req.TestCategory = pb.TestCategory_JSON_IGNORE_UNKNOWN_PARSING_TEST
				}
			}
			reqs = append(reqs, Request{ID: c.Name + "." + o, Case: c, Suite: s.Name, MeaningOnly: s.MeaningOnly, Req: req})
		}
	}
	return reqs
}

// yamlMessage turns a yaml.v3 error into "line N: cause".
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	return msg
}
