package compat

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/protoctl/protoctl/diag"
)

// Audiences that a breaking change can hurt.
const (
	AudienceWire   = "wire"   // binary protobuf between old and new peers
	AudienceJSON   = "json"   // ProtoJSON between old and new peers
	AudienceGo     = "go"     // code written against generated Go
	AudiencePython = "python" // code written against generated Python
	AudienceOther  = "other"  // other languages' generated code (named in the detail)
)

// audienceOrder is the order of Explanation.Breaks.
var audienceOrder = []string{AudienceWire, AudienceJSON, AudienceGo, AudiencePython, AudienceOther}

// Impact is what one audience loses.
type Impact struct {
	Audience string `json:"audience"`
	Detail   string `json:"detail"`
}

// Explanation says who a finding breaks and how.
type Explanation struct {
	Rule string `json:"rule"`
	// Summary is the rule's purpose.
	Summary string `json:"summary"`
	// Breaks lists the impacts in audience order: wire, json, go, python,
	// other.
	Breaks []Impact `json:"breaks"`
	// Safe lists the audiences among wire, json, go and python that the
	// change does not affect.
	Safe []string `json:"safe"`
}

// Explain describes the consequences of a finding for the people who use
// the contract: whether old and new peers still understand each other's
// binary and JSON encodings, and what happens to code written against the
// generated Go and Python. Names found in the message fill in the generated
// identifiers, e.g. GetFoo() and msg.foo for a field "foo".
//
// The wire and JSON claims follow the rule's categories in buf: a rule in
// WIRE breaks the wire, a rule in WIRE_JSON breaks JSON, and a rule in
// neither leaves both alone (it is about generated code). The rules about
// field types and cardinalities are the exception: their message names the
// old and the new type or cardinality, and the claims follow from the two
// (int32 to int64 keeps the wire, string to int32 does not). An audience
// that the message does not decide is in neither Breaks nor Safe.
func Explain(f diag.Finding) Explanation {
	e := Explanation{Rule: f.Type, Breaks: []Impact{}, Safe: []string{}}
	r, ok := ruleByID[f.Type]
	if !ok {
		e.Summary = "not a breaking-change rule"
		return e
	}
	e.Summary = r.Purpose
	n := namesIn(f.Message)
	v := verdicts(r, f.Message)
	broken := map[string]bool{}
	add := func(audience, detail string) {
		e.Breaks = append(e.Breaks, Impact{Audience: audience, Detail: n.fill(detail)})
		broken[audience] = true
	}
	for _, i := range impacts[f.Type] {
		d, decided := v[i.Audience]
		switch {
		case !decided:
			add(i.Audience, i.Detail)
		case d.effect == breaks && d.detail != "":
			add(i.Audience, d.detail)
		case d.effect == breaks:
			add(i.Audience, i.Detail)
		}
	}
	for _, a := range audienceOrder {
		if d := v[a]; d.effect == breaks && !broken[a] {
			add(a, cmp.Or(d.detail, genericBreak[a]))
		}
	}
	slices.SortStableFunc(e.Breaks, func(a, b Impact) int {
		return slices.Index(audienceOrder, a.Audience) - slices.Index(audienceOrder, b.Audience)
	})
	for _, a := range []string{AudienceWire, AudienceJSON, AudienceGo, AudiencePython} {
		if d, decided := v[a]; !broken[a] && (!decided || d.effect == safe) {
			e.Safe = append(e.Safe, a)
		}
	}
	return e
}

// names are the identifiers a finding's message mentions, turned into
// what generated code calls them.
type names struct {
	goField, pyField   string // GetFoo(), msg.foo
	goType, pyType     string // Outer_Inner, Outer.Inner
	goMethod, pyMethod string // Get, Get
	pyModule           string // a/b.proto -> a.b_pb2
	goConst            string // Enum_VALUE (when a value name is known)
	pyConst            string
}

var (
	reField   = regexp.MustCompile(`(?:Field|Extension) "\d+" with name "([^"]+)"|field "\d+" with name "([^"]+)"`)
	reType    = regexp.MustCompile(`(?:message|enum|service|extension) "([^"]+)"`)
	reRPC     = regexp.MustCompile(`RPC "([^"]+)"`)
	reFile    = regexp.MustCompile(`file "([^"]+)"`)
	reEnumVal = regexp.MustCompile(`on enum "([^"]+)" changed name[s]? from "([^"]+)"`)
)

