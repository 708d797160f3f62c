package codegen

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/protoctl/protoctl/compile"
)

func goPythonConfig() Config {
	return Config{
		Clean: true,
		Plugins: []Plugin{
			{Local: "protoc-gen-go", Out: "gen", Opt: []string{"paths=source_relative"}},
			{Local: "protoc-gen-go-grpc", Out: "gen", Opt: []string{"paths=source_relative"}},
			{Builtin: "python", Out: "py/pkg"},
			{Builtin: "pyi", Out: "py/pkg"},
			{Builtin: "grpc_python", Out: "py/pkg"},
		},
		Managed: func(imp, _, _ string) ManagedFile {
			return ManagedFile{Options: []FileOption{{Number: 11, Value: "example.com/gen/" + filepath.Dir(imp)}}}
		},
		PythonImportRoot:   "py",
		PythonRequirements: "py/requirements.txt",
	}
}

func generate(t *testing.T, cfg Config, tc *Toolchain, root string, opts Options) (*Result, error) {
	t.Helper()
	opts.Root = root
	if opts.Compile == nil {
		opts.Compile = compileFunc(root)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return Generate(ctx, cfg, tc, opts)
}

func mustGenerate(t *testing.T, cfg Config, tc *Toolchain, root string, opts Options) *Result {
	t.Helper()
	res, err := generate(t, cfg, tc, root, opts)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	return res
}

func TestGenerateRealPluginsDeterministic(t *testing.T) {
	t.Parallel()
	tc := newToolchain(t, repoLock(t))
	a, b := copyWorkspace(t), copyWorkspace(t)
	mustGenerate(t, goPythonConfig(), tc, a, Options{NoCache: true})
	mustGenerate(t, goPythonConfig(), newToolchain(t, repoLock(t)), b, Options{NoCache: true})
	sa, sb := snapshot(t, a), snapshot(t, b)
	contents := func(s map[string]fileState) map[string]string {
		out := map[string]string{}
		for k, v := range s {
			out[k] = v.Content
		}
		return out
	}
	if diff := cmp.Diff(contents(sa), contents(sb)); diff != "" {
		t.Fatalf("two runs differ (-a +b):\n%s", diff)
	}
	for _, want := range []string{
		"gen/acme/a/v1/a.pb.go", "gen/acme/a/v1/a_grpc.pb.go", "gen/acme/b/v1/b.pb.go",
		"py/pkg/acme/a/v1/a_pb2.py", "py/pkg/acme/a/v1/a_pb2.pyi", "py/pkg/acme/a/v1/a_pb2_grpc.py",
		"py/pkg/__init__.py", "py/pkg/acme/a/v1/__init__.py", "py/pkg/py.typed", "py/requirements.txt",
	} {
		if _, ok := sa[want]; !ok {
			t.Errorf("missing output %s", want)
		}
	}
	if got := sa["py/pkg/acme/a/v1/a_pb2.py"].Content; !strings.Contains(got, "from pkg.acme.b.v1 import b_pb2 as") ||
		!strings.Contains(got, "from google.protobuf import timestamp_pb2 as") {
		t.Errorf("a_pb2.py imports not rewritten under the prefix:\n%s", got)
	}
	if got := sa["py/requirements.txt"].Content; !strings.Contains(got, "protobuf>=") || !strings.Contains(got, "grpcio>=") {
		t.Errorf("requirements:\n%s", got)
	}
	if got := sa["gen/acme/a/v1/a.pb.go"].Content; !strings.Contains(got, `package v1`) && !strings.Contains(got, "package ") {
		t.Errorf("a.pb.go is not Go:\n%.200s", got)
	}
}

func TestGenerateNoChurnAndCache(t *testing.T) {
	t.Parallel()
	tc := newToolchain(t, repoLock(t))
	root := copyWorkspace(t)
	first := mustGenerate(t, goPythonConfig(), tc, root, Options{})
	if first.Cached != 0 || len(first.Added) == 0 {
		t.Fatalf("first run: %+v", first)
	}
	before := snapshot(t, root)
	time.Sleep(20 * time.Millisecond)
	// Same inputs, no fast path (no digest): every job comes from the
	// cache and no file is rewritten.
	second := mustGenerate(t, goPythonConfig(), tc, root, Options{})
	if second.Drift() || second.Cached != second.Jobs || second.Jobs == 0 {
		t.Fatalf("second run: %+v", second)
	}
	if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
		t.Fatalf("no-op run touched files (-before +after):\n%s", diff)
	}
	// With a digest: the second call with the same digest stops before
	// compiling.
	mustGenerate(t, goPythonConfig(), tc, root, Options{InputDigest: "d1"})
	third := mustGenerate(t, goPythonConfig(), tc, root, Options{InputDigest: "d1", Compile: func(context.Context) (*compile.Encoded, error) {
		t.Fatal("fast path compiled")
		return nil, nil
	}})
	if !third.UpToDate {
		t.Fatalf("third run not up to date: %+v", third)
	}
	// Touching an output defeats the fast path, and the run restores it.
	out := filepath.Join(root, "gen/acme/b/v1/b.pb.go")
	if err := os.WriteFile(out, []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	fourth := mustGenerate(t, goPythonConfig(), tc, root, Options{InputDigest: "d1"})
	if diff := cmp.Diff([]string{"gen/acme/b/v1/b.pb.go"}, fourth.Changed); diff != "" || fourth.UpToDate {
		t.Fatalf("fourth run (-want +got changed):\n%s\n%+v", diff, fourth)
	}
	if got, _ := os.ReadFile(out); string(got) != before["gen/acme/b/v1/b.pb.go"].Content {
		t.Fatal("edited output not restored")
	}
}

func TestGenerateOneFileChangedRunsOnlyWhatItReaches(t *testing.T) {
	t.Parallel()
	tc := newToolchain(t, repoLock(t))
	root := copyWorkspace(t)
	cfg := goPythonConfig()
	mustGenerate(t, cfg, tc, root, Options{})
	a := filepath.Join(root, "proto/acme/a/v1/a.proto")
	src, _ := os.ReadFile(a)
	if err := os.WriteFile(a, bytes.Replace(src, []byte("repeated float values = 3;"), []byte("repeated float values = 3;\n  string note = 4;"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	res := mustGenerate(t, cfg, tc, root, Options{})
	// b.proto's jobs are untouched; a.proto's (one per plugin, the three
	// Python builtins share one) run again.
	if ran := res.Jobs - res.Cached; ran != 3 {
		t.Errorf("ran %d jobs, want 3: %+v", ran, res)
	}
	want := []string{"gen/acme/a/v1/a.pb.go", "py/pkg/acme/a/v1/a_pb2.py", "py/pkg/acme/a/v1/a_pb2.pyi"}
	if diff := cmp.Diff(want, res.Changed); diff != "" {
		t.Errorf("changed (-want +got):\n%s", diff)
	}
}

func TestGenerateCheckReportsDriftAndWritesNothing(t *testing.T) {
	t.Parallel()
	tc := newToolchain(t, repoLock(t))
	root := copyWorkspace(t)
	cfg := goPythonConfig()
	mustGenerate(t, cfg, tc, root, Options{})
	if err := os.WriteFile(filepath.Join(root, "gen/acme/a/v1/a.pb.go"), []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "gen/acme/b/v1/b.pb.go")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "gen/acme/stray.go"), []byte("package acme"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, root)
	res := mustGenerate(t, cfg, tc, root, Options{Check: true})
	want := &Result{
		Added:   []string{"gen/acme/b/v1/b.pb.go"},
		Changed: []string{"gen/acme/a/v1/a.pb.go"},
		Removed: []string{"gen/acme/stray.go"},
	}
	if diff := cmp.Diff(want, res, cmpResultLists); diff != "" {
		t.Errorf("check result (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
		t.Fatalf("check wrote files (-before +after):\n%s", diff)
	}
	// Without clean, a stray file is not drift.
	cfg.Clean = false
	res = mustGenerate(t, cfg, tc, root, Options{Check: true})
	if len(res.Removed) != 0 {
		t.Errorf("without clean, removed = %v", res.Removed)
	}
}

var cmpResultLists = cmp.Comparer(func(a, b *Result) bool {
	return cmp.Equal(a.Added, b.Added) && cmp.Equal(a.Changed, b.Changed) && cmp.Equal(a.Removed, b.Removed)
})

func TestCleanRemovesStaleFilesOfThatOutputOnly(t *testing.T) {
	t.Parallel()
	tc := newToolchain(t, repoLock(t))
	testPlugin(t, tc)
	root := copyWorkspace(t)
	for p, content := range map[string]string{
		"out/old.txt":          "stale",
		"out/acme/gone/x.txt":  "stale",
		"other/keep.txt":       "not an output",
		"out-sibling/keep.txt": "not under out",
		// Bytecode caches of an imported generated package.
		"out/acme/a/v1/__pycache__/a.cpython-311.pyc": "bytecode",
	} {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{Clean: true, Plugins: []Plugin{{Local: "protoc-gen-test", Out: "out", Opt: []string{"ok"}}}}
	res := mustGenerate(t, cfg, tc, root, Options{})
	if diff := cmp.Diff([]string{"out/acme/gone/x.txt", "out/old.txt"}, res.Removed); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}
	for _, p := range []string{"other/keep.txt", "out-sibling/keep.txt", "out/acme/a/v1/a.txt", "out/acme/b/v1/b.txt", "out/acme/a/v1/__pycache__/a.cpython-311.pyc"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "out/acme/gone")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty stale directory left behind: %v", err)
	}
}

func TestBadPluginsChangeNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode    string
		timeout time.Duration
		want    string
	}{
		{mode: "crash", want: "exit status 3"},
		{mode: "hang", timeout: 500 * time.Millisecond, want: "timed out after 500ms"},
		{mode: "garbage", want: "invalid CodeGeneratorResponse"},
		{mode: "error", want: "no good: acme/"},
		{mode: "escape", want: `file name "../escaped.txt" escapes the output directory out`},
		{mode: "abs", want: `file name "/tmp/abs.txt" is absolute`},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			tc := newToolchain(t, repoLock(t))
			testPlugin(t, tc)
			root := copyWorkspace(t)
			good := Config{Clean: true, Plugins: []Plugin{
				{Local: "protoc-gen-test", Out: "out", Opt: []string{"ok"}},
				{Local: "protoc-gen-go", Out: "gen", Opt: []string{"paths=source_relative"}},
			}, Managed: goPythonConfig().Managed}
			mustGenerate(t, good, tc, root, Options{})
			before := snapshot(t, root)
			bad := good
			bad.Plugins = []Plugin{
				{Local: "protoc-gen-test", Out: "out", Opt: []string{tt.mode}},
				{Local: "protoc-gen-go", Out: "gen", Opt: []string{"paths=source_relative", "annotate_code"}},
			}
			bad.Timeout = tt.timeout
			start := time.Now()
			_, err := generate(t, bad, tc, root, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "protoc-gen-test") {
				t.Fatalf("error = %v, want one naming protoc-gen-test and containing %q", err, tt.want)
			}
			if tt.mode == "hang" && time.Since(start) > 30*time.Second {
				t.Errorf("timeout took %s", time.Since(start))
			}
			if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
				t.Fatalf("failed run changed outputs (-before +after):\n%s", diff)
			}
		})
	}
}

