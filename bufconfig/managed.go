package bufconfig

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Managed is buf.gen.yaml's managed mode: file and field options that buf
// sets on every file before generation, adjusted by disable and override
// rules.
type Managed struct {
	Enabled  bool
	Disable  []ManagedDisable
	Override []ManagedOverride
}

// ManagedDisable turns managed mode off for matching files, options or
// fields. Empty fields match everything.
type ManagedDisable struct {
	// Module is a module name (registry/owner/name).
	Module string
	// Path is a file or directory, relative to the module root (an import
	// path or a prefix of one).
	Path string
	// FileOption and FieldOption are lowercase option names.
	FileOption  string
	FieldOption string
	// Field is a fully qualified field name.
	Field string
	Pos   Pos
}

// ManagedOverride sets an option's value for matching files (or fields).
// Later overrides win.
type ManagedOverride struct {
	// FileOption or FieldOption names the option; exactly one is set.
	FileOption  string
	FieldOption string
	// Value is a string, or a bool for java_multiple_files,
	// java_string_check_utf8 and cc_enable_arenas; for optimize_for and
	// jstype it is the enum value's name.
	Value  any
	Module string
	Path   string
	Field  string
	Pos    Pos
}

var (
	managedKeys  = []string{"enabled", "disable", "override"}
	disableKeys  = []string{"file_option", "field_option", "module", "path", "field"}
	overrideKeys = []string{"file_option", "field_option", "module", "path", "field", "value"}

	// fileOptions maps the file options managed mode knows to the type of
	// their override value.
	fileOptions = map[string]string{
		"java_package": "string", "java_package_prefix": "string", "java_package_suffix": "string",
		"java_outer_classname": "string", "java_multiple_files": "bool", "java_string_check_utf8": "bool",
		"optimize_for": "optimize_for", "go_package": "string", "go_package_prefix": "string",
		"cc_enable_arenas": "bool", "objc_class_prefix": "string", "csharp_namespace": "string",
		"csharp_namespace_prefix": "string", "php_namespace": "string", "php_metadata_namespace": "string",
		"php_metadata_namespace_suffix": "string", "ruby_package": "string", "ruby_package_suffix": "string",
		"swift_prefix": "string",
	}
	fieldOptions = map[string]string{"jstype": "jstype"}
	enumValues   = map[string][]string{
		"optimize_for": {"SPEED", "CODE_SIZE", "LITE_RUNTIME"},
		"jstype":       {"JS_NORMAL", "JS_STRING", "JS_NUMBER"},
	}
)

func (d decoder) managed(n *yaml.Node) (Managed, error) {
	var m Managed
	f, err := d.mapping(n, "managed", "in managed", managedKeys)
	if err != nil {
		return m, err
	}
	if m.Enabled, err = d.boolean(f.get("enabled"), "managed.enabled"); err != nil {
		return m, err
	}
	err = d.list(f.get("disable"), "managed.disable", func(i int, e *yaml.Node) error {
		r, err := d.disableRule(e, fmt.Sprintf("managed.disable[%d]", i))
		m.Disable = append(m.Disable, r)
		return err
	})
	if err != nil {
		return m, err
	}
	err = d.list(f.get("override"), "managed.override", func(i int, e *yaml.Node) error {
		r, err := d.overrideRule(e, fmt.Sprintf("managed.override[%d]", i))
		m.Override = append(m.Override, r)
		return err
	})
	return m, err
}

// ruleTarget reads the keys disable and override rules share.
func (d decoder) ruleTarget(f fields, name string) (fileOpt, fieldOpt, module, p, field string, err error) {
	strs := []struct {
		key string
		dst *string
	}{{"file_option", &fileOpt}, {"field_option", &fieldOpt}, {"module", &module}, {"path", &p}, {"field", &field}}
	for _, s := range strs {
		if *s.dst, err = d.str(f.get(s.key), name+"."+s.key); err != nil {
			return
		}
	}
	fileOpt = strings.ToLower(strings.TrimSpace(fileOpt))
	fieldOpt = strings.ToLower(strings.TrimSpace(fieldOpt))
	if _, ok := fileOptions[fileOpt]; fileOpt != "" && !ok {
		err = d.errorf(f.get("file_option"), KindInvalid, "%s.file_option: unknown file option %q", name, fileOpt)
		return
	}
	if _, ok := fieldOptions[fieldOpt]; fieldOpt != "" && !ok {
		err = d.errorf(f.get("field_option"), KindInvalid, "%s.field_option: unknown field option %q", name, fieldOpt)
		return
	}
	if p != "" {
		if c, perr := cleanPath(p); perr != nil {
			err = d.errorf(f.get("path"), KindInvalid, "%s.path: %v", name, perr)
			return
		} else if c != p {
			err = d.errorf(f.get("path"), KindInvalid, "%s.path: path %q must be normalized (%q)", name, p, c)
			return
		}
	}
	if module != "" {
		if merr := checkFullName(module); merr != nil {
			err = d.errorf(f.get("module"), KindInvalid, "%s.module: %v", name, merr)
		}
	}
	return
}