func namesIn(msg string) names {
	n := names{
		goField: "the generated getters", pyField: "the generated attributes",
		goType: "the generated type", pyType: "the generated class",
		goMethod: "the generated method", pyMethod: "the generated stub method",
		pyModule: "the generated _pb2 module",
		goConst:  "the generated constant", pyConst: "the generated constant",
	}
	if m := reField.FindStringSubmatch(msg); m != nil {
		name := m[1] + m[2]
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			name = name[i+1:]
		}
		n.goField, n.pyField = "Get"+goCamel(name)+"()", "msg."+name
	}
	if m := reType.FindStringSubmatch(msg); m != nil {
		n.goType, n.pyType = strings.ReplaceAll(m[1], ".", "_"), m[1]
	}
	if m := reRPC.FindStringSubmatch(msg); m != nil {
		n.goMethod, n.pyMethod = m[1], m[1]
	}
	if m := reFile.FindStringSubmatch(msg); m != nil {
		n.pyModule = strings.ReplaceAll(strings.TrimSuffix(m[1], ".proto"), "/", ".") + "_pb2"
	}
	if m := reEnumVal.FindStringSubmatch(msg); m != nil {
		n.goConst, n.pyConst = m[1]+"_"+m[2], m[1]+"."+m[2]
	}
	return n
}

func (n names) fill(s string) string {
	return strings.NewReplacer(
		"{goField}", n.goField, "{pyField}", n.pyField,
		"{goType}", n.goType, "{pyType}", n.pyType,
		"{goMethod}", n.goMethod, "{pyMethod}", n.pyMethod,
		"{pyModule}", n.pyModule, "{goConst}", n.goConst, "{pyConst}", n.pyConst,
	).Replace(s)
}

// Reusable impacts.
var (
	goTypeGone   = Impact{AudienceGo, "the Go type {goType} is no longer generated; code that names it no longer compiles"}
	pyTypeGone   = Impact{AudiencePython, "the Python class {pyType} no longer exists; code that uses it fails with AttributeError"}
	goFieldGone  = Impact{AudienceGo, "{goField} and the struct field are no longer generated; callers no longer compile"}
	pyFieldGone  = Impact{AudiencePython, "{pyField} no longer exists; reading or setting it fails with AttributeError"}
	wireReuse    = Impact{AudienceWire, "the number is free to be reused with another type, and old peers would misread the new data"}
	jsonReuse    = Impact{AudienceJSON, "the name is free to be reused with another type, and old peers would misread the new JSON"}
	goValueGone  = Impact{AudienceGo, "the generated enum constant is no longer generated; code that names it no longer compiles"}
	pyValueGone  = Impact{AudiencePython, "the enum value no longer exists in the generated module; code that names it fails with AttributeError"}
	wireEnumGone = Impact{AudienceWire, "the number is free to be reused for another value, and old peers would read it as the deleted one"}
	jsonEnumGone = Impact{AudienceJSON, "the name is free to be reused for another number, and old peers would read it as the deleted value"}
	goTypeChange = Impact{AudienceGo, "{goField} returns another Go type; callers no longer compile"}
	pyTypeChange = Impact{AudiencePython, "{pyField} holds another Python type; callers may fail at run time"}
	goShape      = Impact{AudienceGo, "the Go shape of {goField} changes (pointer, slice, map, oneof wrapper or plain value); callers no longer compile"}
	pyShape      = Impact{AudiencePython, "{pyField} changes between a scalar, a repeated container and a map, or gains or loses HasField"}
	goStreams    = Impact{AudienceGo, "the generated Go client and server interfaces for {goMethod} change; implementations and callers no longer compile"}
	pyStreams    = Impact{AudiencePython, "the generated stub and servicer for {pyMethod} change between a single message and an iterator"}
	wireStreams  = Impact{AudienceWire, "old clients and servers disagree on how many messages {goMethod} sends, and the call fails"}
	jsonStreams  = Impact{AudienceJSON, "Connect and gateway JSON clients of {goMethod} expect one message where a stream comes, or the reverse"}
	jsonFormat_  = Impact{AudienceJSON, "old and new peers disagree on the JSON form of the type"}
	wireCardinal = Impact{AudienceWire, "old peers reject or lose {pyField} (required-ness or repetition differs)"}
	jsonCardinal = Impact{AudienceJSON, "the JSON shape of {pyField} differs (value, list or object), or one side requires it"}
	optionOnly   = func(langs string) []Impact {
		return []Impact{{AudienceOther, "generated " + langs + " code changes (names, packages or API); code written against it may no longer compile"}}
	}
	fileOrPkgGone = []Impact{{AudienceGo, "the generated Go file, and with it its types, is gone; importers no longer compile"}, {AudiencePython, "{pyModule} is no longer generated; `import` fails"}}
	serviceGone   = []Impact{
		{AudienceGo, "the generated Go client and server interfaces are gone; servers no longer register the service, so old clients' calls fail with UNIMPLEMENTED"},
		{AudiencePython, "the generated stub and servicer classes are gone"},
	}
	extensionGone = []Impact{{AudienceGo, "the generated extension descriptor E_… is gone; code that reads the extension no longer compiles"}, {AudiencePython, "the generated extension handle is gone; code that reads it fails"}}
)

