package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

var scalars = []string{
	"string", "string", "string", "int32", "int64", "int64", "bool", "bool",
	"double", "float", "bytes", "uint32", "uint64", "sint32", "sint64",
	"fixed32", "fixed64", "sfixed32", "sfixed64",
}

// wkt is a well-known type a field may use, with the file that defines it.
type wkt struct{ name, file string }

var wkts = []wkt{
	{"google.protobuf.Timestamp", "google/protobuf/timestamp.proto"},
	{"google.protobuf.Timestamp", "google/protobuf/timestamp.proto"},
	{"google.protobuf.Duration", "google/protobuf/duration.proto"},
	{"google.protobuf.FieldMask", "google/protobuf/field_mask.proto"},
	{"google.protobuf.Struct", "google/protobuf/struct.proto"},
	{"google.protobuf.Value", "google/protobuf/struct.proto"},
}

const emptyFile = "google/protobuf/empty.proto"

// renderer writes one file. It records which imports the body used so that
// the header imports exactly those: buf warns about unused imports.
type renderer struct {
	r        *rand.Rand
	f        *protoFile
	b        strings.Builder
	imports  map[string]bool
	extMsgs  []typeRef // top-level messages of the files this one may import
	extEnums []typeRef // and their enums
	giant    bool
}

// scope is what a message body can refer to besides top-level types.
type scope struct {
	self   string
	msgs   []string // nested messages
	enums  []string // nested enums
	fields map[string]bool
}

func newRenderer(r *rand.Rand, f *protoFile) *renderer {
	rd := &renderer{r: r, f: f, imports: map[string]bool{}, giant: f.giant}
	for _, d := range f.deps {
		for _, m := range d.msgs {
			rd.extMsgs = append(rd.extMsgs, typeRef{name: qualify(f, d, m), file: d})
		}
		for _, e := range d.enums {
			rd.extEnums = append(rd.extEnums, typeRef{name: qualify(f, d, e), file: d, enum: true})
		}
	}
	return rd
}

func (rd *renderer) line(indent int, format string, args ...any) {
	rd.b.WriteString(strings.Repeat("  ", indent))
	fmt.Fprintf(&rd.b, format, args...)
	rd.b.WriteByte('\n')
}

func (rd *renderer) comment(indent, minWords, maxWords, lines int) {
	for range lines {
		rd.line(indent, "// %s", sentence(rd.r, minWords+rd.r.IntN(maxWords-minWords+1)))
	}
}

// file renders a regular (not giant) file.
func (rd *renderer) file(seed uint64) string {
	f := rd.f
	for _, e := range f.enums {
		rd.b.WriteByte('\n')
		rd.enum(0, e)
	}
	for _, m := range f.msgs {
		rd.b.WriteByte('\n')
		rd.message(0, m, 5, 40)
	}
	if f.hasService {
		rd.service()
	}
	return rd.header(seed) + rd.b.String()
}

func (rd *renderer) header(seed uint64) string {
	var h strings.Builder
	fmt.Fprintf(&h, "// Synthesized by protoctl bench/synth (seed %d). Not a real API.\n\n", seed)
	h.WriteString("syntax = \"proto3\";\n\n")
	fmt.Fprintf(&h, "package %s;\n", rd.f.pkg)
	imps := make([]string, 0, len(rd.imports))
	for p := range rd.imports {
		imps = append(imps, p)
	}
	slices.Sort(imps)
	if len(imps) > 0 {
		h.WriteByte('\n')
	}
	for _, p := range imps {
		fmt.Fprintf(&h, "import %q;\n", p)
	}
	return h.String()
}

