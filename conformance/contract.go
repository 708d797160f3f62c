package conformance

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// ContractSuite builds the contract suite: for every message type (resolved
// through types, so instances are built by the generated code under test),
// n seeded random instances covering every field kind, oneof branches,
// nested and recursive messages to a bounded depth, maps and repeated
// fields. The same seed gives the same suite.
//
// Every instance is a round trip in both directions, binary and JSON: the
// Go case <message>_<i>_go_{bin,json} starts in the Go testee, the
// Python case <message>_<i>_py_{bin,json} in the Python testee (see
// Case.Origin). The origin writes the instance (so the other runtime reads
// bytes or JSON the origin wrote), both runtimes read that and write
// binary and JSON, the two outputs must agree, and the other runtime's
// output goes back to the origin, which must read it and write exactly
// what it wrote from its own reading: Go -> Python -> Go and
// Python -> Go -> Python.
//
// Instances stay inside what both runtimes are known to agree on, so that a
// failure is news: valid UTF-8; unknown enum numbers only for proto3 enums;
// required fields set; no -0.0 (Go writes JSON -0, which Python reads as
// +0) and no float32 maximum (Go writes 3.4028235e+38, which Python rejects
// as too large); no null elements in repeated or map NullValue fields (Python
// rejects them) and no unknown number in a NullValue field (JSON null in
// both, so lost on a round trip); no string map key that is a prefix of another (Python's
// deterministic output sorts "ab" before "a", Go's after); well-known types inside their JSON ranges; nesting far below
// Python's depth limit of 100. The runtime suite and its expectations cover
// the edges outside.
func ContractSuite(messages []protoreflect.FullName, types Resolver, seed uint64, n int) (*Suite, error) {
	s := &Suite{Name: "contract", MeaningOnly: true}
	names := append([]protoreflect.FullName(nil), messages...)
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	for _, name := range names {
		mt, err := types.FindMessageByName(name)
		if err != nil {
			return nil, fmt.Errorf("message %s has no generated type: %v", name, err)
		}
		h := fnv.New64a()
		h.Write([]byte(name))
		for i := range n {
			g := &instanceGen{r: rand.New(rand.NewPCG(seed, h.Sum64()+uint64(i))), maxDepth: 3}
			m := mt.New()
			g.message(m, 0)
			bin, err := proto.MarshalOptions{Deterministic: true}.Marshal(m.Interface())
			if err != nil {
				return nil, fmt.Errorf("message %s, instance %d: %v", name, i, err)
			}
			js, err := protojson.Marshal(m.Interface())
			if err != nil {
				return nil, fmt.Errorf("message %s, instance %d: %v", name, i, err)
			}
			base := fmt.Sprintf("%s_%d", caseID(string(name)), i)
			jsText := string(js)
			for _, o := range []struct{ runtime, short string }{{RuntimeGo, "go"}, {RuntimePython, "py"}} {
				s.Cases = append(s.Cases,
					Case{Name: base + "_" + o.short + "_bin", Group: string(name), Type: string(name), raw: bin, Outputs: []string{"protobuf", "json"}, Want: "ok", Origin: o.runtime},
					Case{Name: base + "_" + o.short + "_json", Group: string(name), Type: string(name), JSON: &jsText, Outputs: []string{"protobuf", "json"}, Want: "ok", Origin: o.runtime},
				)
			}
		}
	}
	return s, nil
}

var nonID = regexp.MustCompile(`[^a-z0-9]+`)

func caseID(s string) string { return nonID.ReplaceAllString(strings.ToLower(s), "_") }

// instanceGen fills messages with random values.
type instanceGen struct {
	r        *rand.Rand
	maxDepth int
}

func (g *instanceGen) chance(p float64) bool { return g.r.Float64() < p }

func (g *instanceGen) message(m protoreflect.Message, depth int) {
	md := m.Descriptor()
	if g.wellKnown(m, depth) {
		return
	}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() {
			continue
		}
		if fd.Cardinality() != protoreflect.Required && !g.chance(0.7) || nullElements(fd) {
			continue
		}
		g.field(m, fd, depth)
	}
	oneofs := md.Oneofs()
	for i := 0; i < oneofs.Len(); i++ {
		o := oneofs.Get(i)
		if o.IsSynthetic() {
			continue
		}
		if k := g.r.IntN(o.Fields().Len() + 1); k < o.Fields().Len() {
			g.field(m, o.Fields().Get(k), depth)
		}
	}
}