// impacts says, for each rule, who a finding of it breaks. Placeholders in
// braces are filled from the finding's message. The wire and JSON entries
// are shown only when verdicts agrees that the finding breaks them (see
// Explain); TestImpactsFollowCategories keeps them in line with buf's
// categories.
var impacts = map[string][]Impact{
	"FILE_NO_DELETE":              fileOrPkgGone,
	"PACKAGE_NO_DELETE":           fileOrPkgGone,
	"MESSAGE_NO_DELETE":           {goTypeGone, pyTypeGone},
	"PACKAGE_MESSAGE_NO_DELETE":   {goTypeGone, pyTypeGone},
	"ENUM_NO_DELETE":              {goTypeGone, pyTypeGone},
	"PACKAGE_ENUM_NO_DELETE":      {goTypeGone, pyTypeGone},
	"SERVICE_NO_DELETE":           serviceGone,
	"PACKAGE_SERVICE_NO_DELETE":   serviceGone,
	"EXTENSION_NO_DELETE":         extensionGone,
	"PACKAGE_EXTENSION_NO_DELETE": extensionGone,
	"RPC_NO_DELETE": {
		{AudienceGo, "{goMethod} is gone from the generated Go client and server interfaces; servers no longer serve it, so old clients get UNIMPLEMENTED"},
		{AudiencePython, "{pyMethod} is gone from the generated stub and servicer"},
	},
	"FIELD_NO_DELETE":                        {goFieldGone, pyFieldGone},
	"FIELD_NO_DELETE_UNLESS_NAME_RESERVED":   {jsonReuse, goFieldGone, pyFieldGone},
	"FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED": {wireReuse, jsonReuse, goFieldGone, pyFieldGone},
	"ONEOF_NO_DELETE": {
		{AudienceGo, "the oneof's interface type and wrapper types are no longer generated"},
		{AudiencePython, "WhichOneof() with the oneof's name raises ValueError"},
	},
	"ENUM_VALUE_NO_DELETE":                        {goValueGone, pyValueGone},
	"ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED":   {jsonEnumGone, goValueGone, pyValueGone},
	"ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED": {wireEnumGone, jsonEnumGone, goValueGone, pyValueGone},
	"EXTENSION_MESSAGE_NO_DELETE": {
		{AudienceGo, "extensions declared in the removed numbers no longer compile, nor does code that uses their E_… descriptors"},
		{AudiencePython, "extensions declared in the removed numbers no longer compile, nor does code that uses their handles"},
	},
	"RESERVED_MESSAGE_NO_DELETE": {wireReuse, jsonReuse},
	"RESERVED_ENUM_NO_DELETE":    {wireEnumGone, jsonEnumGone},
	"FIELD_SAME_NAME": {
		{AudienceJSON, "the JSON key changes, so old and new peers drop each other's value"},
		{AudienceGo, "the generated struct field and getter are renamed ({goField}); callers no longer compile"},
		{AudiencePython, "the generated attribute is renamed; code that uses the old name fails with AttributeError"},
	},
	"FIELD_SAME_JSON_NAME": {{AudienceJSON, "the JSON key changes, so old and new peers drop each other's value"}},
	"ENUM_VALUE_SAME_NAME": {
		{AudienceJSON, "the value's JSON string changes, so old and new peers reject each other's value"},
		{AudienceGo, "the generated constant {goConst} is renamed; code that names it no longer compiles"},
		{AudiencePython, "{pyConst} is renamed; code that names it fails with AttributeError"},
	},
	// The type rules' wire, JSON, Go and Python verdicts come from the two
	// types in the message; these are the texts when it names none.
	"FIELD_SAME_TYPE":                        {goTypeChange, pyTypeChange},
	"FIELD_WIRE_COMPATIBLE_TYPE":             {{AudienceWire, "old peers decode {pyField} as another type or drop it"}, goTypeChange, pyTypeChange},
	"FIELD_WIRE_JSON_COMPATIBLE_TYPE":        {{AudienceJSON, "old peers reject or misread the JSON value of {pyField}"}, goTypeChange, pyTypeChange},
	"FIELD_SAME_CARDINALITY":                 {wireCardinal, jsonCardinal, goShape, pyShape},
	"FIELD_WIRE_COMPATIBLE_CARDINALITY":      {wireCardinal, jsonCardinal, goShape, pyShape},
	"FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY": {wireCardinal, jsonCardinal, goShape, pyShape},
	"FIELD_SAME_ONEOF": {
		{AudienceWire, "setting one member of a oneof now clears others (or no longer does), so peers see different values"},
		{AudienceJSON, "a JSON object that sets more than one member of the oneof is rejected by the peer that has them in one oneof"},
		{AudienceGo, "{goField} moves in or out of a oneof wrapper type; callers no longer compile"},
		{AudiencePython, "WhichOneof() and the clearing of {pyField} change"},
	},
	"FIELD_SAME_DEFAULT": {
		{AudienceWire, "an unset field reads as a different value on old and new peers"},
		{AudienceJSON, "an omitted field reads as a different value on old and new peers"},
		{AudienceGo, "{goField} returns another value when the field is unset"},
		{AudiencePython, "{pyField} reads another value when the field is unset"},
	},
	"FIELD_SAME_UTF8_VALIDATION": {
		{AudienceGo, "Go's generated code accepts or rejects invalid UTF-8 in {goField} differently when parsing"},
		{AudiencePython, "Python's runtime accepts or rejects invalid UTF-8 in {pyField} differently when parsing"},
	},
	"FIELD_SAME_JSTYPE":               {{AudienceOther, "JavaScript code sees the 64-bit value as a string instead of a number, or the reverse"}},
	"FIELD_SAME_CPP_STRING_TYPE":      {{AudienceOther, "generated C++ accessors change type (string, Cord, string_view)"}},
	"FIELD_SAME_JAVA_UTF8_VALIDATION": {{AudienceOther, "generated Java accepts or rejects invalid UTF-8 differently"}},
	"ENUM_SAME_TYPE": {
		{AudienceGo, "Go code sees unknown values in the field (open enum) or in the unknown fields (closed enum)"},
		{AudiencePython, "Python code sees unknown values in the field (open enum) or in the unknown fields (closed enum)"},
	},
	"ENUM_SAME_JSON_FORMAT":    {jsonFormat_},
	"MESSAGE_SAME_JSON_FORMAT": {jsonFormat_},
	"MESSAGE_SAME_REQUIRED_FIELDS": {
		{AudienceWire, "a peer that does not know the required field fails to parse or serialize the message"},
		{AudienceJSON, "a peer that does not know the required field fails to parse or print the message's JSON"},
		{AudienceGo, "proto.Marshal and Unmarshal fail when the required field is missing"},
		{AudiencePython, "SerializeToString() and ParseFromString() raise when the required field is missing"},
	},
	"MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR": {{AudienceOther, "generated C++ and Java lose the message's descriptor() accessor"}},
	"FILE_SAME_PACKAGE": {
		{AudienceWire, "every full name changes: gRPC method paths, Any type URLs and extensions no longer match"},
		{AudienceJSON, "Any type URLs and Connect paths change"},
		{AudienceGo, "generated Go registrations change and type names may clash"},
		{AudiencePython, "full names in generated Python change"},
	},
	"FILE_SAME_SYNTAX": {
		{AudienceGo, "generated Go fields may change between pointers and values, and field presence, enum openness and UTF-8 checks follow the new syntax's defaults"},
		{AudiencePython, "HasField() becomes available or raises for scalar fields, and field presence and enum openness follow the new syntax's defaults"},
	},
	"FILE_SAME_GO_PACKAGE":             {{AudienceGo, "the generated Go import path or package name changes; importers no longer compile"}},
	"FILE_SAME_PY_GENERIC_SERVICES":    {{AudiencePython, "generic service classes appear in or disappear from {pyModule}"}},
	"FILE_SAME_JAVA_PACKAGE":           optionOnly("Java"),
	"FILE_SAME_JAVA_OUTER_CLASSNAME":   optionOnly("Java"),
	"FILE_SAME_JAVA_MULTIPLE_FILES":    optionOnly("Java"),
	"FILE_SAME_JAVA_GENERIC_SERVICES":  optionOnly("Java"),
	"FILE_SAME_CC_ENABLE_ARENAS":       optionOnly("C++"),
	"FILE_SAME_CC_GENERIC_SERVICES":    optionOnly("C++"),
	"FILE_SAME_OPTIMIZE_FOR":           optionOnly("C++ and Java"),
	"FILE_SAME_CSHARP_NAMESPACE":       optionOnly("C#"),
	"FILE_SAME_OBJC_CLASS_PREFIX":      optionOnly("Objective-C"),
	"FILE_SAME_PHP_CLASS_PREFIX":       optionOnly("PHP"),
	"FILE_SAME_PHP_METADATA_NAMESPACE": optionOnly("PHP"),
	"FILE_SAME_PHP_NAMESPACE":          optionOnly("PHP"),
	"FILE_SAME_RUBY_PACKAGE":           optionOnly("Ruby"),
	"FILE_SAME_SWIFT_PREFIX":           optionOnly("Swift"),
	"RPC_SAME_CLIENT_STREAMING":        {wireStreams, jsonStreams, goStreams, pyStreams},
	"RPC_SAME_SERVER_STREAMING":        {wireStreams, jsonStreams, goStreams, pyStreams},
	"RPC_SAME_REQUEST_TYPE": {
		{AudienceWire, "old clients send a message the server decodes as another type"},
		{AudienceJSON, "JSON clients (Connect, gateways) send a body the server misreads"},
		{AudienceGo, "the Go signatures of {goMethod} change; clients and servers no longer compile"},
		{AudiencePython, "{pyMethod} takes another message class"},
	},
	"RPC_SAME_RESPONSE_TYPE": {
		{AudienceWire, "old clients decode the response as another type"},
		{AudienceJSON, "JSON clients (Connect, gateways) misread the response"},
		{AudienceGo, "the Go signatures of {goMethod} change; clients and servers no longer compile"},
		{AudiencePython, "{pyMethod} returns another message class"},
	},
	"RPC_SAME_IDEMPOTENCY_LEVEL": {
		{AudienceWire, "Connect clients may switch {goMethod} between GET and POST, and retries and caches treat the call differently"},
		{AudienceJSON, "Connect JSON clients may switch {goMethod} between GET and POST, and retries and caches treat the call differently"},
	},
}