// enum renders an enum whose values carry the enum's name as a prefix, as
// the style guides ask and as C++ scoping of enum values requires.
func (rd *renderer) enum(indent int, name string) {
	r := rd.r
	if r.IntN(10) < 8 {
		rd.comment(indent, 4, 12, 1+r.IntN(2))
	}
	prefix := upperSnake(name) + "_"
	rd.line(indent, "enum %s {", name)
	rd.line(indent+1, "// Unspecified.")
	rd.line(indent+1, "%sUNSPECIFIED = 0;", prefix)
	used := map[string]bool{}
	n := 1
	for range 2 + r.IntN(10) {
		w := pick(r, enumWords)
		if used[w] {
			continue
		}
		used[w] = true
		if r.IntN(2) == 0 {
			rd.comment(indent+1, 3, 10, 1)
		}
		rd.line(indent+1, "%s%s = %d;", prefix, strings.ToUpper(w), n)
		n++
	}
	rd.line(indent, "}")
}

// message renders a message with nFields in [minF, maxF], maybe nested
// types, a oneof and reserved numbers.
func (rd *renderer) message(indent int, name string, minF, maxF int) {
	r := rd.r
	if r.IntN(20) < 17 {
		rd.comment(indent, 4, 14, 1+r.IntN(2))
	}
	rd.line(indent, "message %s {", name)
	sc := &scope{self: name, fields: map[string]bool{}}
	nestedNames := map[string]bool{}
	nestedName := func(mk func() string) string {
		for {
			if n := mk(); !nestedNames[n] && n != name {
				nestedNames[n] = true
				return n
			}
		}
	}
	if indent < 2 && r.IntN(10) < 3 {
		e := nestedName(func() string { return pick(r, enumSuffixes) })
		rd.enum(indent+1, e)
		sc.enums = append(sc.enums, e)
	}
	if indent == 0 && r.IntN(10) < 4 || indent == 1 && r.IntN(10) == 0 {
		for range 1 + r.IntN(2) {
			m := nestedName(func() string { return camel(pick(r, nouns)) })
			rd.message(indent+1, m, 3, 10)
			sc.msgs = append(sc.msgs, m)
		}
	}
	n := minF + r.IntN(maxF-minF+1)
	oneofAt, oneofLen := -1, 0
	if n >= 3 && r.IntN(10) < 3 {
		oneofAt = r.IntN(n - 1)
		oneofLen = 2 + r.IntN(min(3, n-oneofAt-1))
	}
	num := rd.numbers()
	var reserved []int
	for i := 0; i < n; i++ {
		if i == oneofAt {
			oneof := rd.name(sc, nestedNames)
			rd.comment(indent+1, 4, 10, 1)
			rd.line(indent+1, "oneof %s {", oneof)
			for range oneofLen {
				rd.field(indent+2, sc, nestedNames, num(&reserved), true)
			}
			rd.line(indent+1, "}")
			i += oneofLen - 1
			continue
		}
		rd.field(indent+1, sc, nestedNames, num(&reserved), false)
	}
	if len(reserved) > 0 {
		parts := make([]string, len(reserved))
		for i, x := range reserved {
			parts[i] = fmt.Sprint(x)
		}
		rd.line(indent+1, "reserved %s;", strings.Join(parts, ", "))
	}
	rd.line(indent, "}")
}

// numbers returns a source of field numbers for one message: 1, 2, 3 with
// an occasional reserved gap, or for the giant file large hashed-looking
// numbers as in googleapis' compute.proto.
func (rd *renderer) numbers() func(reserved *[]int) int {
	r := rd.r
	next := 1
	used := map[int]bool{}
	return func(reserved *[]int) int {
		if rd.giant {
			for {
				x := 1 + r.IntN(500_000_000)
				if !used[x] && (x < 19000 || x > 19999) {
					used[x] = true
					return x
				}
			}
		}
		if r.IntN(40) == 0 {
			*reserved = append(*reserved, next)
			next++
		}
		x := next
		next++
		return x
	}
}