func TestUnknownPluginIsRefused(t *testing.T) {
	t.Parallel()
	tc := &Toolchain{Lock: repoLock(t), Dir: t.TempDir()}
	cfg := Config{Plugins: []Plugin{{Local: "protoc-gen-ts", Out: "ts", Where: "buf.gen.yaml:9:5"}}}
	_, err := Generate(context.Background(), cfg, tc, Options{Root: t.TempDir(), Compile: compileFunc("testdata/ws")})
	want := `buf.gen.yaml:9:5: unknown plugin "protoc-gen-ts": it is not pinned in protoctl.lock`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error = %v, want prefix %q", err, want)
	}
}

func TestCompileErrorChangesNothing(t *testing.T) {
	t.Parallel()
	tc := newToolchain(t, repoLock(t))
	testPlugin(t, tc)
	root := copyWorkspace(t)
	cfg := Config{Clean: true, Plugins: []Plugin{{Local: "protoc-gen-test", Out: "out", Opt: []string{"ok"}}}}
	mustGenerate(t, cfg, tc, root, Options{})
	if err := os.WriteFile(filepath.Join(root, "proto/acme/b/v1/b.proto"), []byte("syntax = \"proto3\";\npackage acme.b.v1;\nmessage B { strin name = 1; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, root)
	_, err := generate(t, cfg, tc, root, Options{})
	if err == nil || !strings.Contains(err.Error(), "proto/acme/b/v1/b.proto:3:13:") {
		t.Fatalf("error = %v, want a positioned compile error", err)
	}
	if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
		t.Fatalf("compile error changed outputs (-before +after):\n%s", diff)
	}
}

func TestCorruptCaches(t *testing.T) {
	t.Parallel()
	tc := newToolchain(t, repoLock(t))
	testPlugin(t, tc)
	root := copyWorkspace(t)
	cfg := Config{Plugins: []Plugin{{Local: "protoc-gen-test", Out: "out", Opt: []string{"ok"}}}}
	mustGenerate(t, cfg, tc, root, Options{})
	want := snapshot(t, root)
	// Corrupt every cached entry (flip its last byte, in an output's
	// content): the next run warns, regenerates, and writes the same
	// outputs.
	entries, _ := filepath.Glob(filepath.Join(tc.Dir, "gen", "entries", "*", "*"))
	if len(entries) == 0 {
		t.Fatal("no cache entries")
	}
	for _, e := range entries {
		data, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		data[len(data)-1] ^= 0xff
		if err := os.WriteFile(e, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	res := mustGenerate(t, cfg, tc, root, Options{Log: &log})
	if res.Cached != 0 || !strings.Contains(log.String(), "is corrupt") {
		t.Errorf("cached=%d log=%q", res.Cached, log.String())
	}
	got := snapshot(t, root)
	for p, w := range want {
		if got[p].Content != w.Content {
			t.Errorf("%s: regenerated content differs", p)
		}
	}

	// A tampered plugin binary is refused.
	pin, _ := tc.Lock.GoPlugin("protoc-gen-test")
	bin := filepath.Join(tc.Dir, "testtools", "go", pin.Name, "bin", pin.Name)
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho evil\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := tc.verifyGo(pin, filepath.Dir(filepath.Dir(bin)))
	var te *ToolchainError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "refusing to run it") {
		t.Fatalf("tampered binary: err = %v", err)
	}
}
