package conformance

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/protoctl/protoctl/gen/conformance"
)

// serveFrames runs the in-process Go testee over the given request frames.
func serveFrames(t *testing.T, fault Fault, frames ...[]byte) []*pb.ConformanceResponse {
	t.Helper()
	var in []byte
	for _, f := range frames {
		in = AppendFrame(in, f)
	}
	var out bytes.Buffer
	if err := Serve(context.Background(), bytes.NewReader(in), &out, GeneratedTypes(), fault); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	var resps []*pb.ConformanceResponse
	for out.Len() > 0 {
		f, err := ReadFrame(&out)
		if err != nil {
			t.Fatal(err)
		}
		r := &pb.ConformanceResponse{}
		if err := proto.Unmarshal(f, r); err != nil {
			t.Fatal(err)
		}
		resps = append(resps, r)
	}
	return resps
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestServe(t *testing.T) {
	t.Parallel()
	reqs := [][]byte{
		marshal(t, &pb.ConformanceRequest{MessageType: "conformance.FailureSet", RequestedOutputFormat: pb.WireFormat_PROTOBUF, Payload: &pb.ConformanceRequest_ProtobufPayload{}}),
		[]byte("\xff\xff not a request"),
		marshal(t, &pb.ConformanceRequest{MessageType: "no.such.Type", RequestedOutputFormat: pb.WireFormat_JSON, Payload: &pb.ConformanceRequest_JsonPayload{JsonPayload: "{}"}}),
		marshal(t, &pb.ConformanceRequest{MessageType: "protoctl.testing.v1.AllTypes", RequestedOutputFormat: pb.WireFormat_JSON, Payload: &pb.ConformanceRequest_ProtobufPayload{ProtobufPayload: []byte{0x08, 0x05}}}),
		marshal(t, &pb.ConformanceRequest{MessageType: "protoctl.testing.v1.AllTypes", RequestedOutputFormat: pb.WireFormat_PROTOBUF, Payload: &pb.ConformanceRequest_JsonPayload{JsonPayload: `{"singularInt32": "x"}`}}),
		marshal(t, &pb.ConformanceRequest{MessageType: "protoctl.testing.v1.AllTypes", RequestedOutputFormat: pb.WireFormat_PROTOBUF, TestCategory: pb.TestCategory_JSON_IGNORE_UNKNOWN_PARSING_TEST, Payload: &pb.ConformanceRequest_JsonPayload{JsonPayload: `{"nope": 1, "singularInt32": 5}`}}),
		marshal(t, &pb.ConformanceRequest{MessageType: "protoctl.testing.v1.AllTypes", RequestedOutputFormat: pb.WireFormat_JSPB, Payload: &pb.ConformanceRequest_ProtobufPayload{}}),
	}
	got := serveFrames(t, Fault{}, reqs...)
	want := []string{"protobuf_payload ", "runtime_error cannot parse ConformanceRequest", "runtime_error unknown message type", `json_payload {"singularInt32":5}`, "parse_error ", "protobuf_payload \x08\x05", "skipped jspb"}
	if len(got) != len(want) {
		t.Fatalf("got %d responses, want %d", len(got), len(want))
	}
	for i, r := range got {
		kind := string(KindOf(Reply{Response: r}))
		text := strings.Join(strings.Fields(replyPayload(r)), "")
		w := strings.SplitN(want[i], " ", 2)
		if kind != w[0] || !strings.Contains(text, strings.Join(strings.Fields(w[1]), "")) {
			t.Errorf("response %d = %s %q, want %s containing %q", i, kind, text, w[0], w[1])
		}
	}
}

func replyPayload(r *pb.ConformanceResponse) string {
	switch x := r.GetResult().(type) {
	case *pb.ConformanceResponse_ProtobufPayload:
		return string(x.ProtobufPayload)
	case *pb.ConformanceResponse_JsonPayload:
		return x.JsonPayload
	case *pb.ConformanceResponse_ParseError:
		return x.ParseError
	case *pb.ConformanceResponse_RuntimeError:
		return x.RuntimeError
	case *pb.ConformanceResponse_Skipped:
		return x.Skipped
	}
	return ""
}

func TestParseFault(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Fault
		err  string
	}{
		{"", Fault{}, ""},
		{"crash", Fault{Mode: "crash"}, ""},
		{"hang@3", Fault{Mode: "hang", At: 3}, ""},
		{"hang@0", Fault{}, `request number "0" is not a positive integer`},
		{"melt", Fault{}, `unknown mode "melt"`},
	} {
		got, err := ParseFault(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseFault(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseFault(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}