// goCamel turns a proto field name into the Go name protoc-gen-go uses:
// underscores dropped, the next letter and any letter after a digit
// upper-cased.
func goCamel(s string) string {
	var b strings.Builder
	up := true
	for _, c := range s {
		switch {
		case c == '_':
			up = true
			continue
		case unicode.IsDigit(c):
			b.WriteRune(c)
			up = true
			continue
		case up:
			b.WriteRune(unicode.ToUpper(c))
		default:
			b.WriteRune(c)
		}
		up = false
	}
	return b.String()
}

// effect is what a finding does to one audience.
type effect int

const (
	unknown effect = iota // the message does not say
	safe
	breaks
)

// verdict is a decided effect, with the text to show when it breaks (empty
// for the impacts table's text).
type verdict struct {
	effect effect
	detail string
}

// genericBreak is the text for a break that the impacts table has none
// for.
var genericBreak = map[string]string{
	AudienceWire:   "old and new peers no longer read each other's binary encoding of {pyField}",
	AudienceJSON:   "old and new peers no longer read each other's JSON of {pyField}",
	AudienceGo:     "code written against the generated Go no longer compiles",
	AudiencePython: "code written against the generated Python may fail at run time",
}

var (
	reTypeChange        = regexp.MustCompile(`changed type from "([^"]+)" to "([^"]+)"\.`)
	reCardinalityChange = regexp.MustCompile(`changed cardinality from "([^"]+)" to "([^"]+)"\.`)
)

