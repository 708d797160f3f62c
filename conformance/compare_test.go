package conformance

import (
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/protoctl/protoctl/gen/conformance"
	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
)

func TestCompareJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, a, b string
		want       string // "" equal, else a substring of the difference
	}{
		{"whitespace and key order", `{"a":1,"b":[true,null]}`, "{\n  \"b\": [true, null],\n  \"a\": 1\n}", ""},
		{"integral float", `{"d":1}`, `{"d":1.0}`, ""},
		{"exponent style", `{"d":1e-7}`, `{"d":1e-07}`, ""},
		{"escaped text", `{"s":"é"}`, `{"s":"\u00e9"}`, ""},
		{"different number", `{"d":1}`, `{"d":1.5}`, "$.d: 1 vs 1.5"},
		{"number vs string", `{"i":"1"}`, `{"i":1}`, "$.i"},
		{"missing key", `{"a":1}`, `{}`, "$.a: missing in the second output"},
		{"extra key", `{}`, `{"a":1}`, "$.a: missing in the first output"},
		{"array length", `{"r":[1,2]}`, `{"r":[1]}`, "$.r: 2 vs 1 elements"},
		{"array order", `{"r":[1,2]}`, `{"r":[2,1]}`, "$.r[0]"},
		{"not json", `{"a":`, `{}`, "first output is not JSON"},
		{"trailing data", `{}`, `{} {}`, "second output is not JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := CompareJSON(tc.a, tc.b)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("CompareJSON(%s, %s) = %q, want %q", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

func binaryReply(t *testing.T, m proto.Message) Reply {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return Reply{Response: &pb.ConformanceResponse{Result: &pb.ConformanceResponse_ProtobufPayload{ProtobufPayload: b}}}
}

func TestCompareBinary(t *testing.T) {
	t.Parallel()
	nan1 := math.Float64frombits(0x7FF8000000000001)
	nan2 := math.Float64frombits(0x7FF8000000000000)
	negZero := math.Copysign(0, -1)
	parseError := Reply{Response: &pb.ConformanceResponse{Result: &pb.ConformanceResponse_ParseError{ParseError: "x"}}}
	parseError2 := Reply{Response: &pb.ConformanceResponse{Result: &pb.ConformanceResponse_ParseError{ParseError: "another message"}}}
	for _, tc := range []struct {
		name string
		a, b Reply
		want string
	}{
		{"NaN payloads differ in bits", binaryReply(t, &testingv1.AllTypes{SingularDouble: nan1}), binaryReply(t, &testingv1.AllTypes{SingularDouble: nan2}), ""},
		{"NaN vs number", binaryReply(t, &testingv1.AllTypes{SingularDouble: nan1}), binaryReply(t, &testingv1.AllTypes{SingularDouble: 1}), "messages differ"},
		{"-0.0 vs 0.0", binaryReply(t, &testingv1.AllTypes{SingularDouble: negZero}), binaryReply(t, &testingv1.AllTypes{RepeatedDouble: nil}), "messages differ"},
		{"-0.0 float32 vs 0.0", binaryReply(t, &testingv1.AllTypes{RepeatedFloat: []float32{float32(negZero)}}), binaryReply(t, &testingv1.AllTypes{RepeatedFloat: []float32{0}}), "messages differ"},
		{"same message", binaryReply(t, &testingv1.AllTypes{SingularString: "x"}), binaryReply(t, &testingv1.AllTypes{SingularString: "x"}), ""},
		{"different string", binaryReply(t, &testingv1.AllTypes{SingularString: "x"}), binaryReply(t, &testingv1.AllTypes{SingularString: "y"}), "messages differ"},
		{"both parse errors, different text", parseError, parseError2, ""},
		{"parse error vs payload", parseError, binaryReply(t, &testingv1.AllTypes{}), "result kind differs: parse_error vs protobuf_payload"},
		{"garbage payload", binaryReply(t, &testingv1.AllTypes{}), Reply{Response: &pb.ConformanceResponse{Result: &pb.ConformanceResponse_ProtobufPayload{ProtobufPayload: []byte{0xff}}}}, "cannot parse the second output"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mt := (&testingv1.AllTypes{}).ProtoReflect().Type()
			got := Compare(mt, GeneratedTypes(), tc.a, tc.b, true)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("Compare = %q, want %q", got, tc.want)
			}
		})
	}
}
