package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/testing/protocmp"

	pb "github.com/protoctl/protoctl/gen/conformance"
)

// Kind is the kind of a testee's answer.
type Kind string

// The kinds of answer. Failure is the driver's verdict on a testee that
// crashed, hung or wrote garbage.
const (
	KindParseError     Kind = "parse_error"
	KindSerializeError Kind = "serialize_error"
	KindRuntimeError   Kind = "runtime_error"
	KindTimeoutError   Kind = "timeout_error"
	KindSkipped        Kind = "skipped"
	KindProtobuf       Kind = "protobuf_payload"
	KindJSON           Kind = "json_payload"
	KindText           Kind = "text_payload"
	KindNone           Kind = "no_result"
	KindFailure        Kind = "testee_failure"
)

// KindOf classifies a reply.
func KindOf(r Reply) Kind {
	if r.Response == nil {
		return KindFailure
	}
	switch r.Response.GetResult().(type) {
	case *pb.ConformanceResponse_ParseError:
		return KindParseError
	case *pb.ConformanceResponse_SerializeError:
		return KindSerializeError
	case *pb.ConformanceResponse_RuntimeError:
		return KindRuntimeError
	case *pb.ConformanceResponse_TimeoutError:
		return KindTimeoutError
	case *pb.ConformanceResponse_Skipped:
		return KindSkipped
	case *pb.ConformanceResponse_ProtobufPayload:
		return KindProtobuf
	case *pb.ConformanceResponse_JsonPayload:
		return KindJSON
	case *pb.ConformanceResponse_TextPayload:
		return KindText
	}
	return KindNone
}

// IsPayload reports whether the kind carries a serialized message.
func (k Kind) IsPayload() bool { return k == KindProtobuf || k == KindJSON || k == KindText }

// Compare says how two replies to the same request differ, or returns ""
// when they agree: the kinds must match; payloads are compared by meaning
// (binary and text parsed in Go as mt, JSON as JSON values). With
// checkBytes, binary payloads, which both testees write deterministically,
// must also be equal byte for byte.
// Error messages are never compared.
func Compare(mt protoreflect.MessageType, types Resolver, a, b Reply, checkBytes bool) string {
	ka, kb := KindOf(a), KindOf(b)
	if ka != kb {
		return fmt.Sprintf("result kind differs: %s vs %s", ka, kb)
	}
	switch ka {
	case KindProtobuf:
		x, y := a.Response.GetProtobufPayload(), b.Response.GetProtobufPayload()
		if d := compareMessages(mt, types, x, y, unmarshalBinary); d != "" {
			return d
		}
		// Both testees write deterministic output, so equal messages must
		// have equal bytes: this catches map and unknown-field order. NaN
		// payload bits are not meaning (Go's NaN is not Python's), so
		// messages holding a NaN are compared by meaning only.
		if checkBytes && !bytes.Equal(x, y) && !hasNaN(mt, types, x) {
			return fmt.Sprintf("deterministic binary output differs for equal messages: %x vs %x", x, y)
		}
		return ""
	case KindText:
		return compareMessages(mt, types, []byte(a.Response.GetTextPayload()), []byte(b.Response.GetTextPayload()), unmarshalText)
	case KindJSON:
		return CompareJSON(a.Response.GetJsonPayload(), b.Response.GetJsonPayload())
	}
	return ""
}

type unmarshalFunc func(b []byte, m proto.Message, types Resolver) error

func unmarshalBinary(b []byte, m proto.Message, types Resolver) error {
	return proto.UnmarshalOptions{AllowPartial: true, Resolver: types}.Unmarshal(b, m)
}

func unmarshalText(b []byte, m proto.Message, types Resolver) error {
	return prototext.UnmarshalOptions{AllowPartial: true, Resolver: types}.Unmarshal(b, m)
}