func (g *instanceGen) field(m protoreflect.Message, fd protoreflect.FieldDescriptor, depth int) {
	isMsg := fd.Message() != nil && !fd.IsMap()
	if isMsg && depth >= g.maxDepth && fd.Cardinality() != protoreflect.Required {
		return
	}
	switch {
	case fd.IsMap():
		mp := m.Mutable(fd).Map()
		for range g.r.IntN(4) {
			k := g.scalar(fd.MapKey()).MapKey()
			if fd.MapKey().Kind() == protoreflect.StringKind {
				k = protoreflect.ValueOfString(g.key()).MapKey()
			}
			if fd.MapValue().Message() != nil {
				if depth >= g.maxDepth {
					continue
				}
				v := mp.NewValue()
				g.message(v.Message(), depth+1)
				mp.Set(k, v)
			} else {
				mp.Set(k, g.scalar(fd.MapValue()))
			}
		}
	case fd.IsList():
		l := m.Mutable(fd).List()
		for range g.r.IntN(4) {
			if fd.Message() != nil {
				v := l.NewElement()
				g.message(v.Message(), depth+1)
				l.Append(v)
			} else {
				l.Append(g.scalar(fd))
			}
		}
	case fd.Message() != nil:
		g.message(m.Mutable(fd).Message(), depth+1)
	default:
		m.Set(fd, g.scalar(fd))
	}
}

var (
	int32Edges  = []int64{0, 1, -1, math.MaxInt32, math.MinInt32}
	int64Edges  = []int64{0, 1, -1, math.MaxInt64, math.MinInt64, 1 << 53, -(1 << 53) - 1}
	uint32Edges = []uint64{0, 1, math.MaxUint32}
	uint64Edges = []uint64{0, 1, math.MaxUint64, 1<<53 + 1}
	floatEdges  = []float64{0, 1.5, 3.4e38, math.SmallestNonzeroFloat32 * (1 << 23), math.Inf(1), math.Inf(-1), math.NaN()}
	doubleEdges = []float64{0, 0.1, math.MaxFloat64, math.SmallestNonzeroFloat64 * (1 << 52), math.Inf(1), math.Inf(-1), math.NaN(), 1e21, 1e-7}
	stringRunes = []rune("abcXYZ019 _-\"\\/é日😀\u2028\u00a0")
)

func (g *instanceGen) scalar(fd protoreflect.FieldDescriptor) protoreflect.Value {
	edge := g.chance(0.3)
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(g.chance(0.5))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		if edge {
			return protoreflect.ValueOfInt32(int32(int32Edges[g.r.IntN(len(int32Edges))]))
		}
		return protoreflect.ValueOfInt32(int32(g.r.Uint32()))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		if edge {
			return protoreflect.ValueOfInt64(int64Edges[g.r.IntN(len(int64Edges))])
		}
		return protoreflect.ValueOfInt64(int64(g.r.Uint64()))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		if edge {
			return protoreflect.ValueOfUint32(uint32(uint32Edges[g.r.IntN(len(uint32Edges))]))
		}
		return protoreflect.ValueOfUint32(g.r.Uint32())
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		if edge {
			return protoreflect.ValueOfUint64(uint64Edges[g.r.IntN(len(uint64Edges))])
		}
		return protoreflect.ValueOfUint64(g.r.Uint64())
	case protoreflect.FloatKind:
		if edge {
			return protoreflect.ValueOfFloat32(float32(floatEdges[g.r.IntN(len(floatEdges))]))
		}
		return protoreflect.ValueOfFloat32(float32(g.r.NormFloat64() * 1000))
	case protoreflect.DoubleKind:
		if edge {
			return protoreflect.ValueOfFloat64(doubleEdges[g.r.IntN(len(doubleEdges))])
		}
		return protoreflect.ValueOfFloat64(g.r.NormFloat64() * 1e6)
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(g.text(8))
	case protoreflect.BytesKind:
		b := make([]byte, g.r.IntN(9))
		for i := range b {
			b[i] = byte(g.r.UintN(256))
		}
		return protoreflect.ValueOfBytes(b)
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		// Go reports editions CLOSED enums as open, so ask the syntax. An
		// unknown number in a NullValue field is written as JSON null by
		// both runtimes and so lost on the way back: not a divergence.
		if fd.Enum().ParentFile().Syntax() == protoreflect.Proto3 && fd.Enum().FullName() != "google.protobuf.NullValue" && g.chance(0.1) {
			return protoreflect.ValueOfEnum(protoreflect.EnumNumber(1000 + g.r.IntN(1000)))
		}
		return protoreflect.ValueOfEnum(vals.Get(g.r.IntN(vals.Len())).Number())
	}
	panic("unexpected scalar kind " + fd.Kind().String())
}

// key is a string map key of exactly four characters: no key is a prefix
// of another.
func (g *instanceGen) key() string {
	rs := make([]rune, 4)
	for i := range rs {
		rs[i] = stringRunes[g.r.IntN(len(stringRunes))]
	}
	return string(rs)
}

