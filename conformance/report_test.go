package conformance

import (
	"strings"
	"testing"

	pb "github.com/protoctl/protoctl/gen/conformance"
)

func TestDriftInReports(t *testing.T) {
	t.Parallel()
	rep := &Report{Drift: &Drift{Checked: 10, Findings: []DriftFinding{{Element: "a.B.c", Message: "field 3 only in the go code"}}}}
	if rep.Failed() != 1 {
		t.Errorf("Failed() = %d, want 1", rep.Failed())
	}
	var text, js, junit strings.Builder
	if err := rep.PrintText(&text, Header{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := rep.PrintJSON(&js, Header{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := rep.PrintJUnit(&junit, Header{}, nil); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ out, want string }{
		"text":       {text.String(), "a.B.c: field 3 only in the go code"},
		"text table": {strings.Join(strings.Fields(text.String()), " "), "drift descriptors 9 1 0 10"},
		"json":       {js.String(), `"element": "a.B.c"`},
		"junit":      {junit.String(), `<testcase name="a.B.c" classname="drift.descriptors">`},
	} {
		if !strings.Contains(tc.out, tc.want) {
			t.Errorf("%s report lacks %q:\n%s", name, tc.want, tc.out)
		}
	}
}

func TestReportHeaderAndLimits(t *testing.T) {
	t.Parallel()
	h := Header{Go: "go-testee", Python: "py-testee",
		Runtimes:   map[string]map[string]string{RuntimeGo: {GoProtobufModule: "v1.36.12"}, RuntimePython: {PythonProtobuf: "7.36.2", PythonBackend: "upb", "grpcio": "1.85.3"}},
		Generators: map[string]string{"protoc-gen-go": "v1.36.12", "mypy-protobuf": "5.1.0"}}
	big := make([]byte, 3*keepLimit)
	res := Result{ID: "big.protobuf", Suite: "s", Group: "g", InputSize: len(big), Status: StatusFailed,
		Request:  &pb.ConformanceRequest{MessageType: "a.B", Payload: &pb.ConformanceRequest_ProtobufPayload{ProtobufPayload: big}},
		Go:       Reply{Response: &pb.ConformanceResponse{Result: &pb.ConformanceResponse_ProtobufPayload{ProtobufPayload: big}}},
		Python:   Reply{Failure: "python testee exited"},
		Problems: []Problem{{Runtime: RuntimePython, Message: "python testee exited"}}}
	compact(&res)
	if n := len(res.Request.GetProtobufPayload()) + len(res.Go.Response.GetProtobufPayload()); n != 2*ShownBytes {
		t.Errorf("compact kept %d payload bytes, want %d", n, 2*ShownBytes)
	}
	rep := &Report{Results: []Result{res}, Inactive: []Expectation{{Case: "old.*", Runtime: RuntimePython, Why: "python protobuf 7.36.2 is outside protobuf<5"}},
		PeakRSS: map[string]int64{PeakDriver: 30 << 20, RuntimeGo: 20 << 20, RuntimePython: 40 << 20}}
	var text, verbose, js, junit strings.Builder
	if err := rep.PrintText(&text, h, nil); err != nil {
		t.Fatal(err)
	}
	if err := rep.PrintText(&verbose, h, nil, TextOptions{Verbose: true}); err != nil {
		t.Fatal(err)
	}
	if err := rep.PrintJSON(&js, h, nil); err != nil {
		t.Fatal(err)
	}
	if err := rep.PrintJUnit(&junit, h, nil); err != nil {
		t.Fatal(err)
	}
	more := " ... (196608 bytes in all, the first 2048 shown)"
	for name, tc := range map[string]struct{ out, want string }{
		"text go":         {text.String(), "go runtime: google.golang.org/protobuf v1.36.12"},
		"text python":     {text.String(), "python runtime: backend upb, grpcio 1.85.3, protobuf 7.36.2"},
		"text generators": {text.String(), "generators (protoctl.lock): mypy-protobuf 5.1.0, protoc-gen-go v1.36.12"},
		"text memory":     {text.String(), "peak memory (RSS): driver 30 MiB, go testee 20 MiB, python testee 40 MiB"},
		"text inactive":   {text.String(), "1 expectations are inactive for these versions (--verbose lists them)"},
		"text truncated":  {text.String(), more},
		"verbose":         {verbose.String(), "INACTIVE expectation old.* (python): python protobuf 7.36.2 is outside protobuf<5"},
		"json runtimes":   {js.String(), `"google.golang.org/protobuf": "v1.36.12"`},
		"json generators": {js.String(), `"protoc-gen-go": "v1.36.12"`},
		"json inactive":   {js.String(), `"why": "python protobuf 7.36.2 is outside protobuf<5"`},
		"json memory":     {js.String(), `"driver": 31457280`},
		"json truncated":  {js.String(), more},
		"junit runtime":   {junit.String(), `<property name="python.backend" value="upb"></property>`},
		"junit generator": {junit.String(), `<property name="generator.protoc-gen-go" value="v1.36.12"></property>`},
		"junit memory":    {junit.String(), `<property name="peak_rss_bytes.python" value="41943040"></property>`},
	} {
		if !strings.Contains(tc.out, tc.want) {
			t.Errorf("%s: report lacks %q:\n%s", name, tc.want, tc.out)
		}
	}
	if len(text.String()) > 16<<10 {
		t.Errorf("text report of one large failure is %d bytes; payloads must be cut", len(text.String()))
	}
}