func compareMessages(mt protoreflect.MessageType, types Resolver, a, b []byte, unmarshal unmarshalFunc) string {
	if bytes.Equal(a, b) {
		return "" // the same input parses to the same message
	}
	if mt == nil {
		if bytes.Equal(a, b) {
			return ""
		}
		return "payload bytes differ and the message type is unknown to the driver"
	}
	ma, mb := mt.New().Interface(), mt.New().Interface()
	if err := unmarshal(a, ma, types); err != nil {
		return "cannot parse the first output in go: " + err.Error()
	}
	if err := unmarshal(b, mb, types); err != nil {
		return "cannot parse the second output in go: " + err.Error()
	}
	// Fast path: equal deterministic encodings are equal messages (bit for
	// bit, so -0.0 and NaN too). go-cmp walks a 65 MiB bytes field element
	// by element, so it only runs when the encodings differ.
	det := proto.MarshalOptions{Deterministic: true, AllowPartial: true}
	if ea, err := det.Marshal(ma); err == nil {
		if eb, err := det.Marshal(mb); err == nil && bytes.Equal(ea, eb) {
			return ""
		}
	}
	if d := cmp.Diff(ma, mb, MessageOptions()...); d != "" {
		return "messages differ (-first +second):\n" + d
	}
	return ""
}

// MessageOptions are the go-cmp options that compare messages the way the
// suite does: by meaning, with NaN equal to NaN and -0.0 different from 0.0.
func MessageOptions() []cmp.Option {
	return []cmp.Option{
		protocmp.Transform(),
		cmp.Comparer(func(x, y float64) bool { return sameFloat(x, y) }),
		cmp.Comparer(func(x, y float32) bool { return sameFloat(float64(x), float64(y)) }),
	}
}

// sameFloat is equality that holds for NaN and tells -0.0 from 0.0.
func sameFloat(x, y float64) bool {
	if math.IsNaN(x) || math.IsNaN(y) {
		return math.IsNaN(x) && math.IsNaN(y)
	}
	return x == y && math.Signbit(x) == math.Signbit(y)
}

// CompareJSON compares two JSON texts as values: object key order and
// whitespace do not matter, numbers compare by exact value (1 == 1.0 ==
// 1e0). It returns "" when they are equal, else the path of the first
// difference.
func CompareJSON(a, b string) string {
	va, err := decodeJSON(a)
	if err != nil {
		return "first output is not JSON: " + err.Error()
	}
	vb, err := decodeJSON(b)
	if err != nil {
		return "second output is not JSON: " + err.Error()
	}
	return jsonDiff("$", va, vb)
}

func decodeJSON(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("trailing data after the value")
	}
	return v, nil
}

func jsonDiff(path string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: object vs %s", path, jsonKind(b))
		}
		keys := make([]string, 0, len(x)+len(y))
		for k := range x {
			keys = append(keys, k)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			vx, okx := x[k]
			vy, oky := y[k]
			p := path + "." + k
			switch {
			case !okx:
				return p + ": missing in the first output"
			case !oky:
				return p + ": missing in the second output"
			}
			if d := jsonDiff(p, vx, vy); d != "" {
				return d
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok {
			return fmt.Sprintf("%s: array vs %s", path, jsonKind(b))
		}
		if len(x) != len(y) {
			return fmt.Sprintf("%s: %d vs %d elements", path, len(x), len(y))
		}
		for i := range x {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); d != "" {
				return d
			}
		}
		return ""
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return fmt.Sprintf("%s: number %s vs %s", path, x, jsonKind(b))
		}
		if !sameNumber(x, y) {
			return fmt.Sprintf("%s: %s vs %s", path, x, y)
		}
		return ""
	default:
		if a != b {
			return fmt.Sprintf("%s: %s vs %s", path, jsonText(a), jsonText(b))
		}
		return ""
	}
}

func sameNumber(x, y json.Number) bool {
	if x == y {
		return true
	}
	rx, okx := new(big.Rat).SetString(string(x))
	ry, oky := new(big.Rat).SetString(string(y))
	return okx && oky && rx.Cmp(ry) == 0
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case json.Number:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// hasNaN reports whether the binary message b of type mt holds a NaN
// anywhere.
func hasNaN(mt protoreflect.MessageType, types Resolver, b []byte) bool {
	if mt == nil {
		return false
	}
	m := mt.New().Interface()
	if unmarshalBinary(b, m, types) != nil {
		return false
	}
	return messageHasNaN(m.ProtoReflect())
}

func messageHasNaN(m protoreflect.Message) bool {
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len() && !found; i++ {
				found = valueHasNaN(fd, l.Get(i))
			}
		case fd.IsMap():
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				found = valueHasNaN(fd.MapValue(), mv)
				return !found
			})
		default:
			found = valueHasNaN(fd, v)
		}
		return !found
	})
	return found
}

func valueHasNaN(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
	switch fd.Kind() {
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return math.IsNaN(v.Float())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return messageHasNaN(v.Message())
	}
	return false
}
