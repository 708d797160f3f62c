package bufconfig

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkError asserts err is exactly want.
func checkError(t *testing.T, want *Error, err error) {
	t.Helper()
	var got *Error
	if !errors.As(err, &got) {
		t.Fatalf("got error %v (%T), want *Error %v", err, err, want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("error mismatch (-want +got):\n%s\ngot: %v", diff, got)
	}
}

func TestParseBufYAMLErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want *Error
	}{
		{"empty", "", &Error{Kind: KindVersion, Message: `version is not set; add "version: v2"`}},
		{"no version", "name: buf.build/a/b\n", &Error{Line: 1, Col: 1, Kind: KindVersion, Message: `version is not set; add "version: v2"`}},
		{"v1", "version: v1\nbuild:\n  roots: [proto]\n", &Error{Line: 1, Col: 10, Kind: KindVersion,
			Message: `version v1 is not supported: protoctl needs a v2 buf.yaml; run "buf config migrate" to migrate it`}},
		{"v1beta1", "version: v1beta1\n", &Error{Line: 1, Col: 10, Kind: KindVersion,
			Message: `version v1beta1 is not supported: protoctl needs a v2 buf.yaml; run "buf config migrate" to migrate it`}},
		{"v3", "version: v3\n", &Error{Line: 1, Col: 10, Kind: KindVersion, Message: `unknown version "v3", expected "v2"`}},
		{"version list", "version: [v2]\n", &Error{Line: 1, Col: 10, Kind: KindType, Message: "version: expected a string, got a list"}},
		{"top level list", "- version: v2\n", &Error{Line: 1, Col: 1, Kind: KindType, Message: "expected a mapping at the top level, got a list"}},
		{"syntax with line", "version: v2\nmodules:\n\t- path: proto\n", &Error{Line: 3, Col: 1, Kind: KindSyntax, Message: "yaml: found character that cannot start any token"}},
		{"syntax without line", "version: v2\nmodules: a: b\n", &Error{Line: 2, Col: 11, Kind: KindSyntax, Message: "yaml: mapping values are not allowed in this context"}},
		{"unknown key with suggestion", "version: v2\nmodles:\n  - path: proto\n", &Error{Line: 2, Col: 1, Kind: KindUnknownKey, Message: `unknown key "modles" in buf.yaml (did you mean "modules"?)`}},
		{"unknown key", "version: v2\nbuild:\n  roots: [proto]\n", &Error{Line: 2, Col: 1, Kind: KindUnknownKey, Message: `unknown key "build" in buf.yaml`}},
		{"duplicate key", "version: v2\nname: buf.build/a/b\nname: buf.build/a/c\n", &Error{Line: 3, Col: 1, Kind: KindInvalid, Message: `duplicate key "name" in buf.yaml`}},
		{"local tag", "version: v2\nname: !env NAME\n", &Error{Line: 2, Col: 7, Kind: KindSyntax, Message: `yaml: local tag "!env" is not supported`}},
		{"modules string", "version: v2\nmodules:\n  proto\n", &Error{Line: 3, Col: 3, Kind: KindType, Message: "modules: expected a list, got a string"}},
		{"module string", "version: v2\nmodules:\n  - proto\n", &Error{Line: 3, Col: 5, Kind: KindType, Message: "modules[0]: expected a mapping, got a string"}},
		{"module unknown key", "version: v2\nmodules:\n  - path: proto\n    exclude: [proto/x]\n", &Error{Line: 4, Col: 5, Kind: KindUnknownKey, Message: `unknown key "exclude" in module (did you mean "excludes"?)`}},
		{"module path absolute", "version: v2\nmodules:\n  - path: /proto\n", &Error{Line: 3, Col: 11, Kind: KindInvalid, Message: `modules[0].path: path "/proto" must be relative`}},
		{"module path outside", "version: v2\nmodules:\n  - path: proto/../../x\n", &Error{Line: 3, Col: 11, Kind: KindInvalid, Message: `modules[0].path: path "proto/../../x" is outside the workspace`}},
		{"module path twice", "version: v2\nmodules:\n  - path: proto\n  - path: ./proto/\n", &Error{Line: 4, Col: 11, Kind: KindInvalid, Message: `module path "proto" is already used by the module at buf.yaml:3:5`}},
		{"module nested", "version: v2\nmodules:\n  - path: proto/sub\n  - path: proto\n", &Error{Line: 3, Col: 11, Kind: KindInvalid,
			Message: `module "proto/sub" is inside module "proto" at buf.yaml:4:5, which does not exclude it; add "proto/sub" to that module's excludes`}},
		{"module nested in root", "version: v2\nmodules:\n  - path: .\n  - path: vendor\n", &Error{Line: 4, Col: 11, Kind: KindInvalid,
			Message: `module "vendor" is inside module "." at buf.yaml:3:5, which does not exclude it; add "vendor" to that module's excludes`}},
		{"module name invalid", "version: v2\nmodules:\n  - path: proto\n    name: acme/weather\n", &Error{Line: 4, Col: 11, Kind: KindInvalid, Message: `modules[0].name: module name "acme/weather" must be registry/owner/name`}},
		{"module name twice", "version: v2\nmodules:\n  - path: a\n    name: buf.build/acme/x\n  - path: b\n    name: buf.build/acme/x\n", &Error{Line: 6, Col: 11, Kind: KindInvalid, Message: `module name "buf.build/acme/x" is already used by the module at buf.yaml:3:5`}},
		{"top-level name with modules", "version: v2\nname: buf.build/acme/x\nmodules:\n  - path: proto\n", &Error{Line: 2, Col: 1, Kind: KindInvalid, Message: "name: a top-level name is only allowed without modules; set name on each module instead"}},
		{"exclude outside module", "version: v2\nmodules:\n  - path: proto\n    excludes:\n      - vendor\n", &Error{Line: 5, Col: 9, Kind: KindInvalid, Message: `modules[0].excludes: "vendor" is not inside module directory "proto"`}},
		{"exclude is module", "version: v2\nmodules:\n  - path: proto\n    excludes: [proto/]\n", &Error{Line: 4, Col: 16, Kind: KindInvalid, Message: `modules[0].excludes: "proto" is the module directory itself`}},
		{"exclude file", "version: v2\nmodules:\n  - path: proto\n    excludes: [proto/a.proto]\n", &Error{Line: 4, Col: 16, Kind: KindInvalid, Message: `modules[0].excludes: "proto/a.proto" is a file; list directories only`}},
		{"exclude nested", "version: v2\nmodules:\n  - path: proto\n    excludes: [proto/a, proto/a/b]\n", &Error{Line: 4, Col: 25, Kind: KindInvalid, Message: `modules[0].excludes: "proto/a/b" is inside "proto/a", which is already listed`}},
		{"exclude not in include", "version: v2\nmodules:\n  - path: proto\n    includes: [proto/a]\n    excludes: [proto/b]\n", &Error{Line: 5, Col: 16, Kind: KindInvalid, Message: `modules[0].excludes: "proto/b" is not inside any of the includes`}},
		{"exclude number list", "version: v2\nmodules:\n  - path: proto\n    excludes: [[a]]\n", &Error{Line: 4, Col: 16, Kind: KindType, Message: "modules[0].excludes[0]: expected a string, got a list"}},
		{"dep invalid", "version: v2\ndeps:\n  - googleapis\n", &Error{Line: 3, Col: 5, Kind: KindInvalid, Message: `deps[0]: dependency "googleapis" must be registry/owner/name or registry/owner/name:ref`}},
		{"dep twice", "version: v2\ndeps:\n  - buf.build/a/b\n  - buf.build/a/b:v1\n", &Error{Line: 4, Col: 5, Kind: KindInvalid, Message: `deps[1]: module "buf.build/a/b" is already a dependency at buf.yaml:3:5`}},
		{"breaking use string", "version: v2\nbreaking:\n  use: FILE\n", &Error{Line: 3, Col: 8, Kind: KindType, Message: "breaking.use: expected a list, got a string"}},
		{"breaking unknown key", "version: v2\nbreaking:\n  ignore_unstable_package: true\n", &Error{Line: 3, Col: 3, Kind: KindUnknownKey, Message: `unknown key "ignore_unstable_package" in breaking (did you mean "ignore_unstable_packages"?)`}},
		{"breaking bool", "version: v2\nbreaking:\n  ignore_unstable_packages: maybe\n", &Error{Line: 3, Col: 29, Kind: KindType, Message: "breaking.ignore_unstable_packages: expected a boolean, got a string"}},
		{"breaking ignore outside", "version: v2\nbreaking:\n  ignore: [../x]\n", &Error{Line: 3, Col: 12, Kind: KindInvalid, Message: `breaking.ignore: path "../x" is outside the workspace`}},
		{"breaking ignore nested", "version: v2\nbreaking:\n  ignore: [a, a/b.proto]\n", &Error{Line: 3, Col: 15, Kind: KindInvalid, Message: `breaking.ignore: path "a/b.proto" is inside "a", which is already listed`}},
		{"breaking ignore_only list", "version: v2\nbreaking:\n  ignore_only: [FILE]\n", &Error{Line: 3, Col: 16, Kind: KindType, Message: "breaking.ignore_only: expected a mapping, got a list"}},
		{"module breaking outside module", "version: v2\nmodules:\n  - path: proto\n    breaking:\n      ignore: [vendor/x.proto]\n", &Error{Line: 5, Col: 16, Kind: KindInvalid,
			Message: `modules[0].breaking.ignore: path "vendor/x.proto" is not inside module directory "proto"`}},
		{"module lint outside module", "version: v2\nmodules:\n  - path: proto\n    lint:\n      ignore_only:\n        ENUM_PASCAL_CASE: [vendor]\n", &Error{Line: 6, Col: 28, Kind: KindInvalid,
			Message: `modules[0].lint.ignore_only.ENUM_PASCAL_CASE: path "vendor" is not inside module directory "proto"`}},
		{"lint unknown key", "version: v2\nlint:\n  allow_comment_ignores: true\n", &Error{Line: 3, Col: 3, Kind: KindUnknownKey, Message: `unknown key "allow_comment_ignores" in lint`}},
		{"plugin without path", "version: v2\nplugins:\n  - options: {a: b}\n", &Error{Line: 3, Col: 5, Kind: KindInvalid, Message: "plugins[0]: plugin is required"}},
		{"plugin option null", "version: v2\nplugins:\n  - plugin: x\n    options:\n      a:\n", &Error{Line: 5, Col: 7, Kind: KindInvalid, Message: "plugins[0].options.a: value is required"}},
		{"policy without name", "version: v2\npolicies:\n  - ignore: [a]\n", &Error{Line: 3, Col: 5, Kind: KindInvalid, Message: "policies[0]: policy is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseBufYAML("buf.yaml", []byte(tt.data))
			tt.want.File = "buf.yaml"
			checkError(t, tt.want, err)
		})
	}
}