// name makes a snake_case name unique among the message's fields and oneofs
// that does not clash with a nested type's Go name either.
func (rd *renderer) name(sc *scope, nested map[string]bool) string {
	r := rd.r
	for try := 0; ; try++ {
		n := pick(r, nouns)
		if r.IntN(2) == 0 || try > 4 {
			n = pick(r, qualifiers) + "_" + n
		}
		if try > 10 {
			n += "_" + pick(r, nouns)
		}
		if !sc.fields[n] && !nested[camel(n)] {
			sc.fields[n] = true
			return n
		}
	}
}

// field renders one field of a random kind.
func (rd *renderer) field(indent int, sc *scope, nested map[string]bool, number int, inOneof bool) {
	r := rd.r
	typ, scalar := rd.fieldType(sc, !inOneof)
	label := ""
	if !inOneof && !strings.HasPrefix(typ, "map<") {
		switch x := r.IntN(100); {
		case x < 18:
			label = "repeated "
		case scalar && (rd.giant && x < 80 || x < 26):
			label = "optional "
		}
	}
	name := rd.name(sc, nested)
	if label == "repeated " && !strings.HasSuffix(name, "s") && !sc.fields[name+"s"] {
		delete(sc.fields, name)
		name += "s"
		sc.fields[name] = true
	}
	if x := r.IntN(20); x < 15 {
		if x < 6 {
			rd.b.WriteByte('\n')
		}
		rd.comment(indent, 3, 16, 1+r.IntN(3)/2)
	}
	opts := ""
	if r.IntN(40) == 0 {
		opts = " [deprecated = true]"
	}
	rd.line(indent, "%s%s %s = %d%s;", label, typ, name, number, opts)
}

// fieldType picks a field type; scalar tells whether it is a scalar (and so
// may be proto3 optional).
func (rd *renderer) fieldType(sc *scope, allowMap bool) (typ string, scalar bool) {
	r := rd.r
	x := r.IntN(100)
	switch {
	case x < 50:
	case x < 61:
		if t, ok := rd.enumType(sc); ok {
			return t, false
		}
	case x < 79:
		if t, ok := rd.messageType(sc); ok {
			return t, false
		}
	case x < 87:
		w := pick(r, wkts)
		rd.imports[w.file] = true
		return w.name, false
	case x < 94 && allowMap:
		key := pick(r, []string{"string", "string", "string", "int64", "int32", "uint64"})
		if r.IntN(2) == 0 {
			if t, ok := rd.messageType(sc); ok {
				return "map<" + key + ", " + t + ">", false
			}
		}
		return "map<" + key + ", " + pick(r, scalars) + ">", false
	}
	return pick(r, scalars), true
}

func (rd *renderer) enumType(sc *scope) (string, bool) {
	return rd.pickType(sc.enums, rd.f.enums, rd.extEnums, "")
}

func (rd *renderer) messageType(sc *scope) (string, bool) {
	return rd.pickType(sc.msgs, rd.f.msgs, rd.extMsgs, sc.self)
}

// pickType picks one of the nested, file-level and imported types (never
// self) and records the import it needs.
func (rd *renderer) pickType(nested, local []string, ext []typeRef, self string) (string, bool) {
	n := len(nested) + len(local) + len(ext)
	for range 3 {
		if n == 0 {
			return "", false
		}
		k := rd.r.IntN(n)
		switch {
		case k < len(nested):
			return nested[k], true
		case k < len(nested)+len(local):
			if t := local[k-len(nested)]; t != self {
				return t, true
			}
		default:
			t := ext[k-len(nested)-len(local)]
			rd.imports[t.file.path()] = true
			return t.name, true
		}
	}
	return "", false
}

// snake is the field name for a field holding a message of that type name.
func snake(typeName string) string {
	short := typeName[strings.LastIndexByte(typeName, '.')+1:]
	return strings.ToLower(upperSnake(short))
}