// verdicts decides the wire and JSON effects of a finding of rule r, and
// for the type rules the Go and Python effects too. An audience absent
// from the map is decided by the impacts table: listed means broken.
func verdicts(r *Rule, msg string) map[string]verdict {
	v := map[string]verdict{
		AudienceWire: {effect: safe},
		AudienceJSON: {effect: safe},
	}
	if slices.Contains(r.Categories, catWire) {
		v[AudienceWire] = verdict{effect: breaks}
	}
	if slices.Contains(r.Categories, catWireJSON) {
		v[AudienceJSON] = verdict{effect: breaks}
	}
	switch r.ID {
	case "FIELD_SAME_TYPE", "FIELD_WIRE_COMPATIBLE_TYPE", "FIELD_WIRE_JSON_COMPATIBLE_TYPE":
		m := reTypeChange.FindStringSubmatch(msg)
		if m == nil {
			return decideUnknown(v)
		}
		from, to := m[1], m[2]
		if r.ID != "FIELD_WIRE_COMPATIBLE_TYPE" {
			v[AudienceWire] = wireTypeVerdict(from, to)
		} else if note := wireTypeNote(from, to); note != "" {
			v[AudienceWire] = verdict{effect: breaks, detail: note}
		}
		v[AudienceJSON] = jsonTypeVerdict(from, to)
		v[AudienceGo] = codeTypeVerdict(goTypeOf, from, to, "{goField} returns %s instead of %s; callers no longer compile")
		v[AudiencePython] = codeTypeVerdict(pyTypeOf, from, to, "{pyField} holds %s instead of %s; callers may fail at run time")
	case "FIELD_SAME_CARDINALITY", "FIELD_WIRE_COMPATIBLE_CARDINALITY", "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY":
		m := reCardinalityChange.FindStringSubmatch(msg)
		if m == nil {
			return decideUnknown(v)
		}
		from, to := cardinalityNamed(m[1]), cardinalityNamed(m[2])
		if r.ID != "FIELD_WIRE_COMPATIBLE_CARDINALITY" {
			v[AudienceWire] = groupVerdict(wireCardinality, from, to)
		}
		v[AudienceJSON] = groupVerdict(wireJSONCardinality, from, to)
	}
	return v
}