func (g *instanceGen) text(max int) string {
	rs := make([]rune, g.r.IntN(max+1))
	for i := range rs {
		rs[i] = stringRunes[g.r.IntN(len(stringRunes))]
	}
	return string(rs)
}

// wellKnown fills the well-known types whose JSON forms have ranges and
// shapes; it reports whether m was one.
func (g *instanceGen) wellKnown(m protoreflect.Message, depth int) bool {
	md := m.Descriptor()
	f := md.Fields().ByName
	switch md.FullName() {
	case "google.protobuf.Timestamp":
		m.Set(f("seconds"), protoreflect.ValueOfInt64(-62135596800+g.r.Int64N(253402300799+62135596800)))
		m.Set(f("nanos"), protoreflect.ValueOfInt32(g.nanos()))
	case "google.protobuf.Duration":
		sec := g.r.Int64N(315576000000)
		nanos := g.nanos()
		if g.chance(0.5) {
			sec, nanos = -sec, -nanos
		}
		m.Set(f("seconds"), protoreflect.ValueOfInt64(sec))
		m.Set(f("nanos"), protoreflect.ValueOfInt32(nanos))
	case "google.protobuf.FieldMask":
		paths := []string{"a", "foo_bar", "a.b_c", "x1.y2"}
		l := m.Mutable(f("paths")).List()
		for range g.r.IntN(3) {
			l.Append(protoreflect.ValueOfString(paths[g.r.IntN(len(paths))]))
		}
	case "google.protobuf.Any":
		inner := durationpb.New(0)
		inner.Seconds = g.r.Int64N(1000)
		a, _ := anypb.New(inner)
		m.Set(f("type_url"), protoreflect.ValueOfString(a.TypeUrl))
		m.Set(f("value"), protoreflect.ValueOfBytes(a.Value))
	case "google.protobuf.Struct":
		mp := m.Mutable(f("fields")).Map()
		for range g.r.IntN(3) {
			v := mp.NewValue()
			g.value(v.Message(), depth+1)
			mp.Set(protoreflect.ValueOfString(g.key()).MapKey(), v)
		}
	case "google.protobuf.ListValue":
		l := m.Mutable(f("values")).List()
		for range g.r.IntN(3) {
			v := l.NewElement()
			g.value(v.Message(), depth+1)
			l.Append(v)
		}
	case "google.protobuf.Value":
		g.value(m, depth)
	default:
		return false
	}
	return true
}

func (g *instanceGen) nanos() int32 {
	switch g.r.IntN(4) {
	case 0:
		return 0
	case 1:
		return int32(g.r.IntN(1000)) * 1e6
	}
	return int32(g.r.IntN(1e9))
}

// value sets one kind of a google.protobuf.Value: finite numbers only (a
// Value holding NaN or Infinity has no JSON form).
func (g *instanceGen) value(m protoreflect.Message, depth int) {
	f := m.Descriptor().Fields().ByName
	k := g.r.IntN(6)
	if depth >= g.maxDepth {
		k = g.r.IntN(4)
	}
	switch k {
	case 0:
		m.Set(f("null_value"), protoreflect.ValueOfEnum(0))
	case 1:
		m.Set(f("number_value"), protoreflect.ValueOfFloat64(g.r.NormFloat64()*1e3))
	case 2:
		m.Set(f("string_value"), protoreflect.ValueOfString(g.text(6)))
	case 3:
		m.Set(f("bool_value"), protoreflect.ValueOfBool(g.chance(0.5)))
	case 4:
		g.wellKnown(m.Mutable(f("struct_value")).Message(), depth+1)
	case 5:
		g.wellKnown(m.Mutable(f("list_value")).Message(), depth+1)
	}
}

// MessagesOf lists every message of files, nested ones included, map
// entries excluded.
func MessagesOf(files []protoreflect.FileDescriptor) []protoreflect.FullName {
	var out []protoreflect.FullName
	var walk func(ms protoreflect.MessageDescriptors)
	walk = func(ms protoreflect.MessageDescriptors) {
		for i := 0; i < ms.Len(); i++ {
			md := ms.Get(i)
			if md.IsMapEntry() {
				continue
			}
			out = append(out, md.FullName())
			walk(md.Messages())
		}
	}
	for _, f := range files {
		walk(f.Messages())
	}
	return out
}

// nullElements reports a repeated or map field of google.protobuf.NullValue.
func nullElements(fd protoreflect.FieldDescriptor) bool {
	e := fd.Enum()
	if fd.IsMap() {
		e = fd.MapValue().Enum()
	}
	return (fd.IsList() || fd.IsMap()) && e != nil && e.FullName() == "google.protobuf.NullValue"
}
