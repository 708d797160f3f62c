package conformance

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	pb "github.com/protoctl/protoctl/gen/conformance"
)

func TestPrintJUnit(t *testing.T) {
	t.Parallel()
	req := &pb.ConformanceRequest{MessageType: "a.B", Payload: &pb.ConformanceRequest_ProtobufPayload{ProtobufPayload: []byte{8, 1}}}
	rep := &Report{Results: []Result{
		{ID: "ok.json", Suite: "s", Group: "g", Request: req, Status: StatusPassed},
		{ID: "bad.json", Suite: "s", Group: "g", Request: req, Status: StatusFailed, Problems: []Problem{{Runtime: "go-python", Message: "$.a: 1 vs 2"}}},
		{ID: "known.json", Suite: "s", Group: "g", Request: req, Status: StatusExpected, Problems: []Problem{{Runtime: "python", Message: "lenient", Expected: &Expectation{Reason: "python is lenient"}}}},
	}}
	var b strings.Builder
	if err := rep.PrintJUnit(&b, Header{}, func(id string) string { return "protoctl conformance --case " + id }); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b.String())
	}
	got := []string{}
	for _, s := range doc.Suites {
		got = append(got, s.Name)
		for _, c := range s.Cases {
			line := c.ClassName + " " + c.Name
			if c.Failure != nil {
				line += " failure: " + c.Failure.Message
			}
			if c.Skipped != nil {
				line += " skipped: " + c.Skipped.Message
			}
			got = append(got, line)
		}
	}
	want := []string{"s", "s.g ok.json", "s.g bad.json failure: go-python: $.a: 1 vs 2", "s.g known.json skipped: expected divergence: python is lenient"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("junit (-want +got):\n%s", diff)
	}
	if !strings.Contains(b.String(), "input hex: 0801") || !strings.Contains(b.String(), "reproduce: protoctl conformance --case bad.json") {
		t.Errorf("failure text lacks the input or the reproduce command:\n%s", b.String())
	}
}