// service renders the request and response messages of every method, then
// the service.
func (rd *renderer) service() {
	f, r := rd.f, rd.r
	for _, rp := range f.rpcs {
		if rp.resource.file != f {
			rd.imports[rp.resource.file.path()] = true
		}
		res := snake(rp.resource.name)
		rd.b.WriteByte('\n')
		rd.line(0, "// Request message for %s.%s.", f.service, rp.name)
		rd.line(0, "message %s {", rp.req)
		switch rp.verb {
		case "Get":
			rd.reqField("string", "name", 1, "Required. The name of the %s to get.", res)
			rd.wktField("google.protobuf.FieldMask", "read_mask", 2)
		case "List", "Search":
			rd.reqField("string", "parent", 1, "Required. The parent that owns the %s collection.", res)
			rd.reqField("int32", "page_size", 2, "Maximum number of %s values to return.", res)
			rd.reqField("string", "page_token", 3, "Page token from a previous call.%s", "")
			rd.reqField("string", "filter", 4, "Filter expression.%s", "")
			rd.reqField("string", "order_by", 5, "Sort order.%s", "")
		case "Create":
			rd.reqField("string", "parent", 1, "Required. Where to create the %s.", res)
			rd.reqField(rp.resource.name, res, 2, "Required. The %s to create.", res)
			rd.reqField("string", res+"_id", 3, "The id to give the new %s.", res)
			rd.reqField("string", "request_id", 4, "Idempotency key.%s", "")
		case "Update":
			rd.reqField(rp.resource.name, res, 1, "Required. The %s to update.", res)
			rd.wktField("google.protobuf.FieldMask", "update_mask", 2)
			rd.reqField("bool", "allow_missing", 3, "Create the %s when it does not exist.", res)
		case "Delete", "Cancel":
			rd.reqField("string", "name", 1, "Required. The name of the %s.", res)
			rd.reqField("string", "etag", 2, "Current etag of the %s.", res)
			rd.reqField("bool", "force", 3, "Also remove what depends on the %s.", res)
		default:
			rd.reqField("string", "name", 1, "Required. The %s to act on.", res)
			sc := &scope{self: rp.req, fields: map[string]bool{"name": true}}
			for i := range 2 + r.IntN(8) {
				rd.field(1, sc, map[string]bool{}, 2+i, false)
			}
		}
		rd.line(0, "}")
		if rp.resp != "" {
			rd.b.WriteByte('\n')
			rd.line(0, "// Response message for %s.%s.", f.service, rp.name)
			rd.line(0, "message %s {", rp.resp)
			rd.reqField("repeated "+rp.resource.name, res+"s", 1, "The %s values.", res)
			rd.reqField("string", "next_page_token", 2, "Token for the next page, empty on the last one.%s", "")
			rd.reqField("int32", "total_size", 3, "Total number of results.%s", "")
			rd.line(0, "}")
		}
	}
	rd.b.WriteByte('\n')
	rd.comment(0, 6, 14, 2)
	rd.line(0, "service %s {", f.service)
	for i, rp := range f.rpcs {
		if i > 0 {
			rd.b.WriteByte('\n')
		}
		resp := rp.resource.name
		switch {
		case rp.resp != "":
			resp = rp.resp
		case rp.verb == "Delete" || rp.verb == "Cancel":
			resp = "google.protobuf.Empty"
			rd.imports[emptyFile] = true
		}
		req := rp.req
		if rp.clientSt {
			req = "stream " + req
		}
		if rp.serverSt {
			resp = "stream " + resp
		}
		rd.comment(1, 4, 12, 1)
		rd.line(1, "rpc %s(%s) returns (%s);", rp.name, req, resp)
	}
	rd.line(0, "}")
}

func (rd *renderer) reqField(typ, name string, number int, comment, arg string) {
	rd.line(1, "// "+comment, arg)
	rd.line(1, "%s %s = %d;", typ, name, number)
}

func (rd *renderer) wktField(typ, name string, number int) {
	for _, w := range wkts {
		if w.name == typ {
			rd.imports[w.file] = true
		}
	}
	rd.line(1, "// Fields to return or change; all when empty.")
	rd.line(1, "%s %s = %d;", typ, name, number)
}
