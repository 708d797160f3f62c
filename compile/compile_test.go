package compile

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/proto"

	"github.com/protoctl/protoctl/diag"
)

func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, content := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(content)}
	}
	return fsys
}

var base = map[string]string{
	"proto/a/v1/a.proto": "syntax = \"proto3\";\npackage a.v1;\nimport \"b/v1/b.proto\";\nimport \"google/protobuf/timestamp.proto\";\n// A uses B.\nmessage A { b.v1.B b = 1; google.protobuf.Timestamp t = 2; }\n",
	"proto/b/v1/b.proto": "syntax = \"proto3\";\npackage b.v1;\nmessage B { string name = 1; }\n",
	"proto/c/v1/c.proto": "syntax = \"proto3\";\npackage c.v1;\nmessage C { int32 x = 1; }\n",
	"other/skip.proto":   "not a proto of the module",
}

func TestCompileReportsEveryErrorWithPlace(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"proto/a.proto": "syntax = \"proto3\";\npackage x;\nmessage A { int32 x = 1 }\n",
		"proto/b.proto": "syntax = \"proto3\";\npackage x;\nmessage B { Missing m = 1; }\n",
		"proto/c.proto": "syntax = \"proto3\";\npackage x;\nmessage C { int32 y = 1; int32 z = 1; }\n",
	}
	_, err := Compile(context.Background(), Workspace{FS: mapFS(files), Modules: []Module{{Path: "proto"}}}, Options{})
	set, ok := err.(diag.Set)
	if !ok {
		t.Fatalf("error %T %v is not a diag.Set", err, err)
	}
	want := diag.Set{
		{Path: "proto/a.proto", StartLine: 3, StartColumn: 25, Type: "COMPILE", Message: "syntax error: expecting ';'"},
		{Path: "proto/b.proto", StartLine: 3, StartColumn: 13, Type: "COMPILE", Message: "field x.B.m: unknown type Missing"},
		{Path: "proto/c.proto", StartLine: 3, StartColumn: 36, Type: "COMPILE", Message: "message x.C: fields y and z both have the same tag 1"},
	}
	if diff := cmp.Diff(want, set); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestSourcesModulesIncludesExcludes(t *testing.T) {
	t.Parallel()
	fsys := mapFS(map[string]string{
		"proto/a/x.proto":     "",
		"proto/b/y.proto":     "",
		"proto/b/gen/z.proto": "",
		"proto/readme.md":     "",
		"more/m.proto":        "",
	})
	tests := []struct {
		name string
		mods []Module
		want []Source
		err  string
	}{
		{name: "one module", mods: []Module{{Path: "more"}}, want: []Source{{ImportPath: "m.proto", LocalPath: "more/m.proto"}}},
		{name: "excludes", mods: []Module{{Path: "proto", Excludes: []string{"proto/b/gen"}}}, want: []Source{
			{ImportPath: "a/x.proto", LocalPath: "proto/a/x.proto"}, {ImportPath: "b/y.proto", LocalPath: "proto/b/y.proto"}}},
		{name: "includes", mods: []Module{{Path: "proto", Includes: []string{"proto/b"}}}, want: []Source{
			{ImportPath: "b/gen/z.proto", LocalPath: "proto/b/gen/z.proto"}, {ImportPath: "b/y.proto", LocalPath: "proto/b/y.proto"}}},
		{name: "missing module", mods: []Module{{Path: "nope"}}, err: `module "nope": file does not exist`},
		{name: "outside", mods: []Module{{Path: "../x"}}, err: `module path "../x" is outside the workspace`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Workspace{FS: fsys, Modules: tt.mods}.Sources()
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// encodedOf compiles without a cache: the reference the cache must match.
func encodedOf(t *testing.T, files map[string]string) *Encoded {
	t.Helper()
	enc, err := CompileEncoded(context.Background(), Workspace{FS: mapFS(files), Modules: []Module{{Path: "proto"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

var cmpEncoded = cmp.Options{cmpopts.IgnoreUnexported(EncodedFile{}), cmpopts.EquateEmpty()}

func TestCompileEncodedMatchesCompile(t *testing.T) {
	t.Parallel()
	img, err := Compile(context.Background(), Workspace{FS: mapFS(base), Modules: []Module{{Path: "proto"}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	enc := encodedOf(t, base)
	if len(enc.Files) != len(img.Protos) {
		t.Fatalf("%d encoded files, %d compiled", len(enc.Files), len(img.Protos))
	}
	for i, f := range enc.Files {
		want, err := proto.MarshalOptions{Deterministic: true}.Marshal(img.Protos[i])
		if err != nil {
			t.Fatal(err)
		}
		if f.Name != img.Protos[i].GetName() || string(f.Bytes) != string(want) {
			t.Errorf("file %d: %s differs from Compile's %s", i, f.Name, img.Protos[i].GetName())
		}
		if f.Target() != img.IsTarget(f.Name) {
			t.Errorf("%s: target %v, want %v", f.Name, f.Target(), img.IsTarget(f.Name))
		}
	}
}

// TestCompileEncodedCacheIsInvisible edits the workspace step by step and
// checks that a cached compile always equals a cold one.
func TestCompileEncodedCacheIsInvisible(t *testing.T) {
	t.Parallel()
	cache := &Cache{Dir: t.TempDir()}
	files := map[string]string{}
	for k, v := range base {
		files[k] = v
	}
	steps := []struct {
		name string
		edit func()
		err  string
	}{
		{name: "cold", edit: func() {}},
		{name: "no change", edit: func() {}},
		{name: "leaf changed", edit: func() {
			files["proto/b/v1/b.proto"] = "syntax = \"proto3\";\npackage b.v1;\nmessage B { string name = 1; int64 id = 2; }\n"
		}},
		{name: "unrelated file added", edit: func() {
			files["proto/d/v1/d.proto"] = "syntax = \"proto3\";\npackage d.v1;\nimport \"c/v1/c.proto\";\nmessage D { c.v1.C c = 1; }\n"
		}},
		{name: "conflict with a file it does not import", edit: func() {
			files["proto/d/v1/d.proto"] = "syntax = \"proto3\";\npackage b.v1;\nmessage B { }\n"
		}, err: `symbol "b.v1.B" already defined`},
		{name: "conflict fixed", edit: func() { delete(files, "proto/d/v1/d.proto") }},
		{name: "import removed breaks a file", edit: func() { delete(files, "proto/b/v1/b.proto") }, err: `proto/a/v1/a.proto:3:8:could not resolve path "b/v1/b.proto"`},
	}
	for _, s := range steps {
		s.edit()
		got, err := CompileEncoded(context.Background(), Workspace{FS: mapFS(files), Modules: []Module{{Path: "proto"}}}, cache)
		if s.err != "" {
			if err == nil || !strings.Contains(err.Error(), s.err) {
				t.Fatalf("%s: error = %v, want %q", s.name, err, s.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff(encodedOf(t, files), got, cmpEncoded); diff != "" {
			t.Fatalf("%s: cached compile differs from a cold one (-cold +cached):\n%s", s.name, diff)
		}
	}
}

// TestCompileEncodedIgnoresDamagedEntries flips bytes in every cache entry:
// the next compile must notice and give the cold result.
func TestCompileEncodedIgnoresDamagedEntries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cache := &Cache{Dir: dir}
	ws := Workspace{FS: mapFS(base), Modules: []Module{{Path: "proto"}}}
	if _, err := CompileEncoded(context.Background(), ws, cache); err != nil {
		t.Fatal(err)
	}
	entries, _ := filepath.Glob(filepath.Join(dir, "files", "*", "*"))
	if len(entries) != 3 {
		t.Fatalf("%d cache entries, want 3", len(entries))
	}
	for _, e := range entries {
		data, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		data[len(data)-3] ^= 0xff
		if err := os.WriteFile(e, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := CompileEncoded(context.Background(), ws, cache)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(encodedOf(t, base), got, cmpEncoded); diff != "" {
		t.Fatalf("damaged cache leaked into the result (-cold +cached):\n%s", diff)
	}
}

func TestCompileEncodedSubsetThenAll(t *testing.T) {
	t.Parallel()
	cache := &Cache{Dir: t.TempDir()}
	ws := Workspace{FS: mapFS(base), Modules: []Module{{Path: "proto"}}, Files: []string{"proto/a/v1/a.proto"}}
	head, err := CompileEncoded(context.Background(), ws, cache)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range head.Files {
		got[f.Name] = f.Target()
	}
	want := map[string]bool{"a/v1/a.proto": true, "b/v1/b.proto": false, "google/protobuf/timestamp.proto": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("head files and targets (-want +got):\n%s", diff)
	}
	ws.Files = nil
	all, err := CompileEncoded(context.Background(), ws, cache)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(encodedOf(t, base), all, cmpEncoded); diff != "" {
		t.Fatalf("after a head compile, the full compile differs from a cold one (-cold +cached):\n%s", diff)
	}
}
