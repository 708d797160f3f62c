package conformance

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	pb "github.com/protoctl/protoctl/gen/conformance"
)

const versionedExpectations = `expectations:
  - {case: lenient.*, runtime: python, versions: {python: "protobuf>=7.35,<8"}, reason: lenient, source: s}
  - {case: old.*, runtime: python, versions: {python: "protobuf>=4.21,<5"}, reason: fixed in 5, source: s}
  - {case: go.*, runtime: go, versions: {go: "google.golang.org/protobuf>1.36.12"}, reason: after 1.36.12, source: s}
  - {case: both.*, runtime: go-python, versions: {go: "google.golang.org/protobuf==1.36.12", python: "protobuf!=7.36.2"}, reason: not this python, source: s}
  - {case: upb.*, runtime: python, versions: {python: "protobuf>=7"}, backend: upb, reason: upb only, source: s}
  - {case: cpp.*, runtime: python, versions: {python: "protobuf>=7"}, backend: cpp, reason: cpp only, source: s}
  - {case: unknown.*, runtime: python, versions: {python: "grpcio>=1"}, reason: grpcio not reported, source: s}
`

var running = map[string]map[string]string{
	RuntimeGo:     {GoProtobufModule: "v1.36.12", "go": "go1.26.8"},
	RuntimePython: {PythonProtobuf: "7.36.2", PythonBackend: "upb"},
}

func TestActiveExpectations(t *testing.T) {
	t.Parallel()
	e, err := ParseExpectations("e.yaml", []byte(versionedExpectations))
	if err != nil {
		t.Fatal(err)
	}
	active, inactive := e.Active(running)
	var got []string
	for _, x := range active.Entries {
		got = append(got, x.Case)
	}
	want := []string{"lenient.*", "upb.*", "unknown.*"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("active entries (-want +got):\n%s", diff)
	}
	got = nil
	for _, x := range inactive {
		got = append(got, x.Case+": "+x.Why)
	}
	want = []string{
		"old.*: python protobuf 7.36.2 is outside protobuf>=4.21,<5",
		"go.*: go google.golang.org/protobuf v1.36.12 is outside google.golang.org/protobuf>1.36.12",
		"both.*: python protobuf 7.36.2 is outside protobuf!=7.36.2",
		"cpp.*: the python backend is upb, not cpp",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inactive entries (-want +got):\n%s", diff)
	}
	if all, none := e.Active(nil); len(all.Entries) != len(e.Entries) || len(none) != 0 {
		t.Errorf("without versions every entry applies: got %d active, %d inactive", len(all.Entries), len(none))
	}
}

func TestVersionComparisons(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"v1.36.12", "1.36", 1},
		{"1.36", "1.36.0", 0},
		{"7.36.2", "7.36.10", -1},
		{"7.36.0rc1", "7.36", 0},
		{"v2", "1.99.99", 1},
	} {
		a, _ := parseVersion(tc.a)
		b, _ := parseVersion(tc.b)
		if got := compareVersions(a, b); got != tc.want {
			t.Errorf("compareVersions(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestInactiveExpectationsDoNotApply proves the version key is used: a
// divergence covered only by an entry for other versions is a failure, and
// an inactive entry whose divergence does not happen is not "stale".
func TestInactiveExpectationsDoNotApply(t *testing.T) {
	t.Parallel()
	e, err := ParseExpectations("e.yaml", []byte(versionedExpectations))
	if err != nil {
		t.Fatal(err)
	}
	parseError := Reply{Response: &pb.ConformanceResponse{Result: &pb.ConformanceResponse_ParseError{ParseError: "bad"}}}
	for _, tc := range []struct {
		id       string
		versions map[string]map[string]string
		py       Reply
		want     Status
	}{
		{"lenient.json", running, jsonReply(`{}`), StatusExpected},
		{"old.json", running, jsonReply(`{}`), StatusFailed},
		{"old.json", map[string]map[string]string{RuntimePython: {PythonProtobuf: "4.21.12"}}, jsonReply(`{}`), StatusExpected},
		{"old.json", running, parseError, StatusPassed},
		{"lenient.json", running, parseError, StatusFailed},
	} {
		r := &Run{Types: GeneratedTypes(), Expectations: e, Versions: tc.versions}
		q := Request{ID: tc.id, Case: &Case{Name: "c", Group: "g", Want: "parse_error"}, Suite: "s", Req: &pb.ConformanceRequest{MessageType: "protoctl.testing.v1.AllTypes"}}
		if got := r.judge(q, parseError, tc.py).Status; got != tc.want {
			t.Errorf("%s with %v, python %s: status %s, want %s", tc.id, tc.versions, KindOf(tc.py), got, tc.want)
		}
	}
}

func rawReply(b ...byte) Reply {
	return Reply{Response: &pb.ConformanceResponse{Result: &pb.ConformanceResponse_ProtobufPayload{ProtobufPayload: b}}}
}

// TestRoundTripCheck proves the last leg of a round trip is judged: what
// the origin writes after the trip must be what it wrote itself.
func TestRoundTripCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, origin string
		ret          Reply
		want         string
	}{
		{"same", RuntimePython, rawReply(0x08, 0x05), ""},
		{"lost a field", RuntimePython, rawReply(), "go-python: round trip python -> go -> python: what python wrote after the trip differs from what it wrote itself: messages differ"},
		{"other bytes", RuntimeGo, rawReply(0x08, 0x85, 0x00), "go-python: round trip go -> python -> go: what go wrote after the trip differs from what it wrote itself: deterministic binary output differs"},
		{"origin rejects", RuntimeGo, Reply{Response: &pb.ConformanceResponse{Result: &pb.ConformanceResponse_ParseError{ParseError: "no"}}}, "result kind differs: protobuf_payload vs parse_error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &Run{Types: GeneratedTypes()}
			c := &Case{Name: "c", Group: "g", Want: "ok", Origin: tc.origin}
			// A meaning-only suite: the round trip still checks bytes,
			// since one writer wrote both.
			q := Request{ID: "c.protobuf", Case: c, Suite: "s", MeaningOnly: true, Req: &pb.ConformanceRequest{MessageType: "protoctl.testing.v1.AllTypes"}}
			res := Result{ID: q.ID, Case: c, Request: q.Req, Origin: tc.origin, Go: rawReply(0x08, 0x05), Python: rawReply(0x08, 0x05), Return: tc.ret}
			var got []string
			for _, p := range r.problems(q, &res) {
				got = append(got, p.Runtime+": "+p.Message)
			}
			all := strings.Join(got, "\n")
			if tc.want == "" && all != "" || !strings.Contains(all, tc.want) {
				t.Errorf("problems = %q, want %q", all, tc.want)
			}
		})
	}
}