func TestParseBufYAMLModules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want []Module
	}{
		{
			name: "implicit module takes the top-level name and sections",
			data: "version: v2\nname: buf.build/acme/x\nbreaking:\n  use: [WIRE, WIRE]\n  except: [B, A]\n",
			want: []Module{{Path: ".", Name: "buf.build/acme/x", Pos: Pos{File: "buf.yaml"}, Breaking: Breaking{Use: []string{"WIRE"}, Except: []string{"A", "B"}}}},
		},
		{
			name: "empty modules list is the implicit module",
			data: "version: v2\nmodules: []\n",
			want: []Module{{Path: ".", Pos: Pos{File: "buf.yaml"}}},
		},
		{
			name: "top-level breaking keeps paths inside each module",
			data: "version: v2\nmodules:\n  - path: a\n  - path: b\nbreaking:\n  ignore: [a/x.proto, b/c]\n  ignore_only:\n    FIELD_NO_DELETE: [b/y.proto]\n",
			want: []Module{
				{Path: "a", Pos: Pos{"buf.yaml", 3, 5}, Breaking: Breaking{Ignore: []string{"a/x.proto"}}},
				{Path: "b", Pos: Pos{"buf.yaml", 4, 5}, Breaking: Breaking{Ignore: []string{"b/c"}, IgnoreOnly: map[string][]string{"FIELD_NO_DELETE": {"b/y.proto"}}}},
			},
		},
		{
			name: "module breaking overrides the top level",
			data: "version: v2\nmodules:\n  - path: a\n    breaking:\n      use: [WIRE]\n  - path: b\nbreaking:\n  use: [PACKAGE]\n  ignore_unstable_packages: true\n",
			want: []Module{
				{Path: "a", Pos: Pos{"buf.yaml", 3, 5}, Breaking: Breaking{Use: []string{"WIRE"}}},
				{Path: "b", Pos: Pos{"buf.yaml", 6, 5}, Breaking: Breaking{Use: []string{"PACKAGE"}, IgnoreUnstablePackages: true}},
			},
		},
		{
			name: "ignoring a module directory disables the module",
			data: "version: v2\nmodules:\n  - path: proto\n  - path: vendor\nbreaking:\n  use: [FILE]\n  ignore: [vendor]\n",
			want: []Module{
				{Path: "proto", Pos: Pos{"buf.yaml", 3, 5}, Breaking: Breaking{Use: []string{"FILE"}}},
				{Path: "vendor", Pos: Pos{"buf.yaml", 4, 5}, Breaking: Breaking{Disabled: true}},
			},
		},
		{
			name: "nested module excluded by the outer one",
			data: "version: v2\nmodules:\n  - path: proto\n    excludes: [proto/third_party]\n  - path: proto/third_party/x\n",
			want: []Module{
				{Path: "proto", Excludes: []string{"proto/third_party"}, Pos: Pos{"buf.yaml", 3, 5}},
				{Path: "proto/third_party/x", Pos: Pos{"buf.yaml", 5, 5}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := ParseBufYAML("buf.yaml", []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.Modules); diff != "" {
				t.Errorf("modules (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHasDeps(t *testing.T) {
	t.Parallel()
	b, err := ParseBufYAML("buf.yaml", []byte("version: v2\ndeps:\n  - buf.build/googleapis/googleapis\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Dep{{Ref: "buf.build/googleapis/googleapis", Pos: Pos{"buf.yaml", 3, 5}}}
	if diff := cmp.Diff(want, b.Deps); diff != "" || !b.HasDeps() {
		t.Errorf("deps (-want +got):\n%s\nHasDeps=%v", diff, b.HasDeps())
	}
	b, err = ParseBufYAML("buf.yaml", []byte("version: v2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if b.HasDeps() {
		t.Error("HasDeps() = true for a file without deps")
	}
}
