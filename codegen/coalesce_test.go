package codegen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func pythonConfig() Config {
	return Config{
		Plugins: []Plugin{
			{Builtin: "python", Out: "py/pkg"},
			{Builtin: "pyi", Out: "py/pkg"},
			{Builtin: "grpc_python", Out: "py/pkg"},
		},
		PythonImportRoot: "py",
	}
}

// manyDirs writes a workspace of n directories, one file each, with names
// that protoc's Python generators rewrite (dashes, dots), each importing
// the previous one.
func manyDirs(t *testing.T, n int) string {
	t.Helper()
	root := t.TempDir()
	for i := range n {
		name := fmt.Sprintf("acme/d%d/v1/f%d.proto", i, i)
		switch i % 3 {
		case 1:
			name = fmt.Sprintf("acme/d-%d/v1/f-%d.proto", i, i)
		case 2:
			name = fmt.Sprintf("acme/d%d/v1/f.part%d.proto", i, i)
		}
		src := fmt.Sprintf("syntax = \"proto3\";\npackage acme.d%d.v1;\n", i)
		if i > 0 {
			src += fmt.Sprintf("import %q;\n", prev(i))
		}
		src += fmt.Sprintf("// M%d is message %d.\nmessage M%d { string name = 1; }\n// S%d serves M%d.\nservice S%d { rpc Get(M%d) returns (M%d); }\n", i, i, i, i, i, i, i, i)
		full := filepath.Join(root, "proto", name)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func prev(i int) string {
	switch (i - 1) % 3 {
	case 1:
		return fmt.Sprintf("acme/d-%d/v1/f-%d.proto", i-1, i-1)
	case 2:
		return fmt.Sprintf("acme/d%d/v1/f.part%d.proto", i-1, i-1)
	}
	return fmt.Sprintf("acme/d%d/v1/f%d.proto", i-1, i-1)
}

// TestMergedPythonRunsMatchAndCacheByBucket: with two workers the cold
// run merges the Python buckets into two protoc runs; the outputs equal
// one run per bucket, and each bucket is cached on its own, so a no-op
// run answers everything from the cache and a one-file change runs one
// bucket.
func TestMergedPythonRunsMatchAndCacheByBucket(t *testing.T) {
	t.Parallel()
	tc := newToolchain(t, repoLock(t))
	merged, separate := manyDirs(t, 14), manyDirs(t, 14)
	first := mustGenerate(t, pythonConfig(), tc, merged, Options{Jobs: 2})
	if sep := mustGenerate(t, pythonConfig(), tc, separate, Options{Jobs: 64, NoCache: true}); sep.Processes != sep.Jobs {
		t.Fatalf("64 workers: %d jobs in %d processes, want one process per job", sep.Jobs, sep.Processes)
	}
	contents := func(root string) map[string]string {
		out := map[string]string{}
		for k, v := range snapshot(t, root) {
			if strings.HasPrefix(k, "py/") {
				out[k] = v.Content
			}
		}
		return out
	}
	got := contents(merged)
	if diff := cmp.Diff(contents(separate), got); diff != "" {
		t.Fatalf("merged runs differ from one run per bucket (-separate +merged):\n%s", diff)
	}
	for _, want := range []string{"py/pkg/acme/d_1/v1/f_1_pb2.py", "py/pkg/acme/d2/v1/f/part2_pb2_grpc.py"} {
		if _, ok := got[want]; !ok {
			t.Errorf("missing %s", want)
		}
	}
	if first.Jobs <= 2 || first.Cached != 0 || first.Processes != 2 {
		t.Fatalf("first run: %d jobs in %d processes, %d cached; want more jobs than workers in 2 processes, none cached", first.Jobs, first.Processes, first.Cached)
	}
	if err := os.RemoveAll(filepath.Join(merged, "py")); err != nil {
		t.Fatal(err)
	}
	again := mustGenerate(t, pythonConfig(), tc, merged, Options{Jobs: 2})
	if again.Cached != again.Jobs {
		t.Errorf("re-run: %d of %d jobs from the cache, want all", again.Cached, again.Jobs)
	}
	leaf := filepath.Join(merged, "proto", prev(14))
	src, err := os.ReadFile(leaf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(leaf, append(src, "message Extra {}\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	one := mustGenerate(t, pythonConfig(), tc, merged, Options{Jobs: 2})
	if ran := one.Jobs - one.Cached; ran != 1 || one.Processes != 1 {
		t.Errorf("one file changed: %d jobs ran in %d processes, want 1 in 1", ran, one.Processes)
	}
}

func TestSplitRefusesUnattributedOutput(t *testing.T) {
	t.Parallel()
	j := &job{parts: []*job{{files: []string{"a/v1/a.proto"}}, {files: []string{"b/v1/b-c.proto"}}}}
	parts, err := j.split([]genFile{{name: "a/v1/a_pb2.py"}, {name: "b/v1/b_c_pb2.pyi"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(parts[0]) != 1 || len(parts[1]) != 1 {
		t.Errorf("split = %v, want one output per part", parts)
	}
	for _, bad := range [][]genFile{
		{{name: "a/v1/a_pb2.py"}, {name: "b/v1/b_c_pb2.py"}, {name: "extra.txt"}},
		{{name: "a/v1/a_pb2.py"}},
	} {
		if _, err := j.split(bad); err == nil {
			t.Errorf("split(%v) succeeded, want an error", bad)
		}
	}
}
