package bufconfig

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseBufGenYAMLErrors(t *testing.T) {
	t.Parallel()
	const head = "version: v2\nplugins:\n"
	tests := []struct {
		name string
		data string
		want *Error
	}{
		{"v1", "version: v1\nplugins:\n  - plugin: go\n    out: gen\n", &Error{Line: 1, Col: 10, Kind: KindVersion,
			Message: `version v1 is not supported: protoctl needs a v2 buf.gen.yaml; run "buf config migrate" to migrate it`}},
		{"no plugins", "version: v2\n", &Error{Line: 1, Col: 1, Kind: KindInvalid, Message: "plugins: at least one plugin is required"}},
		{"unknown top-level key", "version: v2\ntypes:\n  include: [a.B]\n", &Error{Line: 2, Col: 1, Kind: KindUnknownKey, Message: `unknown key "types" in buf.gen.yaml`}},
		{"unknown plugin key", head + "  - local: protoc-gen-go\n    out: gen\n    stratgy: all\n", &Error{Line: 5, Col: 5, Kind: KindUnknownKey,
			Message: `unknown key "stratgy" in plugin (did you mean "strategy"?)`}},
		{"plugins mapping", head + "  local: protoc-gen-go\n", &Error{Line: 3, Col: 3, Kind: KindType, Message: "plugins: expected a list, got a mapping"}},
		{"no plugin kind", head + "  - out: gen\n", &Error{Line: 3, Col: 5, Kind: KindInvalid, Message: "plugins[0]: set one of local, protoc_builtin or remote"}},
		{"two plugin kinds", head + "  - local: protoc-gen-go\n    protoc_builtin: cpp\n    out: gen\n", &Error{Line: 4, Col: 5, Kind: KindInvalid,
			Message: "plugins[0]: set only one of local, protoc_builtin or remote, not both local and protoc_builtin"}},
		{"missing out", head + "  - local: protoc-gen-go\n", &Error{Line: 3, Col: 5, Kind: KindInvalid, Message: "plugins[0]: out is required"}},
		{"out list", head + "  - local: protoc-gen-go\n    out: [a]\n", &Error{Line: 4, Col: 10, Kind: KindType, Message: "plugins[0].out: expected a string, got a list"}},
		{"unknown strategy", head + "  - local: protoc-gen-go\n    out: gen\n    strategy: each\n", &Error{Line: 5, Col: 15, Kind: KindInvalid,
			Message: `plugins[0].strategy: unknown strategy "each"; use "directory" or "all"`}},
		{"opt mapping", head + "  - local: protoc-gen-go\n    out: gen\n    opt: {a: b}\n", &Error{Line: 5, Col: 10, Kind: KindType,
			Message: "plugins[0].opt: expected a string or a list of strings, got a mapping"}},
		{"opt number", head + "  - local: protoc-gen-go\n    out: gen\n    opt: [a, 1]\n", &Error{Line: 5, Col: 14, Kind: KindType,
			Message: "plugins[0].opt[1]: expected a string, got an integer"}},
		{"local empty list", head + "  - local: []\n    out: gen\n", &Error{Line: 3, Col: 12, Kind: KindInvalid, Message: "plugins[0].local: the plugin command is empty"}},
		{"protoc_path on local", head + "  - local: protoc-gen-go\n    protoc_path: protoc\n    out: gen\n", &Error{Line: 4, Col: 5, Kind: KindInvalid,
			Message: "plugins[0]: protoc_path cannot be set for a local plugin"}},
		{"revision on builtin", head + "  - protoc_builtin: cpp\n    revision: 2\n    out: gen\n", &Error{Line: 4, Col: 5, Kind: KindInvalid,
			Message: "plugins[0]: revision cannot be set for a protoc_builtin plugin"}},
		{"strategy on remote", head + "  - remote: buf.build/protocolbuffers/go\n    strategy: all\n    out: gen\n", &Error{Line: 4, Col: 5, Kind: KindInvalid,
			Message: "plugins[0]: strategy cannot be set for a remote plugin"}},
		{"include_wkt without include_imports", head + "  - local: protoc-gen-go\n    out: gen\n    include_wkt: true\n", &Error{Line: 5, Col: 5, Kind: KindInvalid,
			Message: "plugins[0]: include_wkt requires include_imports"}},
		{"include_imports string", head + "  - local: protoc-gen-go\n    out: gen\n    include_imports: \"true\"\n", &Error{Line: 5, Col: 22, Kind: KindType,
			Message: "plugins[0].include_imports: expected a boolean, got a string"}},
		{"remote plugin", head + "  - local: protoc-gen-go\n    out: gen\n  - remote: buf.build/grpc/go:v1.5.1\n    out: gen\n", &Error{Line: 5, Col: 5, Kind: KindRemotePlugin,
			Message: `remote plugin "buf.build/grpc/go:v1.5.1" needs the Buf Schema Registry; protoctl runs offline: pin a local plugin instead`}},
		{"remote plugin after a later error", head + "  - remote: buf.build/grpc/go\n    out: gen\n  - local: x\n", &Error{Line: 5, Col: 5, Kind: KindInvalid,
			Message: "plugins[1]: out is required"}},
		{"managed unknown key", "version: v2\nmanaged:\n  enable: true\nplugins:\n  - local: x\n    out: gen\n", &Error{Line: 3, Col: 3, Kind: KindUnknownKey,
			Message: `unknown key "enable" in managed (did you mean "enabled"?)`}},
		{"managed unknown file option", "version: v2\nmanaged:\n  override:\n    - file_option: go_pkg\n      value: x\n", &Error{Line: 4, Col: 20, Kind: KindInvalid,
			Message: `managed.override[0].file_option: unknown file option "go_pkg"`}},
		{"managed override without value", "version: v2\nmanaged:\n  override:\n    - file_option: go_package_prefix\n", &Error{Line: 4, Col: 7, Kind: KindInvalid,
			Message: "managed.override[0]: value is required"}},
		{"managed override both options", "version: v2\nmanaged:\n  override:\n    - file_option: go_package\n      field_option: jstype\n      value: x\n", &Error{Line: 5, Col: 7, Kind: KindInvalid,
			Message: "managed.override[0]: set file_option or field_option, not both"}},
		{"managed override bool value", "version: v2\nmanaged:\n  override:\n    - file_option: cc_enable_arenas\n      value: \"yes\"\n", &Error{Line: 5, Col: 14, Kind: KindType,
			Message: "managed.override[0].value: expected a boolean for cc_enable_arenas, got a string"}},
		{"managed override string value", "version: v2\nmanaged:\n  override:\n    - file_option: go_package_prefix\n      value: 12\n", &Error{Line: 5, Col: 14, Kind: KindType,
			Message: "managed.override[0].value: expected a string for go_package_prefix, got an integer"}},
		{"managed override enum value", "version: v2\nmanaged:\n  override:\n    - file_option: optimize_for\n      value: FAST\n", &Error{Line: 5, Col: 14, Kind: KindInvalid,
			Message: "managed.override[0].value: optimize_for must be one of SPEED, CODE_SIZE, LITE_RUNTIME"}},
		{"managed override path not normalized", "version: v2\nmanaged:\n  override:\n    - file_option: go_package\n      path: ./acme/\n      value: x\n", &Error{Line: 5, Col: 13, Kind: KindInvalid,
			Message: `managed.override[0].path: path "./acme/" must be normalized ("acme")`}},
		{"managed override field with file option", "version: v2\nmanaged:\n  override:\n    - file_option: go_package\n      field: a.B.c\n      value: x\n", &Error{Line: 5, Col: 7, Kind: KindInvalid,
			Message: "managed.override[0]: field cannot be set with file_option"}},
		{"managed empty disable", "version: v2\nmanaged:\n  disable:\n    - {}\n", &Error{Line: 4, Col: 7, Kind: KindInvalid,
			Message: "managed.disable[0]: empty disable rule; set at least one of file_option, field_option, module, path, field"}},
		{"managed disable bad module", "version: v2\nmanaged:\n  disable:\n    - module: acme\n", &Error{Line: 4, Col: 15, Kind: KindInvalid,
			Message: `managed.disable[0].module: module name "acme" must be registry/owner/name`}},
		{"input without kind", head + "  - local: x\n    out: gen\ninputs:\n  - paths: [a]\n", &Error{Line: 6, Col: 5, Kind: KindInvalid,
			Message: "inputs[0]: set one of binary_image, directory, git_repo, json_image, module, proto_file, tarball, text_image, yaml_image, zip_archive"}},
		{"input option not allowed", head + "  - local: x\n    out: gen\ninputs:\n  - directory: proto\n    branch: main\n", &Error{Line: 7, Col: 5, Kind: KindInvalid,
			Message: "inputs[0]: branch cannot be set for a directory input"}},
		{"input commit and tag", head + "  - local: x\n    out: gen\ninputs:\n  - git_repo: https://x/y.git\n    commit: abc\n    tag: v1\n", &Error{Line: 8, Col: 5, Kind: KindInvalid,
			Message: "inputs[0]: set commit or tag, not both"}},
		{"input unknown key", head + "  - local: x\n    out: gen\ninputs:\n  - dir: proto\n", &Error{Line: 6, Col: 5, Kind: KindUnknownKey,
			Message: `unknown key "dir" in input`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseBufGenYAML("buf.gen.yaml", []byte(tt.data))
			tt.want.File = "buf.gen.yaml"
			checkError(t, tt.want, err)
		})
	}
}

