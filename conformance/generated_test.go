package conformance

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	pb "github.com/protoctl/protoctl/gen/conformance"
	testingpb "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
)

func TestChains(t *testing.T) {
	t.Parallel()
	for _, depth := range []int{1, 2, ShallowDepth, DeepDepth} {
		bin := &testingpb.Chain{}
		if err := proto.Unmarshal(chainBinary(depth), bin); err != nil {
			t.Fatalf("depth %d: binary: %v", depth, err)
		}
		js := &testingpb.Chain{}
		if err := protojson.Unmarshal([]byte(chainJSON(depth)), js); err != nil {
			t.Fatalf("depth %d: json: %v", depth, err)
		}
		if diff := cmp.Diff(bin, js, protocmp.Transform()); diff != "" {
			t.Errorf("depth %d: binary and JSON chains differ (-binary +json):\n%s", depth, diff)
		}
		n, last := 0, int32(0)
		for c := bin; c != nil; c = c.GetNext() {
			n++
			if c.GetDepth() != last+1 {
				t.Fatalf("depth %d: link %d has depth %d", depth, n, c.GetDepth())
			}
			last = c.GetDepth()
		}
		if n != depth {
			t.Errorf("chain has %d links, want %d", n, depth)
		}
	}
}

func TestLargeCases(t *testing.T) {
	t.Parallel()
	m := &testingpb.AllTypes{}
	if err := proto.Unmarshal(largeBytes(LargeBytes), m); err != nil {
		t.Fatal(err)
	}
	if len(m.GetSingularBytes()) != LargeBytes || LargeBytes <= 64<<20 {
		t.Errorf("bytes field holds %d bytes, want %d (> 64 MiB)", len(m.GetSingularBytes()), LargeBytes)
	}
	m = &testingpb.AllTypes{}
	if err := proto.Unmarshal(largeRepeated(), m); err != nil {
		t.Fatal(err)
	}
	if n := len(m.GetRepeatedString()); n != LargeElements || proto.Size(m) <= 64<<20 {
		t.Errorf("repeated field holds %d elements (%d bytes), want %d above 64 MiB", n, proto.Size(m), LargeElements)
	}
	// The large cases are built only when their requests are.
	s, err := RuntimeSuite()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range s.Cases {
		if c.Group == "large" && c.raw != nil {
			t.Errorf("case %s was built with the suite", c.Name)
		}
	}
	if reqs := s.Select("large_bytes_65mib").Requests(); len(reqs) != 1 {
		t.Errorf("large_bytes_65mib: %d requests, want 1 (binary output only)", len(reqs))
	}
	// A built case with two outputs builds its payload once for both.
	built := 0
	two := &Suite{Name: "runtime", Cases: []Case{{Name: "shared", Group: "large", Type: "protoctl.testing.v1.AllTypes", Outputs: []string{"protobuf", "json"}, Want: "ok",
		build: func() []byte { built++; return largeBytes(1 << 20) }}}}
	reqs := two.Requests()
	if len(reqs) != 2 || built != 1 || &reqs[0].Req.GetProtobufPayload()[0] != &reqs[1].Req.GetProtobufPayload()[0] {
		t.Errorf("the requests of a large case must share its payload (%d requests, built %d times)", len(reqs), built)
	}
}

// TestLargeFrames checks the in-place framing of large payloads against
// the plain encoding.
func TestLargeFrames(t *testing.T) {
	t.Parallel()
	payload := bytes.Repeat([]byte{7}, bigPayload+3)
	req := &pb.ConformanceRequest{MessageType: "a.B", RequestedOutputFormat: pb.WireFormat_JSON, TestCategory: pb.TestCategory_BINARY_TEST,
		Payload: &pb.ConformanceRequest_ProtobufPayload{ProtobufPayload: payload}}
	frame := append(appendFrameHead(nil, req), payload...)
	got, err := ReadFrame(bytes.NewReader(frame))
	if err != nil {
		t.Fatal(err)
	}
	back := &pb.ConformanceRequest{}
	if err := proto.Unmarshal(got, back); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(req, back) {
		t.Errorf("the in-place frame does not decode to the request")
	}
	for _, resp := range []*pb.ConformanceResponse{
		{Result: &pb.ConformanceResponse_ProtobufPayload{ProtobufPayload: payload}},
		{Result: &pb.ConformanceResponse_JsonPayload{JsonPayload: string(payload)}},
		{Result: &pb.ConformanceResponse_ParseError{ParseError: "x"}},
	} {
		b, _ := proto.Marshal(resp)
		parsed, err := parseResponse(b)
		if err != nil || !proto.Equal(resp, parsed) {
			t.Errorf("parseResponse(%v...) = %v, %v", KindOf(Reply{Response: resp}), KindOf(Reply{Response: parsed}), err)
		}
	}
	if _, err := parseResponse(append([]byte{0x1a, 0xff, 0xff, 0xff, 0x7f}, payload...)); err == nil {
		t.Errorf("a truncated large response must not parse")
	}
}

// TestLargeRequestTimeout: a large request gets a second per SizeAllowance
// bytes on top of the per-case timeout, a fresh testee its start time.
func TestLargeRequestTimeout(t *testing.T) {
	t.Parallel()
	p := NewProcess(Command{Name: "x"})
	p.Timeout, p.StartTimeout = time.Second, 10*time.Second
	small := &pb.ConformanceRequest{MessageType: "a.B"}
	big := &pb.ConformanceRequest{MessageType: "a.B", Payload: &pb.ConformanceRequest_ProtobufPayload{ProtobufPayload: make([]byte, 2*SizeAllowance)}}
	for _, tc := range []struct {
		fresh bool
		req   *pb.ConformanceRequest
		want  time.Duration
	}{
		{false, small, time.Second},
		{false, big, 3 * time.Second},
		{true, small, 11 * time.Second},
	} {
		p.fresh = tc.fresh
		if got := p.timeoutFor(tc.req); got != tc.want {
			t.Errorf("timeoutFor(fresh %v, %d bytes) = %v, want %v", tc.fresh, proto.Size(tc.req), got, tc.want)
		}
	}
}
