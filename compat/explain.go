package compat

import (
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
func Explain(f diag.Finding) Explanation {
	e := Explanation{Rule: f.Type, Breaks: []Impact{}, Safe: []string{}}
	r, ok := ruleByID[f.Type]
	if !ok {
		e.Summary = "not a breaking-change rule"
		return e
	}
	e.Summary = r.Purpose
	n := namesIn(f.Message)
	for _, i := range impacts[f.Type] {
		e.Breaks = append(e.Breaks, Impact{Audience: i.Audience, Detail: n.fill(i.Detail)})
	}
	slices.SortStableFunc(e.Breaks, func(a, b Impact) int {
		return slices.Index(audienceOrder, a.Audience) - slices.Index(audienceOrder, b.Audience)
	})
	seen := map[string]bool{}
	for _, i := range e.Breaks {
		seen[i.Audience] = true
	}
	for _, a := range []string{AudienceWire, AudienceJSON, AudienceGo, AudiencePython} {
		if !seen[a] {
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
	jsonReuse    = Impact{AudienceJSON, "old peers still send the name, which new peers reject as unknown"}
	goValueGone  = Impact{AudienceGo, "the generated enum constant is no longer generated; code that names it no longer compiles"}
	pyValueGone  = Impact{AudiencePython, "the enum value no longer exists in the generated module; code that names it fails with AttributeError"}
	wireEnumGone = Impact{AudienceWire, "old peers still send the number; new peers treat it as unknown (closed enums drop it into unknown fields)"}
	goTypeChange = Impact{AudienceGo, "{goField} returns another Go type; callers no longer compile"}
	pyTypeChange = Impact{AudiencePython, "{pyField} holds another Python type; callers may fail at run time"}
	goShape      = Impact{AudienceGo, "the Go shape of {goField} changes (pointer, slice, map or plain value); callers no longer compile"}
	pyShape      = Impact{AudiencePython, "{pyField} changes between a scalar, a repeated container and a map, or gains or loses HasField"}
	goStreams    = Impact{AudienceGo, "the generated Go client and server interfaces for {goMethod} change; implementations and callers no longer compile"}
	pyStreams    = Impact{AudiencePython, "the generated stub and servicer for {pyMethod} change between a single message and an iterator"}
	wireStreams  = Impact{AudienceWire, "old clients and servers disagree on how many messages {goMethod} sends, and the call fails"}
	jsonFormat_  = Impact{AudienceJSON, "old and new peers disagree on the JSON form of the type"}
	optionOnly   = func(langs string) []Impact {
		return []Impact{{AudienceOther, "generated " + langs + " code changes (names, packages or API); code written against it may no longer compile"}}
	}
	fileOrPkgGone = []Impact{{AudienceGo, "the generated Go file, and with it its types, is gone; importers no longer compile"}, {AudiencePython, "{pyModule} is no longer generated; `import` fails"}}
	serviceGone   = []Impact{{AudienceWire, "calls to the service fail with UNIMPLEMENTED"}, {AudienceGo, "the generated Go client and server interfaces are gone"}, {AudiencePython, "the generated stub and servicer classes are gone"}}
	extensionGone = []Impact{{AudienceGo, "the generated extension descriptor E_… is gone; code that reads the extension no longer compiles"}, {AudiencePython, "the generated extension handle is gone; code that reads it fails"}}
)

// impacts says, for each rule, who a finding of it breaks. Placeholders in
// braces are filled from the finding's message.
var impacts = map[string][]Impact{
	"FILE_NO_DELETE":              fileOrPkgGone,
	"PACKAGE_NO_DELETE":           fileOrPkgGone,
	"MESSAGE_NO_DELETE":           {goTypeGone, pyTypeGone},
	"PACKAGE_MESSAGE_NO_DELETE":   {goTypeGone, pyTypeGone, {AudienceWire, "Any values and gRPC methods that name the message no longer resolve"}},
	"ENUM_NO_DELETE":              {goTypeGone, pyTypeGone},
	"PACKAGE_ENUM_NO_DELETE":      {goTypeGone, pyTypeGone},
	"SERVICE_NO_DELETE":           serviceGone,
	"PACKAGE_SERVICE_NO_DELETE":   serviceGone,
	"EXTENSION_NO_DELETE":         extensionGone,
	"PACKAGE_EXTENSION_NO_DELETE": extensionGone,
	"RPC_NO_DELETE": {
		{AudienceWire, "old clients calling {goMethod} get UNIMPLEMENTED"},
		{AudienceGo, "{goMethod} is gone from the generated Go client and server interfaces"},
		{AudiencePython, "{pyMethod} is gone from the generated stub and servicer"},
	},
	"FIELD_NO_DELETE":                        {goFieldGone, pyFieldGone, wireReuse, jsonReuse},
	"FIELD_NO_DELETE_UNLESS_NAME_RESERVED":   {jsonReuse, goFieldGone, pyFieldGone},
	"FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED": {wireReuse, goFieldGone, pyFieldGone},
	"ONEOF_NO_DELETE": {
		{AudienceGo, "the oneof's interface type and wrapper types are no longer generated"},
		{AudiencePython, "WhichOneof() with the oneof's name raises ValueError"},
	},
	"ENUM_VALUE_NO_DELETE":                        {goValueGone, pyValueGone, wireEnumGone},
	"ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED":   {{AudienceJSON, "old peers still send the value's name, which new peers reject"}, goValueGone, pyValueGone},
	"ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED": {wireEnumGone, goValueGone, pyValueGone},
	"EXTENSION_MESSAGE_NO_DELETE": {
		{AudienceWire, "extensions declared in the removed numbers no longer parse as extensions"},
		{AudienceGo, "extensions of those numbers no longer compile"},
		{AudiencePython, "extensions of those numbers no longer load"},
	},
	"RESERVED_MESSAGE_NO_DELETE": {wireReuse, jsonReuse},
	"RESERVED_ENUM_NO_DELETE":    {wireEnumGone, {AudienceJSON, "a released name may come back with another number"}},
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
	"FIELD_SAME_TYPE": {goTypeChange, pyTypeChange},
	"FIELD_WIRE_COMPATIBLE_TYPE": {
		{AudienceWire, "old peers decode {pyField} as another type or drop it"},
		goTypeChange, pyTypeChange,
	},
	"FIELD_WIRE_JSON_COMPATIBLE_TYPE": {
		{AudienceWire, "old peers decode {pyField} as another type or drop it"},
		{AudienceJSON, "old peers reject or misread the JSON value of {pyField}"},
		goTypeChange, pyTypeChange,
	},
	"FIELD_SAME_CARDINALITY": {goShape, pyShape},
	"FIELD_WIRE_COMPATIBLE_CARDINALITY": {
		{AudienceWire, "old peers reject or lose {pyField} (required-ness or repetition differs)"},
		goShape, pyShape,
	},
	"FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY": {
		{AudienceWire, "old peers reject or lose {pyField} (required-ness or repetition differs)"},
		{AudienceJSON, "the JSON shape of {pyField} differs (value, list or object)"},
		goShape, pyShape,
	},
	"FIELD_SAME_ONEOF": {
		{AudienceWire, "setting one member of a oneof now clears others (or no longer does), so peers see different values"},
		{AudienceGo, "{goField} moves in or out of a oneof wrapper type; callers no longer compile"},
		{AudiencePython, "WhichOneof() and the clearing of {pyField} change"},
	},
	"FIELD_SAME_DEFAULT": {
		{AudienceWire, "an unset field reads as a different value on old and new peers"},
		{AudienceGo, "{goField} returns another value when the field is unset"},
		{AudiencePython, "{pyField} reads another value when the field is unset"},
	},
	"FIELD_SAME_UTF8_VALIDATION": {
		{AudienceWire, "peers differ on whether invalid UTF-8 in {pyField} fails parsing"},
		{AudienceGo, "Go's generated code accepts or rejects invalid UTF-8 in {goField} differently"},
		{AudiencePython, "Python's runtime accepts or rejects invalid UTF-8 in {pyField} differently"},
	},
	"FIELD_SAME_JSTYPE":               {{AudienceOther, "JavaScript code sees the 64-bit value as a string instead of a number, or the reverse"}},
	"FIELD_SAME_CPP_STRING_TYPE":      {{AudienceOther, "generated C++ accessors change type (string, Cord, string_view)"}},
	"FIELD_SAME_JAVA_UTF8_VALIDATION": {{AudienceOther, "generated Java accepts or rejects invalid UTF-8 differently"}},
	"ENUM_SAME_TYPE": {
		{AudienceWire, "unknown values are kept in the field (open) or moved to unknown fields (closed)"},
		{AudienceGo, "Go code sees unknown values in the field or not"},
		{AudiencePython, "Python code sees unknown values in the field or not"},
	},
	"ENUM_SAME_JSON_FORMAT":    {jsonFormat_},
	"MESSAGE_SAME_JSON_FORMAT": {jsonFormat_},
	"MESSAGE_SAME_REQUIRED_FIELDS": {
		{AudienceWire, "a peer that does not know the required field fails to parse or serialize the message"},
		{AudienceGo, "proto.Marshal and Unmarshal fail when the required field is missing"},
		{AudiencePython, "SerializeToString() and ParseFromString() raise when the required field is missing"},
	},
	"MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR": {{AudienceOther, "generated C++ and Java lose the message's descriptor() accessor"}},
	"FILE_SAME_PACKAGE": {
		{AudienceWire, "every full name changes: gRPC method paths, Any type URLs and extensions no longer match"},
		{AudienceJSON, "Any type URLs change"},
		{AudienceGo, "generated Go registrations change and type names may clash"},
		{AudiencePython, "full names in generated Python change"},
	},
	"FILE_SAME_SYNTAX": {
		{AudienceWire, "field presence, enum openness and UTF-8 checks follow the new syntax's defaults"},
		{AudienceGo, "generated Go fields may change between pointers and values"},
		{AudiencePython, "HasField() becomes available or raises for scalar fields"},
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
	"RPC_SAME_CLIENT_STREAMING":        {wireStreams, goStreams, pyStreams},
	"RPC_SAME_SERVER_STREAMING":        {wireStreams, goStreams, pyStreams},
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