func (d decoder) disableRule(n *yaml.Node, name string) (ManagedDisable, error) {
	r := ManagedDisable{Pos: Pos{File: d.file, Line: n.Line, Col: n.Column}}
	f, err := d.mapping(n, name, "in managed disable rule", disableKeys)
	if err != nil {
		return r, err
	}
	r.FileOption, r.FieldOption, r.Module, r.Path, r.Field, err = d.ruleTarget(f, name)
	if err != nil {
		return r, err
	}
	switch {
	case r == ManagedDisable{Pos: r.Pos}:
		return r, d.errorf(n, KindInvalid, "%s: empty disable rule; set at least one of %s", name, strings.Join(disableKeys, ", "))
	case r.Field != "" && r.FileOption != "":
		return r, d.errorf(f.key("field"), KindInvalid, "%s: field cannot be set with file_option", name)
	case r.FileOption != "" && r.FieldOption != "":
		return r, d.errorf(f.key("field_option"), KindInvalid, "%s: set file_option or field_option, not both", name)
	}
	return r, nil
}

func (d decoder) overrideRule(n *yaml.Node, name string) (ManagedOverride, error) {
	r := ManagedOverride{Pos: Pos{File: d.file, Line: n.Line, Col: n.Column}}
	f, err := d.mapping(n, name, "in managed override rule", overrideKeys)
	if err != nil {
		return r, err
	}
	r.FileOption, r.FieldOption, r.Module, r.Path, r.Field, err = d.ruleTarget(f, name)
	if err != nil {
		return r, err
	}
	switch {
	case r.FileOption == "" && r.FieldOption == "":
		return r, d.errorf(n, KindInvalid, "%s: set file_option or field_option", name)
	case r.FileOption != "" && r.FieldOption != "":
		return r, d.errorf(f.key("field_option"), KindInvalid, "%s: set file_option or field_option, not both", name)
	case !f.has("value"):
		return r, d.errorf(n, KindInvalid, "%s: value is required", name)
	case r.FileOption != "" && r.Field != "":
		return r, d.errorf(f.key("field"), KindInvalid, "%s: field cannot be set with file_option", name)
	}
	option, want := r.FileOption, fileOptions[r.FileOption]
	if r.FieldOption != "" {
		option, want = r.FieldOption, fieldOptions[r.FieldOption]
	}
	v := f.get("value")
	switch want {
	case "bool":
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
			return r, d.typeError(v, name+".value", "a boolean for "+option)
		}
		var b bool
		_ = v.Decode(&b)
		r.Value = b
	case "string":
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
			return r, d.typeError(v, name+".value", "a string for "+option)
		}
		r.Value = v.Value
	default:
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" || !contains(enumValues[want], v.Value) {
			return r, d.errorf(v, KindInvalid, "%s.value: %s must be one of %s", name, option, strings.Join(enumValues[want], ", "))
		}
		r.Value = v.Value
	}
	return r, nil
}

// GoPackage returns the go_package managed mode gives a file, with buf's
// rules: nothing when managed mode is off, for the well-known types, or when
// a disable rule covers go_package for the file; otherwise the last matching
// override wins: a go_package override is the value itself, a
// go_package_prefix override (unless go_package_prefix is disabled for the
// file) gives prefix + "/" + the file's directory, followed by
// ";" + the last two package components when the package ends in a version
// (acme.weather.v1 -> ";weatherv1"). ok is false when managed mode leaves
// the file's own option alone.
//
// importPath is the file's path relative to its module root and
// protoPackage its package. Rules that name a module never match: see
// GoPackageInModule.
func (m Managed) GoPackage(importPath, protoPackage string) (string, bool) {
	return m.GoPackageInModule("", importPath, protoPackage)
}