// decideUnknown is for a type or cardinality rule whose message names no
// two types: what the categories say breaks still breaks, and nothing is
// claimed safe.
func decideUnknown(v map[string]verdict) map[string]verdict {
	for a, d := range v {
		if d.effect != breaks {
			v[a] = verdict{effect: unknown}
		}
	}
	return v
}

func cardinalityNamed(s string) cardinality {
	for c := cardinalityExplicit; c <= cardinalityMap; c++ {
		if c.String() == s {
			return c
		}
	}
	return 0
}

func groupVerdict(groups map[cardinality]int, from, to cardinality) verdict {
	switch {
	case from == 0 || to == 0:
		return verdict{effect: unknown}
	case groups[from] == groups[to]:
		return verdict{effect: safe}
	}
	return verdict{effect: breaks}
}

// Scalar kinds by how they are encoded. Kinds in one wire group read each
// other's binary encoding (larger values are truncated); see
// https://protobuf.dev/programming-guides/proto3/#updating.
var wireGroup = map[string]string{
	"int32": "varint", "int64": "varint", "uint32": "varint", "uint64": "varint", "bool": "varint", "enum": "varint",
	"sint32": "zigzag", "sint64": "zigzag",
	"fixed32": "i32", "sfixed32": "i32",
	"fixed64": "i64", "sfixed64": "i64",
	"float": "float", "double": "double",
	"string": "len", "bytes": "len", "message": "len",
	"group": "group", "message (delimited encoding)": "group",
}

