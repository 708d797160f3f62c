package bufconfig

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

func TestGoPackage(t *testing.T) {
	t.Parallel()
	const prefix = "version: v2\nplugins:\n  - local: x\n    out: gen\nmanaged:\n  enabled: true\n"
	type file struct {
		module, importPath, pkg string
		want                    string
		ok                      bool
	}
	tests := []struct {
		name    string
		managed string
		files   []file
	}{
		{
			name:    "managed mode off",
			managed: "version: v2\nplugins:\n  - local: x\n    out: gen\nmanaged:\n  override:\n    - file_option: go_package_prefix\n      value: example.com/gen\n",
			files:   []file{{"", "acme/v1/a.proto", "acme.v1", "", false}},
		},
		{
			name:    "no go_package override",
			managed: prefix + "  override:\n    - file_option: java_package_prefix\n      value: com.acme\n",
			files:   []file{{"", "acme/v1/a.proto", "acme.v1", "", false}},
		},
		{
			name:    "prefix and version suffix",
			managed: prefix + "  override:\n    - file_option: go_package_prefix\n      value: example.com/gen/\n",
			files: []file{
				{"", "acme/weather/v1/weather.proto", "acme.weather.v1", "example.com/gen/acme/weather/v1;weatherv1", true},
				{"", "acme/weather/weather.proto", "acme.weather", "example.com/gen/acme/weather", true},
				{"", "a.proto", "a", "example.com/gen", true},
				{"", "v1/a.proto", "v1", "example.com/gen/v1", true},
				{"", "x/a.proto", "acme.v1beta1", "example.com/gen/x;acmev1beta1", true},
				{"", "x/a.proto", "acme.v1p1alpha1", "example.com/gen/x;acmev1p1alpha1", true},
				{"", "x/a.proto", "acme.v2alpha", "example.com/gen/x;acmev2alpha", true},
				{"", "x/a.proto", "acme.v1test", "example.com/gen/x;acmev1test", true},
				{"", "x/a.proto", "acme.v1testfoo", "example.com/gen/x;acmev1testfoo", true},
				{"", "x/a.proto", "acme.v0", "example.com/gen/x", true},
				{"", "x/a.proto", "acme.v1alphabeta1", "example.com/gen/x", true},
				{"", "x/a.proto", "acme.version", "example.com/gen/x", true},
				{"", "x/a.proto", "acme.v1beta0", "example.com/gen/x", true},
				{"", "google/protobuf/timestamp.proto", "google.protobuf", "", false},
				{"", "google/protobuf/mine.proto", "google.protobuf", "example.com/gen/google/protobuf", true},
			},
		},
		{
			name: "later overrides win",
			managed: prefix + `  override:
    - file_option: go_package_prefix
      value: example.com/gen
    - file_option: go_package
      path: acme/special
      value: example.com/special;special
    - file_option: go_package_prefix
      path: acme/special/late.proto
      value: example.com/late
`,
			files: []file{
				{"", "acme/v1/a.proto", "acme.v1", "example.com/gen/acme/v1;acmev1", true},
				{"", "acme/special/a.proto", "acme.special", "example.com/special;special", true},
				{"", "acme/special/late.proto", "acme.special", "example.com/late/acme/special", true},
				{"", "acme/specialist/a.proto", "acme.specialist", "example.com/gen/acme/specialist", true},
			},
		},
		{
			name: "disable rules",
			managed: prefix + `  disable:
    - file_option: go_package
      path: third_party
    - file_option: go_package_prefix
      path: pinned
    - module: buf.build/acme/vendor
    - field_option: jstype
  override:
    - file_option: go_package_prefix
      value: example.com/gen
    - file_option: go_package
      path: pinned/b.proto
      value: example.com/pinned
`,
			files: []file{
				{"", "third_party/x/a.proto", "x", "", false},
				{"", "pinned/a.proto", "pinned", "", false},
				{"", "pinned/b.proto", "pinned", "example.com/pinned", true},
				{"buf.build/acme/vendor", "acme/a.proto", "acme", "", false},
				{"buf.build/acme/other", "acme/a.proto", "acme", "example.com/gen/acme", true},
				{"", "acme/a.proto", "acme", "example.com/gen/acme", true},
			},
		},
		{
			name:    "a disable rule naming only a field disables every file option, as in buf",
			managed: prefix + "  disable:\n    - field: acme.A.b\n  override:\n    - file_option: go_package_prefix\n      value: example.com/gen\n",
			files:   []file{{"", "acme/a.proto", "acme", "", false}},
		},
		{
			name:    "module-scoped override",
			managed: prefix + "  override:\n    - file_option: go_package_prefix\n      module: buf.build/acme/weather\n      value: example.com/weather\n",
			files: []file{
				{"buf.build/acme/weather", "acme/a.proto", "acme", "example.com/weather/acme", true},
				{"", "acme/a.proto", "acme", "", false},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, err := ParseBufGenYAML("buf.gen.yaml", []byte(tt.managed))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range tt.files {
				got, ok := g.Managed.GoPackageInModule(f.module, f.importPath, f.pkg)
				if got != f.want || ok != f.ok {
					t.Errorf("GoPackageInModule(%q, %q, %q) = %q, %v; want %q, %v", f.module, f.importPath, f.pkg, got, ok, f.want, f.ok)
				}
				if f.module == "" {
					got2, ok2 := g.Managed.GoPackage(f.importPath, f.pkg)
					if got2 != got || ok2 != ok {
						t.Errorf("GoPackage(%q, %q) = %q, %v; want it equal to GoPackageInModule with no module", f.importPath, f.pkg, got2, ok2)
					}
				}
			}
		})
	}
}

func TestFileOptionNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fn   func(string) string
		in   string
		want string
	}{
		{"pascal snake", pascalCase, "foo_bar", "FooBar"},
		{"pascal dots and dashes", pascalCase, "a.b-c d", "ABCD"},
		{"pascal keeps upper", pascalCase, "fooBAR", "FooBAR"},
		{"pascal digits", pascalCase, "v1beta1", "V1beta1"},
		{"pascal leading delimiter", pascalCase, "_x", "X"},
		{"outer classname", javaOuterClassname, "acme/v1/weather_service.proto", "WeatherServiceProto"},
		{"outer classname dashes", javaOuterClassname, "no-package.proto", "NoPackageProto"},
		{"objc initials", objcClassPrefix, "acme.weather.v1", "AWX"},
		{"objc three", objcClassPrefix, "acme.weather.api.v1", "AWA"},
		{"objc unversioned", objcClassPrefix, "acme.weather", "AWX"},
		{"objc long", objcClassPrefix, "a.b.c.d", "ABCD"},
		{"objc single version component", objcClassPrefix, "v1", "VXX"},
		{"objc reserved GPB", objcClassPrefix, "go.pb.box", "GPX"},
		{"objc reserved GPB versioned", objcClassPrefix, "go.pb.box.v2", "GPX"},
		{"objc no package", objcClassPrefix, "", ""},
		{"csharp", func(p string) string { return packageIn(p, ".", false) }, "acme.weather_service.v1", "Acme.WeatherService.V1"},
		{"ruby", func(p string) string { return packageIn(p, "::", false) }, "acme.weather.v1", "Acme::Weather::V1"},
		{"php reserved", func(p string) string { return packageIn(p, `\`, true) }, "php.class.list.v1", `Php\Class_\List_\V1`},
		{"php reserved any case", func(p string) string { return packageIn(p, `\`, true) }, "acme.Empty", `Acme\Empty_`},
		{"no package", func(p string) string { return packageIn(p, ".", false) }, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.fn(tt.in); got != tt.want {
				t.Errorf("%s(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
			}
		})
	}
}

func TestFileOptions(t *testing.T) {
	t.Parallel()
	const head = "version: v2\nplugins:\n  - local: x\n    out: gen\nmanaged:\n  enabled: true\n"
	type file struct{ module, importPath, pkg string }
	tests := []struct {
		name    string
		managed string
		file    file
		want    map[string]any // option name -> value
	}{
		{
			name:    "defaults",
			managed: head,
			file:    file{"", "acme/weather/v1/weather.proto", "acme.weather.v1"},
			want: map[string]any{
				"java_package": "com.acme.weather.v1", "java_outer_classname": "WeatherProto",
				"optimize_for": int32(1), "java_multiple_files": true, "java_string_check_utf8": false,
				"cc_enable_arenas": true, "objc_class_prefix": "AWX", "csharp_namespace": "Acme.Weather.V1",
				"php_namespace": `Acme\Weather\V1`, "php_metadata_namespace": `Acme\Weather\V1\GPBMetadata`,
				"ruby_package": "Acme::Weather::V1",
			},
		},
		{
			name:    "no package: only the options that do not need one",
			managed: head,
			file:    file{"", "a/b_c.proto", ""},
			want: map[string]any{
				"java_outer_classname": "BCProto", "optimize_for": int32(1), "java_multiple_files": true,
				"java_string_check_utf8": false, "cc_enable_arenas": true,
			},
		},
		{
			name:    "managed mode off",
			managed: "version: v2\nplugins:\n  - local: x\n    out: gen\n",
			file:    file{"", "a/a.proto", "a"},
			want:    map[string]any{},
		},
		{
			name:    "well-known type",
			managed: head,
			file:    file{"", "google/protobuf/any.proto", "google.protobuf"},
			want:    map[string]any{},
		},
		{
			name:    "disable everything for a path",
			managed: head + "  disable:\n    - path: a\n",
			file:    file{"", "a/a.proto", "a"},
			want:    map[string]any{},
		},
		{
			name: "prefixes, suffixes and values",
			managed: head + `  override:
    - file_option: java_package_suffix
      value: api
    - file_option: java_package_prefix
      value: net.acme
    - file_option: csharp_namespace_prefix
      value: Acme.Api
    - file_option: ruby_package_suffix
      value: Proto
    - file_option: php_metadata_namespace_suffix
      value: Meta
    - file_option: go_package_prefix
      value: example.com/gen
    - file_option: swift_prefix
      value: Sw
    - file_option: objc_class_prefix
      value: ACM
    - file_option: optimize_for
      value: LITE_RUNTIME
    - file_option: cc_enable_arenas
      value: false
`,
			file: file{"", "acme/v1/a.proto", "acme.v1"},
			want: map[string]any{
				"java_package": "net.acme.acme.v1.api", "java_outer_classname": "AProto",
				"optimize_for": int32(3), "java_multiple_files": true, "java_string_check_utf8": false,
				"go_package": "example.com/gen/acme/v1;acmev1", "cc_enable_arenas": false,
				"objc_class_prefix": "ACM", "csharp_namespace": "Acme.Api.Acme.V1", "swift_prefix": "Sw",
				"php_namespace": `Acme\V1`, "php_metadata_namespace": `Acme\V1\Meta`, "ruby_package": "Acme::V1::Proto",
			},
		},
		{
			name: "a value override then a prefix override keeps deriving; disabled prefix and suffix options are ignored",
			managed: head + `  disable:
    - file_option: java_package_prefix
    - file_option: ruby_package_suffix
    - file_option: java_outer_classname
      module: buf.build/acme/x
  override:
    - file_option: java_package
      value: org.x
    - file_option: java_package_suffix
      value: api
    - file_option: java_package_prefix
      value: ignored
    - file_option: ruby_package_suffix
      value: Ignored
    - file_option: csharp_namespace
      value: X
    - file_option: csharp_namespace_prefix
      value: P
`,
			file: file{"buf.build/acme/x", "x/x.proto", "x"},
			want: map[string]any{
				"java_package": "x.api", "optimize_for": int32(1), "java_multiple_files": true,
				"java_string_check_utf8": false, "cc_enable_arenas": true, "objc_class_prefix": "XXX",
				"csharp_namespace": "P.X", "php_namespace": "X", "php_metadata_namespace": `X\GPBMetadata`,
				"ruby_package": "X",
			},
		},
		{
			name:    "disabling java_package_prefix leaves java_package alone",
			managed: head + "  disable:\n    - file_option: java_package_prefix\n",
			file:    file{"", "x/x.proto", "x"},
			want: map[string]any{
				"java_outer_classname": "XProto", "optimize_for": int32(1), "java_multiple_files": true,
				"java_string_check_utf8": false, "cc_enable_arenas": true, "objc_class_prefix": "XXX",
				"csharp_namespace": "X", "php_namespace": "X", "php_metadata_namespace": `X\GPBMetadata`,
				"ruby_package": "X",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, err := ParseBufGenYAML("buf.gen.yaml", []byte(tt.managed))
			if err != nil {
				t.Fatal(err)
			}
			opts := g.Managed.FileOptions(tt.file.module, tt.file.importPath, tt.file.pkg)
			got := map[string]any{}
			for i, o := range opts {
				got[o.Name] = o.Value
				if i > 0 && opts[i-1].Number >= o.Number {
					t.Errorf("options not sorted by number: %v", opts)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FileOptions(%q, %q, %q) mismatch (-want +got):\n%s", tt.file.module, tt.file.importPath, tt.file.pkg, diff)
			}
			gp, ok := g.Managed.GoPackageInModule(tt.file.module, tt.file.importPath, tt.file.pkg)
			if want, has := got["go_package"]; ok != has || ok && gp != want {
				t.Errorf("GoPackageInModule = %q, %v; FileOptions says %v, %v", gp, ok, want, has)
			}
		})
	}
}

// TestManagedFileOptionsOracle runs the pinned buf on
// testdata/managed_defaults and compares the file options of every file
// buf sends to a plugin with what FileOptions says, after the checks a
// caller makes (an option equal to the file's value, or removed by its
// edition, is not set).
func TestManagedFileOptionsOracle(t *testing.T) {
	t.Parallel()
	buf := pinnedBuf(t)
	fixture := filepath.Join("testdata", "managed_defaults")
	dir, bin := scratch(t, fixture)
	// A plugin that supports editions 2023 and 2024, unlike the fake one.
	plugin := "#!/bin/sh\ncat > \"$PCTEST_REQ_DIR/req-$$.bin\"\nprintf '\\020\\003\\030\\350\\007\\040\\351\\007'\n"
	if err := os.WriteFile(filepath.Join(bin, "protoc-gen-pctest"), []byte(plugin), 0o755); err != nil {
		t.Fatal(err)
	}
	reqs := filepath.Join(filepath.Dir(dir), "requests")
	if err := os.Mkdir(reqs, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := runBuf(t, buf, dir, bin, []string{"PCTEST_REQ_DIR=" + reqs}, "generate"); err != nil {
		t.Fatalf("buf generate: %v\n%s", err, out)
	}
	fsys := os.DirFS(fixture)
	b, err := ReadBufYAML(fsys, "buf.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := ReadBufGenYAML(fsys, "buf.gen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(reqs)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(reqs, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var req pluginpb.CodeGeneratorRequest
		if err := proto.Unmarshal(data, &req); err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		for _, f := range req.GetProtoFile() {
			module, found := moduleOf(fsys, b, f.GetName())
			if !found {
				continue
			}
			want := &descriptorpb.FileOptions{}
			fields := want.ProtoReflect().Descriptor().Fields()
			for _, o := range g.Managed.FileOptions(module, f.GetName(), f.GetPackage()) {
				fd := fields.ByNumber(protoreflect.FieldNumber(o.Number))
				if fd == nil || string(fd.Name()) != o.Name {
					t.Fatalf("%s: option %s has number %d, which FileOptions names %v", f.GetName(), o.Name, o.Number, fd)
				}
				var v protoreflect.Value
				switch x := o.Value.(type) {
				case string:
					v = protoreflect.ValueOfString(x)
				case bool:
					v = protoreflect.ValueOfBool(x)
				case int32:
					v = protoreflect.ValueOfEnum(protoreflect.EnumNumber(x))
				}
				removed := o.Name == "java_multiple_files" && f.GetEdition() >= descriptorpb.Edition_EDITION_2024 ||
					o.Name == "cc_enable_arenas" && f.GetEdition() >= descriptorpb.Edition_EDITION_2026
				// The fixtures set no options, so the file's value is the default.
				if removed || v.Interface() == fd.Default().Interface() {
					continue
				}
				want.ProtoReflect().Set(fd, v)
			}
			got := f.GetOptions()
			if got == nil {
				got = &descriptorpb.FileOptions{}
			}
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("%s (module %q): options differ from buf's (-want +got):\n%s", f.GetName(), module, diff)
			}
			checked++
		}
	}
	if want := 14; checked != want {
		t.Errorf("checked %d files, want %d", checked, want)
	}
}

func TestJSType(t *testing.T) {
	t.Parallel()
	const head = "version: v2\nplugins:\n  - local: x\n    out: gen\nmanaged:\n  enabled: true\n"
	type field struct {
		name string
		want int32
		ok   bool
	}
	tests := []struct {
		name       string
		managed    string
		module     string
		importPath string
		none       bool // JSType returns nil
		fields     []field
	}{
		{name: "no jstype override", managed: head, importPath: "a/a.proto", none: true},
		{name: "managed mode off", managed: "version: v2\nplugins:\n  - local: x\n    out: gen\nmanaged:\n  override:\n    - field_option: jstype\n      value: JS_STRING\n", importPath: "a/a.proto", none: true},
		{name: "well-known type", managed: head + "  override:\n    - field_option: jstype\n      value: JS_STRING\n", importPath: "google/protobuf/duration.proto", none: true},
		{name: "override for another path", managed: head + "  override:\n    - field_option: jstype\n      path: b\n      value: JS_STRING\n", importPath: "a/a.proto", none: true},
		{
			name: "last matching override wins, field overrides and disables",
			managed: head + `  disable:
    - field_option: jstype
      field: a.A.off
  override:
    - field_option: jstype
      value: JS_STRING
    - field_option: jstype
      field: a.A.num
      value: JS_NUMBER
    - field_option: jstype
      field: a.A.normal
      value: JS_NORMAL
    - field_option: jstype
      module: buf.build/acme/other
      value: JS_NUMBER
`,
			importPath: "a/a.proto",
			fields:     []field{{"a.A.x", 1, true}, {"a.A.num", 2, true}, {"a.A.normal", 0, true}, {"a.A.off", 0, false}},
		},
		{name: "a disable rule without field turns jstype off for the file", managed: head + "  disable:\n    - field_option: jstype\n      path: a\n  override:\n    - field_option: jstype\n      value: JS_STRING\n", importPath: "a/a.proto", none: true},
		{name: "a disable rule without options too", managed: head + "  disable:\n    - module: buf.build/acme/x\n  override:\n    - field_option: jstype\n      value: JS_STRING\n", module: "buf.build/acme/x", importPath: "a/a.proto", none: true},
		{name: "a file option disable rule does not", managed: head + "  disable:\n    - file_option: java_package\n  override:\n    - field_option: jstype\n      value: JS_STRING\n", importPath: "a/a.proto", fields: []field{{"a.A.x", 1, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, err := ParseBufGenYAML("buf.gen.yaml", []byte(tt.managed))
			if err != nil {
				t.Fatal(err)
			}
			fn := g.Managed.JSType(tt.module, tt.importPath)
			if (fn == nil) != tt.none {
				t.Fatalf("JSType(%q, %q) == nil is %v, want %v", tt.module, tt.importPath, fn == nil, tt.none)
			}
			for _, f := range tt.fields {
				if got, ok := fn(f.name); got != f.want || ok != f.ok {
					t.Errorf("jstype of %s = %d, %v; want %d, %v", f.name, got, ok, f.want, f.ok)
				}
			}
		})
	}
}