// GoPackageInModule is GoPackage for a file of the module with the given
// name (registry/owner/name, or "" for an unnamed module).
func (m Managed) GoPackageInModule(module, importPath, protoPackage string) (string, bool) {
	if !m.Enabled || isWellKnownType(importPath) || m.disabled(module, importPath, "go_package") {
		return "", false
	}
	ignorePrefix := m.disabled(module, importPath, "go_package_prefix")
	var value, prefix string
	for _, o := range m.Override {
		if !ruleMatches(o.Module, o.Path, module, importPath) {
			continue
		}
		switch o.FileOption {
		case "go_package":
			value, prefix = o.Value.(string), ""
		case "go_package_prefix":
			if !ignorePrefix {
				value, prefix = "", o.Value.(string)
			}
		}
	}
	switch {
	case value != "":
		return value, true
	case prefix != "":
		return goPackageForPrefix(prefix, importPath, protoPackage), true
	}
	return "", false
}

// disabled reports whether a disable rule turns the file option off for the
// file. As in buf, a rule without file_option and field_option disables
// every file option of the files it matches.
func (m Managed) disabled(module, importPath, fileOption string) bool {
	for _, r := range m.Disable {
		if r.FileOption != "" && r.FileOption != fileOption || r.FieldOption != "" {
			continue
		}
		if ruleMatches(r.Module, r.Path, module, importPath) {
			return true
		}
	}
	return false
}

func ruleMatches(ruleModule, rulePath, module, importPath string) bool {
	if rulePath != "" && !within(rulePath, importPath) {
		return false
	}
	return ruleModule == "" || ruleModule == module
}

func goPackageForPrefix(prefix, importPath, protoPackage string) string {
	p := path.Join(prefix, path.Dir(importPath))
	parts := strings.Split(protoPackage, ".")
	if len(parts) >= 2 && isVersionComponent(parts[len(parts)-1]) {
		p += ";" + parts[len(parts)-2] + parts[len(parts)-1]
	}
	return p
}

// isVersionComponent reports whether a package component is a version as
// buf defines it: v1, v2beta1, v1alpha, v1p1beta1, v1test, v1testfoo (major
// versions from 1).
func isVersionComponent(c string) bool {
	if len(c) < 2 || c[0] != 'v' {
		return false
	}
	v := c[1:]
	if major, _, ok := strings.Cut(v, "test"); ok {
		return isNumber(major)
	}
	alpha, beta := strings.Contains(v, "alpha"), strings.Contains(v, "beta")
	if alpha && beta {
		return false
	}
	if !alpha && !beta {
		return isNumber(v)
	}
	word := "alpha"
	if beta {
		word = "beta"
	}
	before, after, _ := strings.Cut(v, word)
	if after != "" && !isNumber(after) {
		return false
	}
	if major, patch, ok := strings.Cut(before, "p"); ok {
		return isNumber(major) && isNumber(patch)
	}
	return isNumber(before)
}

// isNumber reports whether s is a 32-bit integer of at least 1.
func isNumber(s string) bool {
	n, err := strconv.ParseInt(s, 10, 32)
	return err == nil && n >= 1
}

// wellKnownTypes are the files buf treats as well-known types, which managed
// mode never modifies.
var wellKnownTypes = map[string]bool{
	"any.proto": true, "api.proto": true, "c_sharp_features.proto": true, "compiler/plugin.proto": true,
	"cpp_features.proto": true, "cpp_file_options.proto": true, "cpp_options.proto": true,
	"descriptor.proto": true, "duration.proto": true, "empty.proto": true, "field_mask.proto": true,
	"go_features.proto": true, "java_features.proto": true, "json_enumvalue_options.proto": true,
	"json_options.proto": true, "source_context.proto": true, "struct.proto": true,
	"timestamp.proto": true, "type.proto": true, "wrappers.proto": true,
}

func isWellKnownType(importPath string) bool {
	rest, ok := strings.CutPrefix(importPath, "google/protobuf/")
	return ok && wellKnownTypes[rest]
}

