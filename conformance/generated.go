package conformance

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// Sizes of the generated cases.
const (
	// ShallowDepth is a nesting depth every runtime must read.
	ShallowDepth = 100
	// DeepDepth is protobuf-go's default recursion limit
	// (protowire.DefaultRecursionLimit): Go reads it, Python's upb stops
	// at about 100.
	DeepDepth = 10000
	// LargeBytes is the size of the bytes field of the large-message case:
	// above 64 MiB, the old default limit of the C++ runtime.
	LargeBytes = 65 << 20
	// LargeJSONBytes is the bytes field of the large JSON case.
	LargeJSONBytes = 8 << 20
	// LargeElements strings of LargeElement bytes make the repeated field of
	// the other large-message case: 66 MiB in all.
	LargeElements = 66
	LargeElement  = 1 << 20
)

// generatedCases are the runtime-suite cases too large to keep as hex in
// YAML: deep nesting (binary and JSON) and messages above 64 MiB. They are
// built when the suite is loaded; the large payloads are shared by the
// requests of both outputs, so each is held once.
func generatedCases() []Case {
	const chain = "protoctl.testing.v1.Chain"
	const all = "protoctl.testing.v1.AllTypes"
	both := []string{"protobuf", "json"}
	var cases []Case
	for _, d := range []int{ShallowDepth, DeepDepth} {
		js := chainJSON(d)
		note := fmt.Sprintf("a Chain nested %d deep", d)
		cases = append(cases,
			Case{Name: fmt.Sprintf("recursion_depth_%d", d), Group: "recursion", Type: chain, raw: chainBinary(d), Outputs: both, Want: "ok", Note: note + ", binary"},
			Case{Name: fmt.Sprintf("recursion_depth_%d_json", d), Group: "recursion", Type: chain, JSON: &js, Outputs: both, Want: "ok", Note: note + ", JSON"},
		)
	}
	cases = append(cases,
		// Binary only: the JSON answers of 65 MiB are 87 MiB of base64
		// each, and comparing them as JSON values tripled the driver's
		// peak memory; the 8 MiB case covers large base64 in JSON.
		Case{Name: "large_bytes_65mib", Group: "large", Type: all, build: func() []byte { return largeBytes(LargeBytes) }, Outputs: []string{"protobuf"}, Want: "ok", Note: "a 65 MiB bytes field"},
		Case{Name: "large_bytes_8mib_json", Group: "large", Type: all, build: func() []byte { return largeBytes(LargeJSONBytes) }, Outputs: []string{"json"}, Want: "ok", Note: "an 8 MiB bytes field written as JSON"},
		Case{Name: "large_repeated_string_66mib", Group: "large", Type: all, build: largeRepeated, Outputs: []string{"protobuf"}, Want: "ok", Note: "66 strings of 1 MiB in a repeated field"},
	)
	return cases
}

// largeBytes is an AllTypes whose singular_bytes (15) holds n bytes.
func largeBytes(n int) []byte {
	b := protowire.AppendTag(nil, 15, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	return append(b, bytes.Repeat([]byte{0xa5}, n)...)
}

// largeRepeated is an AllTypes whose repeated_string (44) holds
// LargeElements strings of LargeElement bytes.
func largeRepeated() []byte {
	elem := protowire.AppendTag(nil, 44, protowire.BytesType)
	elem = protowire.AppendVarint(elem, LargeElement)
	elem = append(elem, bytes.Repeat([]byte("z"), LargeElement)...)
	return bytes.Repeat(elem, LargeElements)
}

// chainBinary is a Chain nested depth deep: link i has depth=i and holds
// link i+1 in next. The headers are written outside-in, so building it is
// linear in its size.
func chainBinary(depth int) []byte {
	// size[i] is the encoded size of link i+1 (0-based), innermost last.
	size := make([]int, depth)
	for i := depth - 1; i >= 0; i-- {
		n := protowire.SizeTag(1) + protowire.SizeVarint(uint64(i+1))
		if i+1 < depth {
			n += protowire.SizeTag(2) + protowire.SizeBytes(size[i+1])
		}
		size[i] = n
	}
	out := make([]byte, 0, size[0])
	for i := range depth {
		out = protowire.AppendTag(out, 1, protowire.VarintType)
		out = protowire.AppendVarint(out, uint64(i+1))
		if i+1 < depth {
			out = protowire.AppendTag(out, 2, protowire.BytesType)
			out = protowire.AppendVarint(out, uint64(size[i+1]))
		}
	}
	return out
}

// chainJSON is chainBinary's message as JSON.
func chainJSON(depth int) string {
	var b strings.Builder
	for i := range depth {
		if i > 0 {
			b.WriteString(`,"next":`)
		}
		b.WriteString(`{"depth":` + strconv.Itoa(i+1))
	}
	b.WriteString(strings.Repeat("}", depth))
	return b.String()
}