// jsonGroup is the same for ProtoJSON, as buf sees it: 32-bit integers
// are JSON numbers and 64-bit ones JSON strings.
var jsonGroup = map[string]string{
	"int32": "int32", "uint32": "int32", "sint32": "int32", "fixed32": "int32", "sfixed32": "int32",
	"int64": "int64", "uint64": "int64", "sint64": "int64", "fixed64": "int64", "sfixed64": "int64",
	"float": "float", "double": "float",
	"bool": "bool", "string": "string", "bytes": "bytes", "enum": "enum",
	"message": "object", "group": "object", "message (delimited encoding)": "object",
}

// wireTypeVerdict decides whether old and new peers read each other's
// binary encoding of a field whose type changed from one to the other.
func wireTypeVerdict(from, to string) verdict {
	gf, okf := wireGroup[from]
	gt, okt := wireGroup[to]
	switch {
	case !okf || !okt:
		// Two message or enum names: same encoding, other fields.
		return verdict{effect: breaks, detail: fmt.Sprintf("old and new peers decode {pyField} as %s and %s, which only works if both number their fields or values alike", from, to)}
	case gf != gt:
		return verdict{effect: breaks, detail: fmt.Sprintf("%s and %s are encoded differently, so old and new peers misread or drop {pyField}", from, to)}
	case from == "bytes" && to == "string":
		return verdict{effect: breaks, detail: "new peers reject {pyField} from old peers when the bytes are not valid UTF-8"}
	case (from == "string") != (to == "string") && (from == "message" || to == "message"):
		return verdict{effect: breaks, detail: "a string and a message are not the same bytes: old and new peers fail to parse {pyField}"}
	case from == "enum" && to == "bool" || from == "bool" && to == "enum":
		return verdict{effect: breaks, detail: "bool and enum share the varint encoding but not the values"}
	}
	return verdict{effect: safe}
}

// wireTypeNote is the wire text for a FIELD_WIRE_COMPATIBLE_TYPE finding
// whose types share an encoding that nothing enforces.
func wireTypeNote(from, to string) string {
	if (from == "bytes" || to == "bytes") && (from == "message" || to == "message") {
		return "message and bytes share the encoding only while the bytes hold an encoded message, which nothing enforces"
	}
	return ""
}

func jsonTypeVerdict(from, to string) verdict {
	gf, okf := jsonGroup[from]
	gt, okt := jsonGroup[to]
	switch {
	case !okf || !okt:
		return verdict{effect: breaks, detail: fmt.Sprintf("old and new peers read the JSON of {pyField} as %s and %s, which only works if both name their fields or values alike", from, to)}
	case gf != gt:
		return verdict{effect: breaks, detail: fmt.Sprintf("%s and %s have different JSON forms, so old and new peers reject or misread {pyField}", from, to)}
	}
	return verdict{effect: safe}
}

// goTypeOf and pyTypeOf name the type that generated code uses for a
// kind, or "" for a message or enum name (its own generated type).
func goTypeOf(kind string) string {
	return map[string]string{
		"int32": "int32", "sint32": "int32", "sfixed32": "int32",
		"uint32": "uint32", "fixed32": "uint32",
		"int64": "int64", "sint64": "int64", "sfixed64": "int64",
		"uint64": "uint64", "fixed64": "uint64",
		"bool": "bool", "float": "float32", "double": "float64",
		"string": "string", "bytes": "[]byte",
	}[kind]
}

func pyTypeOf(kind string) string {
	return map[string]string{
		"int32": "int", "sint32": "int", "sfixed32": "int", "uint32": "int", "fixed32": "int",
		"int64": "int", "sint64": "int", "sfixed64": "int", "uint64": "int", "fixed64": "int",
		"enum": "int", "bool": "bool", "float": "float", "double": "float",
		"string": "str", "bytes": "bytes",
	}[kind]
}

func codeTypeVerdict(typeOf func(string) string, from, to, format string) verdict {
	tf, tt := typeOf(from), typeOf(to)
	if tf != "" && tf == tt {
		return verdict{effect: safe}
	}
	name := func(kind, t string) string {
		if t == "" {
			return "the type generated for " + kind
		}
		return t
	}
	return verdict{effect: breaks, detail: fmt.Sprintf(format, name(to, tt), name(from, tf))}
}
