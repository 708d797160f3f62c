package bufconfig

import (
	"fmt"
	"path"
	"strconv"
	"strings"

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