func TestParseBufGenYAMLPlugins(t *testing.T) {
	t.Parallel()
	data := `version: v2
plugins:
  - local: protoc-gen-go
    out: gen/go
  - protoc_builtin: python
    protoc_path: [protoc, --experimental]
    out: gen/python
    strategy: all
    opt: pyi_out
  - local: [go, run, google.golang.org/grpc/cmd/protoc-gen-go-grpc]
    out: gen/go
    include_imports: yes
    include_wkt: true
    types: [acme.v1.Service]
`
	g, err := ParseBufGenYAML("buf.gen.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []Plugin{
		{Kind: PluginLocal, Local: []string{"protoc-gen-go"}, Out: "gen/go", Strategy: "directory", Pos: Pos{"buf.gen.yaml", 3, 5}},
		{Kind: PluginProtocBuiltin, ProtocBuiltin: "python", ProtocPath: []string{"protoc", "--experimental"}, Out: "gen/python",
			Strategy: "all", Opt: []string{"pyi_out"}, Pos: Pos{"buf.gen.yaml", 5, 5}},
		{Kind: PluginLocal, Local: []string{"go", "run", "google.golang.org/grpc/cmd/protoc-gen-go-grpc"}, Out: "gen/go", Strategy: "directory",
			IncludeImports: true, IncludeWKT: true, Types: []string{"acme.v1.Service"}, Pos: Pos{"buf.gen.yaml", 10, 5}},
	}
	if diff := cmp.Diff(want, g.Plugins); diff != "" {
		t.Errorf("plugins (-want +got):\n%s", diff)
	}
	names := []string{g.Plugins[0].Name(), g.Plugins[1].Name(), g.Plugins[2].Name()}
	wantNames := []string{"protoc-gen-go", "protoc_builtin python", "go run google.golang.org/grpc/cmd/protoc-gen-go-grpc"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if got, want := g.Plugins[1].Pos.String(), "buf.gen.yaml:5:5"; got != want {
		t.Errorf("Pos.String() = %q, want %q", got, want)
	}
}
