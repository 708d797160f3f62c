package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/protoctl/protoctl/compile"
)

var small = config{Files: 60, Dirs: 8, Seed: 7, GiantMB: 0.1}

// compileWorkspace compiles ws with the repo's compile package and returns
// the import paths of the workspace's files.
func compileWorkspace(t *testing.T, ws workspace) []string {
	t.Helper()
	fsys := fstest.MapFS{}
	for p, data := range ws {
		fsys[p] = &fstest.MapFile{Data: data}
	}
	img, err := compile.Compile(context.Background(), compile.Workspace{FS: fsys, Modules: []compile.Module{{Path: moduleDir}}}, compile.Options{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	var got []string
	for _, fd := range img.Files {
		if !strings.HasPrefix(fd.Path(), "google/protobuf/") {
			got = append(got, fd.Path())
		}
	}
	slices.Sort(got)
	return got
}

func protoPaths(ws workspace) []string {
	var out []string
	for _, p := range ws.paths() {
		if rest, ok := strings.CutPrefix(p, moduleDir+"/"); ok {
			out = append(out, rest)
		}
	}
	return out
}

func TestSynthesizeIsDeterministic(t *testing.T) {
	t.Parallel()
	a, err := synthesize(small)
	if err != nil {
		t.Fatal(err)
	}
	b, err := synthesize(small)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a.paths(), b.paths()); diff != "" {
		t.Fatalf("paths differ between two runs (-first +second):\n%s", diff)
	}
	for _, p := range a.paths() {
		if !bytes.Equal(a[p], b[p]) {
			t.Fatalf("%s differs between two runs with seed %d", p, small.Seed)
		}
	}
	other := small
	other.Seed++
	c, err := synthesize(other)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(a.paths(), c.paths()) {
		t.Errorf("seeds %d and %d gave the same file names", small.Seed, other.Seed)
	}
}

func TestSynthesizeCompiles(t *testing.T) {
	t.Parallel()
	ws, err := synthesize(small)
	if err != nil {
		t.Fatal(err)
	}
	got := compileWorkspace(t, ws)
	if diff := cmp.Diff(protoPaths(ws), got); diff != "" {
		t.Errorf("compiled files (-written +compiled):\n%s", diff)
	}
	if len(got) != small.Files {
		t.Errorf("%d files, want %d", len(got), small.Files)
	}
	dirs := map[string]bool{}
	for _, p := range got {
		dirs[filepath.Dir(p)] = true
	}
	if len(dirs) != small.Dirs {
		t.Errorf("%d directories, want %d", len(dirs), small.Dirs)
	}
	giant := ws[moduleDir+"/acme/compute/v1/compute.proto"]
	if want := int(small.GiantMB * (1 << 20)); len(giant) < want {
		t.Errorf("giant file has %d bytes, want at least %d", len(giant), want)
	}
	var services, marked int
	for _, p := range ws.paths() {
		if bytes.Contains(ws[p], []byte("\nservice ")) {
			services++
		}
		if bytes.Contains(ws[p], []byte(changeMarker)) {
			marked++
		}
	}
	if services == 0 || services > small.Files/2 {
		t.Errorf("%d files with a service, want about a quarter of %d", services, small.Files)
	}
	if marked != 1 {
		t.Errorf("%d files carry the -change-one marker, want 1", marked)
	}
}

func TestMutateCompilesAndIsDeterministic(t *testing.T) {
	t.Parallel()
	base, err := synthesize(small)
	if err != nil {
		t.Fatal(err)
	}
	var logs [2][]string
	var results [2]workspace
	for i := range 2 {
		ws := workspace{}
		for p, d := range base {
			ws[p] = slices.Clone(d)
		}
		if logs[i], err = mutate(ws, 3*len(mutations), 3); err != nil {
			t.Fatal(err)
		}
		results[i] = ws
	}
	if diff := cmp.Diff(logs[0], logs[1]); diff != "" {
		t.Fatalf("two runs with one seed differ (-first +second):\n%s", diff)
	}
	for _, m := range mutations {
		if !slices.ContainsFunc(logs[0], func(l string) bool { return strings.Contains(l, ": "+m.name+" ") }) {
			t.Errorf("no %s among the changes:\n%s", m.name, strings.Join(logs[0], "\n"))
		}
	}
	changed := 0
	for _, p := range base.paths() {
		if !bytes.Equal(base[p], results[0][p]) {
			changed++
		}
	}
	if changed == 0 {
		t.Fatal("mutate changed no file")
	}
	compileWorkspace(t, results[0])
}

func TestChangeOneEditsOneFile(t *testing.T) {
	t.Parallel()
	ws, err := synthesize(small)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := ws.write(dir); err != nil {
		t.Fatal(err)
	}
	var target string
	for range 2 {
		if target, err = changeOneFile(dir); err != nil {
			t.Fatal(err)
		}
	}
	after, err := readWorkspace(dir)
	if err != nil {
		t.Fatal(err)
	}
	var changed []string
	for _, p := range after.paths() {
		if !bytes.Equal(ws[p], after[p]) {
			changed = append(changed, p)
		}
	}
	rel, _ := filepath.Rel(dir, target)
	if diff := cmp.Diff([]string{filepath.ToSlash(rel)}, changed); diff != "" {
		t.Errorf("changed files (-want +got):\n%s", diff)
	}
	for _, field := range []string{"bench_change_1", "bench_change_2"} {
		if !bytes.Contains(after[filepath.ToSlash(rel)], []byte("string "+field+" = ")) {
			t.Errorf("%s has no field %s", rel, field)
		}
	}
	compileWorkspace(t, after)
}

func TestWriteRefusesExistingWorkspace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, moduleDir), 0o755); err != nil {
		t.Fatal(err)
	}
	err := workspace{"buf.yaml": []byte(bufYAML)}.write(dir)
	if err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Errorf("write into a workspace: got %v, want an 'already holds' error", err)
	}
}

func TestParseSource(t *testing.T) {
	t.Parallel()
	text := `syntax = "proto3";
package a.v1;
// Outer comment.
message Outer {
  // First.
  string name = 1;
  oneof pick {
    int64 id = 3;
    bytes raw = 4 [json_name = "rawBytes"];
  }
  reserved 2, 7 to 9;
}
enum Kind {
  KIND_UNSPECIFIED = 0;
}
`
	s, err := parseSource("a.proto", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Kind, Name string
		Number     int
		Owner      string
	}
	var gots []got
	for _, e := range s.elems {
		owner := e.block.name
		if e.kind == "field" {
			owner = e.owner().name
		}
		gots = append(gots, got{e.kind, e.name, e.number, owner})
	}
	want := []got{
		{"field", "name", 1, "Outer"},
		{"field", "id", 3, "Outer"},
		{"field", "raw", 4, "Outer"},
		{"reserved", "", 0, "Outer"},
		{"value", "KIND_UNSPECIFIED", 0, "Kind"},
	}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Errorf("elements (-want +got):\n%s", diff)
	}
	if n := s.maxNumber(s.blocks[0]); n != 9 {
		t.Errorf("maxNumber(Outer) = %d, want 9 (reserved 7 to 9)", n)
	}
	if first := s.elems[0].first; first != 4 {
		t.Errorf("comment of name starts on line index %d, want 4", first)
	}
	if _, err := parseSource("b.proto", []byte("message A {\n")); err == nil {
		t.Error("unclosed message: no error")
	}
}
