package compat

import "slices"

// Categories as buf names them. A rule belongs to one or more; `use` and
// `except` accept a category wherever they accept a rule ID.
const (
	catFile     = "FILE"
	catPackage  = "PACKAGE"
	catWireJSON = "WIRE_JSON"
	catWire     = "WIRE"
	// catCSR holds the rules that matter to the Confluent Schema Registry.
	catCSR = "CSR"
)

// Categories lists the category IDs in buf's order, from strictest to
// loosest.
func Categories() []string {
	return []string{catFile, catPackage, catWireJSON, catWire, catCSR}
}

// Rule is one breaking-change rule.
type Rule struct {
	// ID is buf's rule ID, such as FIELD_SAME_TYPE.
	ID string `json:"id"`
	// Categories lists the categories the rule belongs to, sorted.
	Categories []string `json:"categories"`
	// Purpose is buf's one-line description.
	Purpose string `json:"purpose"`
	// Deprecated is set for buf v1 rule IDs that are accepted in
	// configuration but replaced by ReplacedBy.
	Deprecated bool     `json:"deprecated,omitempty"`
	ReplacedBy []string `json:"replaced_by,omitempty"`

	check func(*pair)
}

// rules is the table: every rule buf v2 knows, sorted by ID.
var rules = []Rule{
	{ID: "ENUM_NO_DELETE", Categories: []string{catCSR, catFile}, Purpose: "Checks that enums are not deleted from a given file.", check: checkEnumNoDelete},
	{ID: "ENUM_SAME_JSON_FORMAT", Categories: []string{catCSR, catFile, catPackage, catWireJSON}, Purpose: "Checks that enums have the same JSON format support.", check: checkEnumSameJSONFormat},
	{ID: "ENUM_SAME_TYPE", Categories: []string{catFile, catPackage}, Purpose: "Checks that enums have the same type (open vs closed).", check: checkEnumSameType},
	{ID: "ENUM_VALUE_NO_DELETE", Categories: []string{catCSR, catFile, catPackage}, Purpose: "Checks that enum values are not deleted from a given enum.", check: checkEnumValueNoDelete},
	{ID: "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED", Categories: []string{catCSR, catWireJSON}, Purpose: "Checks that enum values are not deleted from a given enum unless the name is reserved.", check: checkEnumValueNoDeleteUnlessNameReserved},
	{ID: "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED", Categories: []string{catCSR, catWireJSON, catWire}, Purpose: "Checks that enum values are not deleted from a given enum unless the number is reserved.", check: checkEnumValueNoDeleteUnlessNumberReserved},
	{ID: "ENUM_VALUE_SAME_NAME", Categories: []string{catCSR, catFile, catPackage, catWireJSON}, Purpose: "Checks that enum values have the same name.", check: checkEnumValueSameName},
	{ID: "EXTENSION_MESSAGE_NO_DELETE", Categories: []string{catCSR, catFile, catPackage}, Purpose: "Checks that extension ranges are not deleted from a given message.", check: checkExtensionMessageNoDelete},
	{ID: "EXTENSION_NO_DELETE", Categories: []string{catFile}, Purpose: "Checks that extensions are not deleted from a given file.", check: checkExtensionNoDelete},
	{ID: "FIELD_NO_DELETE", Categories: []string{catCSR, catFile, catPackage}, Purpose: "Checks that fields are not deleted from a given message.", check: checkFieldNoDelete},
	{ID: "FIELD_NO_DELETE_UNLESS_NAME_RESERVED", Categories: []string{catCSR, catWireJSON}, Purpose: "Checks that fields are not deleted from a given message unless the name is reserved.", check: checkFieldNoDeleteUnlessNameReserved},
	{ID: "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", Categories: []string{catCSR, catWireJSON, catWire}, Purpose: "Checks that fields are not deleted from a given message unless the number is reserved.", check: checkFieldNoDeleteUnlessNumberReserved},
	{ID: "FIELD_SAME_CARDINALITY", Categories: []string{catFile, catPackage}, Purpose: "Checks that fields have the same cardinalities in a given message.", check: checkFieldSameCardinality},
	{ID: "FIELD_SAME_CPP_STRING_TYPE", Categories: []string{catFile, catPackage}, Purpose: "Checks that fields have the same C++ string type, based on ctype field option or (pb.cpp).string_type feature.", check: checkFieldSameCppStringType},
	{ID: "FIELD_SAME_DEFAULT", Categories: []string{catCSR, catFile, catPackage, catWireJSON, catWire}, Purpose: "Checks that fields have the same default value, if a default is specified.", check: checkFieldSameDefault},
	{ID: "FIELD_SAME_JAVA_UTF8_VALIDATION", Categories: []string{catFile, catPackage}, Purpose: "Checks that fields have the same Java string UTF8 validation, based on java_string_check_utf8 file option or (pb.java).utf8_validation feature.", check: checkFieldSameJavaUtf8Validation},
	{ID: "FIELD_SAME_JSON_NAME", Categories: []string{catCSR, catFile, catPackage, catWireJSON}, Purpose: "Checks that fields have the same value for the json_name option.", check: checkFieldSameJSONName},
	{ID: "FIELD_SAME_JSTYPE", Categories: []string{catFile, catPackage}, Purpose: "Checks that fields have the same value for the jstype option.", check: checkFieldSameJstype},
	{ID: "FIELD_SAME_NAME", Categories: []string{catCSR, catFile, catPackage, catWireJSON}, Purpose: "Checks that fields have the same names in a given message.", check: checkFieldSameName},
	{ID: "FIELD_SAME_ONEOF", Categories: []string{catCSR, catFile, catPackage, catWireJSON, catWire}, Purpose: "Checks that fields have the same oneofs in a given message.", check: checkFieldSameOneof},
	{ID: "FIELD_SAME_TYPE", Categories: []string{catCSR, catFile, catPackage}, Purpose: "Checks that fields have the same types in a given message.", check: checkFieldSameType},
	{ID: "FIELD_SAME_UTF8_VALIDATION", Categories: []string{catFile, catPackage}, Purpose: "Checks that string fields have the same UTF8 validation mode.", check: checkFieldSameUtf8Validation},
	{ID: "FIELD_WIRE_COMPATIBLE_CARDINALITY", Categories: []string{catWire}, Purpose: "Checks that fields have wire-compatible cardinalities in a given message.", check: checkFieldWireCompatibleCardinality},
	{ID: "FIELD_WIRE_COMPATIBLE_TYPE", Categories: []string{catWire}, Purpose: "Checks that fields have wire-compatible types in a given message.", check: checkFieldWireCompatibleType},
	{ID: "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY", Categories: []string{catCSR, catWireJSON}, Purpose: "Checks that fields have wire and JSON compatible cardinalities in a given message.", check: checkFieldWireJSONCompatibleCardinality},
	{ID: "FIELD_WIRE_JSON_COMPATIBLE_TYPE", Categories: []string{catCSR, catWireJSON}, Purpose: "Checks that fields have wire and JSON compatible types in a given message.", check: checkFieldWireJSONCompatibleType},
	{ID: "FILE_NO_DELETE", Categories: []string{catCSR, catFile}, Purpose: "Checks that files are not deleted.", check: checkFileNoDelete},
	{ID: "FILE_SAME_CC_ENABLE_ARENAS", Categories: []string{catFile, catPackage}, Purpose: "Checks that files have the same value for the cc_enable_arenas option.", check: checkFileSameCcEnableArenas},
	{ID: "FILE_SAME_CC_GENERIC_SERVICES", Categories: []string{catFile, catPackage}, Purpose: "Checks that files have the same value for the cc_generic_services option.", check: checkFileSameCcGenericServices},
	{ID: "FILE_SAME_CSHARP_NAMESPACE", Categories: []string{catFile, catPackage}, Purpose: "Checks that files have the same value for the csharp_namespace option.", check: checkFileSameCsharpNamespace},
	{ID: "FILE_SAME_GO_PACKAGE", Categories: []string{catFile, catPackage}, Purpose: "Checks that files have the same value for the go_package option.", check: checkFileSameGoPackage},
	{ID: "FILE_SAME_JAVA_GENERIC_SERVICES", Categories: []string{catFile, catPackage}, Purpose: "Checks that files have the same value for the java_generic_services option.", check: checkFileSameJavaGenericServices},
	{ID: "FILE_SAME_JAVA_MULTIPLE_FILES", Categories: []string{catFile, catPackage}, Purpose: "Checks that files have the same value for the java_multiple_files option.", check: checkFileSameJavaMultipleFiles},
	{ID: "FILE_SAME_JAVA_OUTER_CLASSNAME", Categories: []string{catFile, catPackage}, Purpose: "Checks that files have the same value for the java_outer_classname option.", check: checkFileSameJavaOuterClassname},
	{ID: "FILE_SAME_JAVA_PACKAGE", Categories: []string{catFile, catPackage}, Purpose: "Checks that files have the same value for the java_package option.", check: checkFileSameJavaPackage},
	{ID: "FILE_SAME_OBJC_CLASS_PREFIX", Categories: []string{catFile, catPackage}, Purpose: "Checks that files have the same value for the objc_class_prefix option.", check: checkFileSameObjcClassPrefix},
	{ID: "FILE_SAME_OPTIMIZE_FOR", Categories: []string{catFile, catPackage}, Purpose: "Checks that files have the same value for the optimize_for option.", check: checkFileSameOptimizeFor},
	{ID: "FILE_SAME_PACKAGE", Categories: []string{catCSR, catFile, catPackage, catWireJSON, catWire}, Purpose: "Checks that files have the same package.", check: checkFileSamePackage},
	{ID: "FILE_SAME_PHP_CLASS_PREFIX", Categories: []string{catFile, catPackage}, Purpose: "Checks that files have the same value for the php_class_prefix option.", check: checkFileSamePhpClassPrefix},
	{ID: "FILE_SAME_PHP_METADATA_NAMESPACE", Categories: []string{catFile, catPackage}, Purpose: "Checks that files have the same value for the php_metadata_namespace option.", check: checkFileSamePhpMetadataNamespace},
	{ID: "FILE_SAME_PHP_NAMESPACE", Categories: []string{catFile, catPackage}, Purpose: "Checks that files have the same value for the php_namespace option.", check: checkFileSamePhpNamespace},
	{ID: "FILE_SAME_PY_GENERIC_SERVICES", Categories: []string{catFile, catPackage}, Purpose: "Checks that files have the same value for the py_generic_services option.", check: checkFileSamePyGenericServices},
	{ID: "FILE_SAME_RUBY_PACKAGE", Categories: []string{catFile, catPackage}, Purpose: "Checks that files have the same value for the ruby_package option.", check: checkFileSameRubyPackage},
	{ID: "FILE_SAME_SWIFT_PREFIX", Categories: []string{catFile, catPackage}, Purpose: "Checks that files have the same value for the swift_prefix option.", check: checkFileSameSwiftPrefix},
	{ID: "FILE_SAME_SYNTAX", Categories: []string{catCSR, catFile, catPackage}, Purpose: "Checks that files have the same syntax.", check: checkFileSameSyntax},
	{ID: "MESSAGE_NO_DELETE", Categories: []string{catCSR, catFile}, Purpose: "Checks that messages are not deleted from a given file.", check: checkMessageNoDelete},
	{ID: "MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR", Categories: []string{catCSR, catFile, catPackage}, Purpose: "Checks that messages do not change the no_standard_descriptor_accessor option from false or unset to true.", check: checkMessageNoRemoveStandardDescriptorAccessor},
	{ID: "MESSAGE_SAME_JSON_FORMAT", Categories: []string{catCSR, catFile, catPackage, catWireJSON}, Purpose: "Checks that messages have the same JSON format support.", check: checkMessageSameJSONFormat},
	{ID: "MESSAGE_SAME_REQUIRED_FIELDS", Categories: []string{catCSR, catFile, catPackage, catWireJSON, catWire}, Purpose: "Checks that messages have no added or deleted required fields.", check: checkMessageSameRequiredFields},
	{ID: "ONEOF_NO_DELETE", Categories: []string{catCSR, catFile, catPackage}, Purpose: "Checks that oneofs are not deleted from a given message.", check: checkOneofNoDelete},
	{ID: "PACKAGE_ENUM_NO_DELETE", Categories: []string{catPackage}, Purpose: "Checks that enums are not deleted from a given package.", check: checkPackageEnumNoDelete},
	{ID: "PACKAGE_EXTENSION_NO_DELETE", Categories: []string{catPackage}, Purpose: "Checks that extensions are not deleted from a given package.", check: checkPackageExtensionNoDelete},
	{ID: "PACKAGE_MESSAGE_NO_DELETE", Categories: []string{catPackage}, Purpose: "Checks that messages are not deleted from a given package.", check: checkPackageMessageNoDelete},
	{ID: "PACKAGE_NO_DELETE", Categories: []string{catPackage}, Purpose: "Checks that packages are not deleted.", check: checkPackageNoDelete},
	{ID: "PACKAGE_SERVICE_NO_DELETE", Categories: []string{catPackage}, Purpose: "Checks that services are not deleted from a given package.", check: checkPackageServiceNoDelete},
	{ID: "RESERVED_ENUM_NO_DELETE", Categories: []string{catCSR, catFile, catPackage, catWireJSON, catWire}, Purpose: "Checks that reserved ranges and names are not deleted from a given enum.", check: checkReservedEnumNoDelete},
	{ID: "RESERVED_MESSAGE_NO_DELETE", Categories: []string{catCSR, catFile, catPackage, catWireJSON, catWire}, Purpose: "Checks that reserved ranges and names are not deleted from a given message.", check: checkReservedMessageNoDelete},
	{ID: "RPC_NO_DELETE", Categories: []string{catFile, catPackage}, Purpose: "Checks that rpcs are not deleted from a given service.", check: checkRpcNoDelete},
	{ID: "RPC_SAME_CLIENT_STREAMING", Categories: []string{catCSR, catFile, catPackage, catWireJSON, catWire}, Purpose: "Checks that rpcs have the same client streaming value.", check: checkRpcSameClientStreaming},
	{ID: "RPC_SAME_IDEMPOTENCY_LEVEL", Categories: []string{catCSR, catFile, catPackage, catWireJSON, catWire}, Purpose: "Checks that rpcs have the same value for the idempotency_level option.", check: checkRpcSameIdempotencyLevel},
	{ID: "RPC_SAME_REQUEST_TYPE", Categories: []string{catCSR, catFile, catPackage, catWireJSON, catWire}, Purpose: "Checks that rpcs are have the same request type.", check: checkRpcSameRequestType},
	{ID: "RPC_SAME_RESPONSE_TYPE", Categories: []string{catCSR, catFile, catPackage, catWireJSON, catWire}, Purpose: "Checks that rpcs are have the same response type.", check: checkRpcSameResponseType},
	{ID: "RPC_SAME_SERVER_STREAMING", Categories: []string{catCSR, catFile, catPackage, catWireJSON, catWire}, Purpose: "Checks that rpcs have the same server streaming value.", check: checkRpcSameServerStreaming},
	{ID: "SERVICE_NO_DELETE", Categories: []string{catFile}, Purpose: "Checks that services are not deleted from a given file.", check: checkServiceNoDelete},
}

