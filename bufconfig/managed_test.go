package bufconfig

import (
	"testing"
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