// FileOption is one google.protobuf.FileOptions field that managed mode
// sets on a file.
type FileOption struct {
	// Name is the option's name in descriptor.proto (java_package).
	Name string
	// Number is its field number in google.protobuf.FileOptions.
	Number int32
	// Value is a string, a bool, or an int32 enum number (optimize_for).
	Value any
}

// stringOption describes a string file option managed mode computes from
// the file's path and package. An override of the option itself sets the
// value; an override of its prefix or suffix option (where it has one)
// replaces the default value with one derived from the package.
type stringOption struct {
	name           string
	number         int32
	prefix, suffix string // the prefix and suffix option names, or ""
	// init is what the option gets with no override: a value or a prefix.
	init func(importPath, pkg string) stringRule
	// derive computes the value from a prefix and suffix.
	derive func(importPath, pkg string, r stringRule) string
}

// stringRule is the state of a string option's override rules for a file:
// a value, or a prefix and suffix to derive one from.
type stringRule struct{ value, prefix, suffix string }

// flagOption is a bool or enum file option: managed mode sets it to def
// unless an override says otherwise.
type flagOption struct {
	name   string
	number int32
	def    any
}

var (
	stringOptions = []stringOption{
		{name: "java_package", number: 1, prefix: "java_package_prefix", suffix: "java_package_suffix",
			init: func(string, string) stringRule { return stringRule{prefix: "com"} },
			derive: func(_, pkg string, r stringRule) string {
				if pkg == "" {
					return ""
				}
				return joinNonEmpty(".", r.prefix, pkg, r.suffix)
			}},
		{name: "java_outer_classname", number: 8,
			init:   func(p, _ string) stringRule { return stringRule{value: javaOuterClassname(p)} },
			derive: func(p, _ string, _ stringRule) string { return javaOuterClassname(p) }},
		{name: "go_package", number: 11, prefix: "go_package_prefix",
			init: func(string, string) stringRule { return stringRule{} },
			derive: func(p, pkg string, r stringRule) string {
				if r.prefix == "" {
					return ""
				}
				return goPackageForPrefix(r.prefix, p, pkg)
			}},
		{name: "objc_class_prefix", number: 36,
			init:   func(_, pkg string) stringRule { return stringRule{value: objcClassPrefix(pkg)} },
			derive: func(_, pkg string, _ stringRule) string { return objcClassPrefix(pkg) }},
		{name: "csharp_namespace", number: 37, prefix: "csharp_namespace_prefix",
			init: func(_, pkg string) stringRule { return stringRule{value: packageIn(pkg, ".", false)} },
			derive: func(_, pkg string, r stringRule) string {
				if ns := packageIn(pkg, ".", false); ns != "" {
					return joinNonEmpty(".", r.prefix, ns)
				}
				return ""
			}},
		{name: "swift_prefix", number: 39,
			init:   func(string, string) stringRule { return stringRule{} },
			derive: func(_, _ string, r stringRule) string { return r.value }},
		{name: "php_namespace", number: 41,
			init:   func(_, pkg string) stringRule { return stringRule{value: packageIn(pkg, `\`, true)} },
			derive: func(_, pkg string, _ stringRule) string { return packageIn(pkg, `\`, true) }},
		{name: "php_metadata_namespace", number: 44, suffix: "php_metadata_namespace_suffix",
			init: func(_, pkg string) stringRule {
				if ns := packageIn(pkg, `\`, true); ns != "" {
					return stringRule{value: ns + `\GPBMetadata`}
				}
				return stringRule{}
			},
			derive: func(_, pkg string, r stringRule) string {
				if ns := packageIn(pkg, `\`, true); ns != "" {
					return joinNonEmpty(`\`, ns, r.suffix)
				}
				return ""
			}},
		{name: "ruby_package", number: 45, suffix: "ruby_package_suffix",
			init: func(_, pkg string) stringRule { return stringRule{value: packageIn(pkg, "::", false)} },
			derive: func(_, pkg string, r stringRule) string {
				if ns := packageIn(pkg, "::", false); ns != "" {
					return joinNonEmpty("::", ns, r.suffix)
				}
				return ""
			}},
	}
	flagOptions = []flagOption{
		{name: "optimize_for", number: 9, def: int32(1)}, // SPEED
		{name: "java_multiple_files", number: 10, def: true},
		{name: "java_string_check_utf8", number: 27, def: false},
		{name: "cc_enable_arenas", number: 31, def: true},
	}
	optimizeModes = map[string]int32{"SPEED": 1, "CODE_SIZE": 2, "LITE_RUNTIME": 3}
)

// FileOptions returns every file option managed mode sets on a file of the
// named module (registry/owner/name, or "" for an unnamed module), sorted
// by field number, with buf's rules:
//
//   - nothing when managed mode is off or for the well-known types;
//   - an option a disable rule covers for the file is left alone (a rule
//     with neither file_option nor field_option covers every option);
//   - the last matching override wins; an override of a prefix or suffix
//     option (java_package_prefix) derives the value from the package
//     unless that prefix or suffix option is disabled for the file;
//   - with no override: java_package "com." + package,
//     java_outer_classname the file name in PascalCase ("FooBarProto"),
//     objc_class_prefix the package's initials, csharp_namespace,
//     php_namespace (reserved words get "_"), php_metadata_namespace
//     (php_namespace + `\GPBMetadata`) and ruby_package the package in
//     PascalCase, java_multiple_files and cc_enable_arenas true,
//     java_string_check_utf8 false and optimize_for SPEED; go_package
//     and swift_prefix only by override. Options derived from the package
//     are not set on files without one.
//
// Bool and enum options are returned even when the value is the
// protobuf default: buf sets an option only where the file's value (or
// its default) differs, which the caller must check, as it must drop
// options the file's edition removed (java_multiple_files from edition
// 2024, cc_enable_arenas from edition 2026).
func (m Managed) FileOptions(module, importPath, protoPackage string) []FileOption {
	if !m.Enabled || isWellKnownType(importPath) {
		return nil
	}
	var out []FileOption
	for _, o := range stringOptions {
		if v := m.stringValue(o, module, importPath, protoPackage); v != "" {
			out = append(out, FileOption{Name: o.name, Number: o.number, Value: v})
		}
	}
	for _, o := range flagOptions {
		if m.disabled(module, importPath, o.name) {
			continue
		}
		v := o.def
		for _, r := range m.Override {
			if r.FileOption == o.name && ruleMatches(r.Module, r.Path, module, importPath) {
				v = r.Value
				if s, ok := v.(string); ok {
					v = optimizeModes[s]
				}
			}
		}
		out = append(out, FileOption{Name: o.name, Number: o.number, Value: v})
	}
	slices.SortFunc(out, func(a, b FileOption) int { return cmp.Compare(a.Number, b.Number) })
	return out
}

// stringValue applies a string option's disable and override rules to a
// file; "" leaves the file's option alone.
func (m Managed) stringValue(o stringOption, module, importPath, pkg string) string {
	if m.disabled(module, importPath, o.name) {
		return ""
	}
	r := o.init(importPath, pkg)
	ignorePrefix := o.prefix == "" || m.disabled(module, importPath, o.prefix)
	ignoreSuffix := o.suffix == "" || m.disabled(module, importPath, o.suffix)
	if ignorePrefix {
		r.prefix = ""
	}
	if ignoreSuffix {
		r.suffix = ""
	}
	for _, ov := range m.Override {
		if !ruleMatches(ov.Module, ov.Path, module, importPath) {
			continue
		}
		s, _ := ov.Value.(string)
		switch {
		case ov.FileOption == "":
		case ov.FileOption == o.name:
			r = stringRule{value: s}
		case ov.FileOption == o.prefix && !ignorePrefix:
			r = stringRule{prefix: s, suffix: r.suffix}
		case ov.FileOption == o.suffix && !ignoreSuffix:
			r = stringRule{prefix: r.prefix, suffix: s}
		}
	}
	if r.value != "" || r == (stringRule{}) {
		return r.value
	}
	return o.derive(importPath, pkg, r)
}

func joinNonEmpty(sep string, parts ...string) string {
	parts = slices.DeleteFunc(slices.Clone(parts), func(s string) bool { return s == "" })
	return strings.Join(parts, sep)
}

// pascalCase is buf's PascalCase: the delimiters . - _ and white space are
// dropped and the letter after one (and the first) is upper-cased; other
// letters are lower-cased unless they are upper-case already.
func pascalCase(s string) string {
	var b strings.Builder
	after := true
	for _, c := range strings.TrimSpace(s) {
		if strings.ContainsRune(".-_ \t\n\r", c) {
			after = true
			continue
		}
		if after || unicode.IsUpper(c) {
			b.WriteRune(unicode.ToUpper(c))
		} else {
			b.WriteRune(unicode.ToLower(c))
		}
		after = false
	}
	return b.String()
}

// javaOuterClassname is the file name in PascalCase, extension included:
// foo_bar.proto -> FooBarProto.
func javaOuterClassname(importPath string) string {
	return pascalCase(path.Base(importPath))
}

// packageIn writes a package with each component in PascalCase, joined by
// sep (csharp_namespace, php_namespace, ruby_package); php appends "_" to
// components that are reserved in PHP.
func packageIn(pkg, sep string, php bool) string {
	if pkg == "" {
		return ""
	}
	parts := strings.Split(pkg, ".")
	for i, p := range parts {
		parts[i] = pascalCase(p)
		if php && phpReserved[strings.ToLower(p)] {
			parts[i] += "_"
		}
	}
	return strings.Join(parts, sep)
}

// objcClassPrefix is the upper-cased first letter of each package
// component but a final version component, padded with X to three
// letters; GPB, which protobuf reserves, becomes GPX.
func objcClassPrefix(pkg string) string {
	if pkg == "" {
		return ""
	}
	parts := strings.Split(pkg, ".")
	if len(parts) >= 2 && isVersionComponent(parts[len(parts)-1]) {
		parts = parts[:len(parts)-1]
	}
	var prefix []rune
	for _, p := range parts {
		r, _ := utf8.DecodeRuneInString(p)
		prefix = append(prefix, unicode.ToUpper(r))
	}
	for len(prefix) < 3 {
		prefix = append(prefix, 'X')
	}
	if s := string(prefix); s != "GPB" {
		return s
	}
	return "GPX"
}

// phpReserved are the PHP keywords and reserved class names (lower case)
// that managed mode never uses as a php_namespace component
// (https://www.php.net/manual/en/reserved.php and the words protoc's PHP
// generator avoids).
var phpReserved = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`directory exception errorexception closure generator
		arithmeticerror assertionerror divisionbyzeroerror error throwable parseerror typeerror
		abstract and array as break callable case catch class clone const continue declare
		default die do echo else elseif empty enddeclare endfor endforeach endif endswitch
		endwhile eval exit extends final finally fn for foreach function global goto if
		implements include include_once instanceof insteadof interface isset list match
		namespace new or print private protected public require require_once return static
		switch throw trait try unset use var while xor yield int float bool string true false
		null void iterable`) {
		phpReserved[w] = true
	}
}

// jsTypes are the google.protobuf.FieldOptions.JSType enum numbers.
var jsTypes = map[string]int32{"JS_NORMAL": 0, "JS_STRING": 1, "JS_NUMBER": 2}

// JSType returns the jstype field option managed mode sets on the fields
// of a file, as a function from a field's full name (package.Message.field,
// or the extension's full name) to a google.protobuf.FieldOptions.JSType
// enum number, false to leave the field alone. It returns nil when managed
// mode changes no field of the file, with buf's rules: only jstype
// overrides that match the file apply, the last one naming the field (or
// naming no field) wins; a disable rule that matches the file and names
// jstype, or no option at all, turns it off for the whole file, or for the
// one field it names. The caller applies it only to 64-bit integer fields
// and leaves fields that already have the value.
func (m Managed) JSType(module, importPath string) func(field string) (int32, bool) {
	if !m.Enabled || isWellKnownType(importPath) {
		return nil
	}
	var overrides []ManagedOverride
	for _, o := range m.Override {
		if o.FieldOption == "jstype" && ruleMatches(o.Module, o.Path, module, importPath) {
			overrides = append(overrides, o)
		}
	}
	if len(overrides) == 0 {
		return nil
	}
	disabledFields := map[string]bool{}
	for _, d := range m.Disable {
		if d.FieldOption != "jstype" && (d.FieldOption != "" || d.FileOption != "") || !ruleMatches(d.Module, d.Path, module, importPath) {
			continue
		}
		if d.Field == "" {
			return nil
		}
		disabledFields[d.Field] = true
	}
	return func(field string) (int32, bool) {
		if disabledFields[field] {
			return 0, false
		}
		v, ok := int32(0), false
		for _, o := range overrides {
			if o.Field == "" || o.Field == field {
				s, _ := o.Value.(string)
				v, ok = jsTypes[s], true
			}
		}
		return v, ok
	}
}