// deprecatedRules are buf v1 IDs that configs may still name.
var deprecatedRules = []Rule{
	{ID: "FIELD_SAME_CTYPE", Purpose: "Checks that fields have the same value for the ctype option.", Deprecated: true, ReplacedBy: []string{"FIELD_SAME_CPP_STRING_TYPE"}},
	{ID: "FIELD_SAME_LABEL", Purpose: "Checks that fields have the same labels in a given message.", Deprecated: true, ReplacedBy: []string{"FIELD_SAME_CARDINALITY", "FIELD_WIRE_COMPATIBLE_CARDINALITY", "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY"}},
	{ID: "FILE_SAME_JAVA_STRING_CHECK_UTF8", Purpose: "Checks that files have the same value for the java_string_check_utf8 option.", Deprecated: true, ReplacedBy: []string{"FIELD_SAME_JAVA_UTF8_VALIDATION"}},
	{ID: "FILE_SAME_PHP_GENERIC_SERVICES", Purpose: "Checks that files have the same value for the php_generic_services option.", Deprecated: true},
	{ID: "MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT", Purpose: "Checks that messages have the same value for the message_set_wire_format option.", Deprecated: true},
}

// Rules returns the rule table sorted by ID. The deprecated v1 IDs are not
// part of it; Deprecated lists them.
func Rules() []Rule {
	return slices.Clone(rules)
}

// DeprecatedRules returns the v1 rule IDs that are accepted in
// configuration and what replaces them.
func DeprecatedRules() []Rule {
	return slices.Clone(deprecatedRules)
}

var ruleByID = func() map[string]*Rule {
	m := make(map[string]*Rule, len(rules)+len(deprecatedRules))
	for i := range rules {
		m[rules[i].ID] = &rules[i]
	}
	for i := range deprecatedRules {
		m[deprecatedRules[i].ID] = &deprecatedRules[i]
	}
	return m
}()
