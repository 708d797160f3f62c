package conformance

import (
	"context"
	"fmt"
	pb "github.com/protoctl/protoctl/gen/conformance"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRuntimeSuite runs the built-in runtime suite against the real Go and
// Python testees: every request must pass or be an expected divergence, and
// every expectation must still happen.
func TestRuntimeSuite(t *testing.T) {
	t.Parallel()
	goCmd, pyCmd := goTestee(t), pythonTestee(t)
	goProc, pyProc := NewProcess(goCmd), NewProcess(pyCmd)
	defer goProc.Close()
	defer pyProc.Close()
	versions := map[string]map[string]string{}
	for _, c := range []Command{goCmd, pyCmd} {
		v, err := TesteeVersions(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		versions[c.Name] = v
	}
	if versions[RuntimeGo][GoProtobufModule] == "" || versions[RuntimePython][PythonBackend] == "" {
		t.Fatalf("testee versions = %v, want the go protobuf module and the python backend", versions)
	}
	s, err := RuntimeSuite()
	if err != nil {
		t.Fatal(err)
	}
	e, err := BuiltinExpectations()
	if err != nil {
		t.Fatal(err)
	}
	r := &Run{Go: goProc, Python: pyProc, Types: GeneratedTypes(), Expectations: e, Versions: versions}
	rep, err := r.Execute(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() > 0 {
		var b strings.Builder
		_ = rep.PrintText(&b, Header{}, nil)
		t.Errorf("%d requests failed:\n%s", rep.Failed(), b.String())
	}
	_, suites := rep.Summary()
	if len(suites) != 1 || suites[0].Expected == 0 || suites[0].Passed < 100 {
		t.Errorf("summary = %+v, want one suite with passes and expected divergences", suites)
	}
	if rep.Restarts[RuntimeGo]+rep.Restarts[RuntimePython] != 0 {
		t.Errorf("restarts = %v, want none", rep.Restarts)
	}
	// The pure-Python entries do not apply to the upb backend.
	if versions[RuntimePython][PythonBackend] == "upb" && len(rep.Inactive) == 0 {
		t.Errorf("no inactive expectations; the backend: python entries should be")
	}
	// Throughput with both testees warm: the small cases sent 20 times in
	// one batch.
	small := &Suite{Name: s.Name}
	for _, c := range s.Cases {
		if c.Group != "large" && c.Group != "recursion" {
			small.Cases = append(small.Cases, c)
		}
	}
	many := make([]*Suite, 20)
	for i := range many {
		many[i] = small
	}
	rep, err = r.Execute(context.Background(), many...)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() > 0 {
		t.Errorf("repeated suite: %d requests failed", rep.Failed())
	}
	t.Logf("%d requests in %v: %.0f cross-runtime comparisons/s", len(rep.Results), rep.Duration, rep.CasesPerSecond())
}

// faultSuite has five requests, so a process-level fault on the third
// request of a process fires exactly once: the restarted testee answers the
// remaining two as its first and second.
const faultSuite = `suite: faults
cases:
  - {name: int32, group: g, type: protoctl.testing.v1.AllTypes, binary: "0805", want: ok}
  - {name: unknown, group: g, type: protoctl.testing.v1.AllTypes, binary: "c03e01 0807", want: ok}
  - {name: invalid_utf8, group: g, type: protoctl.testing.v1.AllTypes, binary: "7201ff", want: parse_error, outputs: [protobuf]}
`

// TestBrokenTestees proves the driver catches each deliberate breakage: a
// healthy Go testee is compared with a broken one.
func TestBrokenTestees(t *testing.T) {
	t.Parallel()
	healthy := goTestee(t)
	s, err := ParseSuite("faults.yaml", []byte(faultSuite))
	if err != nil {
		t.Fatal(err)
	}
	mapSuite, err := ParseSuite("map.yaml", []byte(`suite: map
cases:
  - {name: map, group: g, type: protoctl.testing.v1.AllTypes, json: '{"mapInt32Int32": {"1": 2, "3": 4}}', want: ok}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		fault    string
		failed   []string
		message  string
		restarts int
		suite    *Suite // default: the five-request fault suite
	}{
		{"reorder-map", []string{"map.protobuf"}, "deterministic binary output differs", 0, mapSuite},
		{"drop-unknown", []string{"unknown.protobuf"}, "messages differ", 0, nil},
		{"flip-byte", []string{"int32.protobuf", "unknown.protobuf"}, "", 0, nil},
		{"accept-invalid", []string{"invalid_utf8.protobuf"}, "want parse_error, got protobuf_payload", 0, nil},
		{"crash@3", []string{"unknown.protobuf"}, "deliberate crash", 1, nil},
		{"hang@3", []string{"unknown.protobuf"}, "timed out after", 1, nil},
		{"garbage@3", []string{"unknown.protobuf"}, "wrote garbage", 1, nil},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			t.Parallel()
			broken := healthy
			broken.Name = "broken"
			broken.Env = []string{FaultEnv + "=" + tc.fault}
			good, bad := NewProcess(healthy), NewProcess(broken)
			bad.Timeout = 500 * time.Millisecond
			defer good.Close()
			defer bad.Close()
			r := &Run{Go: good, Python: bad, Types: GeneratedTypes()}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			suite := s
			if tc.suite != nil {
				suite = tc.suite
			}
			rep, err := r.Execute(ctx, suite)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			var messages []string
			for _, res := range rep.Results {
				if res.Status == StatusFailed {
					failed = append(failed, res.ID)
					for _, p := range res.Problems {
						messages = append(messages, p.Message)
					}
				}
			}
			sort.Strings(failed)
			sort.Strings(tc.failed)
			if diff := cmp.Diff(tc.failed, failed); diff != "" {
				t.Errorf("failed requests (-want +got):\n%s", diff)
			}
			if all := strings.Join(messages, "\n"); !strings.Contains(all, tc.message) {
				t.Errorf("failure messages %q do not mention %q", all, tc.message)
			}
			if bad.Restarts != tc.restarts {
				t.Errorf("restarts = %d, want %d", bad.Restarts, tc.restarts)
			}
			if want := len(suite.Requests()); len(rep.Results) != want {
				t.Errorf("got %d results, want %d (the run must go on after a failure)", len(rep.Results), want)
			}
		})
	}
}

// TestPythonTesteeErrors checks that the Python testee answers requests it
// cannot serve instead of crashing.
func TestPythonTesteeErrors(t *testing.T) {
	t.Parallel()
	p := NewProcess(pythonTestee(t))
	defer p.Close()
	s, err := ParseSuite("errors.yaml", []byte(`suite: errors
cases:
  - {name: unknown_type, type: no.such.Type, json: "{}"}
  - {name: bad_json, type: protoctl.testing.v1.AllTypes, json: "{", want: parse_error}
  - {name: ok, type: protoctl.testing.v1.AllTypes, json: '{"singularInt32": 1}', want: ok}
`))
	if err != nil {
		t.Fatal(err)
	}
	var reqs []string
	var msgs = s.Requests()
	replies, err := p.Do(context.Background(), reqsOf(msgs))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range replies {
		reqs = append(reqs, fmt.Sprintf("%s %s", msgs[i].ID, KindOf(r)))
	}
	want := []string{
		"unknown_type.protobuf runtime_error", "unknown_type.json runtime_error",
		"bad_json.protobuf parse_error", "bad_json.json parse_error",
		"ok.protobuf protobuf_payload", "ok.json json_payload",
	}
	if diff := cmp.Diff(want, reqs); diff != "" {
		t.Errorf("python replies (-want +got):\n%s", diff)
	}
	if err := p.Close(); err != nil {
		t.Errorf("python testee did not exit cleanly on EOF: %v", err)
	}
}

func TestNoStrayFaultEnv(t *testing.T) {
	if v := os.Getenv(FaultEnv); v != "" {
		t.Fatalf("%s=%s is set in the test environment; unset it", FaultEnv, v)
	}
}

func reqsOf(rs []Request) []*pb.ConformanceRequest {
	out := make([]*pb.ConformanceRequest, len(rs))
	for i := range rs {
		out[i] = rs[i].Req
	}
	return out
}

// BenchmarkSmallMessages measures cross-runtime comparisons per second for
// small messages, both testees warm:
//
//	go test ./conformance -run '^$' -bench SmallMessages -benchtime 20000x
func BenchmarkSmallMessages(b *testing.B) {
	g, p := NewProcess(goTestee(b)), NewProcess(pythonTestee(b))
	defer g.Close()
	defer p.Close()
	s, err := ParseSuite("small.yaml", []byte(`suite: small
cases:
  - {name: binary, type: protoctl.testing.v1.AllTypes, binary: "08 96 01 72 03 616263 a2 06 03 010203", want: ok}
  - {name: json, type: protoctl.testing.v1.AllTypes, json: '{"singularInt32": 150, "singularString": "abc", "repeatedInt32": [1, 2, 3]}', want: ok}
`))
	if err != nil {
		b.Fatal(err)
	}
	r := &Run{Go: g, Python: p, Types: GeneratedTypes()}
	if _, err := r.Execute(context.Background(), s); err != nil { // warm up
		b.Fatal(err)
	}
	suites := make([]*Suite, (b.N+3)/4)
	for i := range suites {
		suites[i] = s
	}
	b.ResetTimer()
	rep, err := r.Execute(context.Background(), suites...)
	if err != nil {
		b.Fatal(err)
	}
	if rep.Failed() > 0 {
		b.Fatalf("%d requests failed", rep.Failed())
	}
	b.ReportMetric(rep.CasesPerSecond(), "comparisons/s")
}
