package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var protoctlBin string

// TestMain builds protoctl once; the tests run it as users do, in
// temporary workspaces, and look at exit codes, output and the files left
// on disk.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "protoctl-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	protoctlBin = filepath.Join(dir, "protoctl")
	if out, err := exec.Command("go", "build", "-o", protoctlBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build protoctl: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testCache is a cache dir whose tools are the shared, once-per-machine
// install of the pinned generators.
func testCache(t *testing.T) string {
	t.Helper()
	shared := os.Getenv("PROTOCTL_TEST_CACHE")
	if shared == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			t.Fatal(err)
		}
		shared = filepath.Join(base, "protoctl-test")
	}
	if err := os.MkdirAll(filepath.Join(shared, "tools"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(shared, "tools"), filepath.Join(dir, "tools")); err != nil {
		t.Fatal(err)
	}
	return dir
}

type result struct {
	code           int
	stdout, stderr string
}

func runIn(t *testing.T, dir, cache string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, protoctlBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PROTOCTL_CACHE_DIR="+cache)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, stdout.String(), stderr.String()}
}

// workspace copies testdata/gen and the repo's lock into a fresh dir.
func workspace(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/gen")); err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile("../../protoctl.lock")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "protoctl.lock"), lock, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGenWritesThenIsUpToDateThenChecks(t *testing.T) {
	t.Parallel()
	dir, cache := workspace(t), testCache(t)
	r := runIn(t, dir, cache, "gen")
	if r.code != 0 {
		t.Fatalf("gen: exit %d\n%s", r.code, r.stderr)
	}
	for _, p := range []string{"gen/acme/echo/v1/echo.pb.go", "gen/acme/echo/v1/echo_grpc.pb.go", "py/echopb/acme/echo/v1/echo_pb2.py", "py/echopb/acme/echo/v1/echo_pb2_grpc.py", "py/requirements.txt"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("missing %s: %v", p, err)
		}
	}
	if r := runIn(t, dir, cache, "gen"); r.code != 0 || !strings.Contains(r.stderr, "up to date") {
		t.Fatalf("second gen: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runIn(t, dir, cache, "gen", "--check"); r.code != 0 || r.stdout != "" {
		t.Fatalf("check of fresh output: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	write(t, dir, "gen/acme/echo/v1/echo.pb.go", "// edited by hand\n")
	write(t, dir, "gen/acme/stale.go", "package acme\n")
	before := tree(t, dir)
	for _, tt := range []struct{ format, want string }{
		{"text", "gen/acme/echo/v1/echo.pb.go:generated file is out of date: run protoctl gen\ngen/acme/stale.go:stale file in a clean output directory: run protoctl gen\n"},
		{"json", `{"path":"gen/acme/echo/v1/echo.pb.go","type":"CHANGED","message":"generated file is out of date: run protoctl gen"}` + "\n" +
			`{"path":"gen/acme/stale.go","type":"REMOVED","message":"stale file in a clean output directory: run protoctl gen"}` + "\n"},
		{"github-actions", "::error file=gen/acme/echo/v1/echo.pb.go::generated file is out of date: run protoctl gen\n::error file=gen/acme/stale.go::stale file in a clean output directory: run protoctl gen\n"},
	} {
		r := runIn(t, dir, cache, "gen", "--check", "--error-format", tt.format)
		if r.code != 100 {
			t.Errorf("%s: exit %d, want 100\n%s", tt.format, r.code, r.stderr)
		}
		if diff := cmp.Diff(tt.want, r.stdout); diff != "" {
			t.Errorf("%s output (-want +got):\n%s", tt.format, diff)
		}
	}
	if diff := cmp.Diff(before, tree(t, dir)); diff != "" {
		t.Fatalf("--check changed files (-before +after):\n%s", diff)
	}
	if r := runIn(t, dir, cache, "gen"); r.code != 0 || !strings.Contains(r.stderr, "1 changed, 1 removed") {
		t.Fatalf("repairing gen: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestGenBadInput: each bad input gets one message naming the input and
// the cause, exit 1, and no output file changes.
func TestGenBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(t *testing.T, dir string)
		want  string // substring of stderr
		first bool   // generate good output first
	}{
		{
			name: "syntax error",
			edit: func(t *testing.T, dir string) {
				write(t, dir, "proto/acme/echo/v1/echo.proto", "syntax = \"proto3\";\npackage acme.echo.v1;\nmessage Echo { string text = 1 }\n")
			},
			want: "proto/acme/echo/v1/echo.proto:3:32:syntax error: expecting ';'",
		},
		{
			name: "unknown type",
			edit: func(t *testing.T, dir string) {
				write(t, dir, "proto/acme/echo/v1/echo.proto", "syntax = \"proto3\";\npackage acme.echo.v1;\nmessage Echo { strin text = 1; }\n")
			},
			want: "proto/acme/echo/v1/echo.proto:3:16:field acme.echo.v1.Echo.text: unknown type strin",
		},
		{
			name: "unresolved import",
			edit: func(t *testing.T, dir string) {
				write(t, dir, "proto/acme/echo/v1/extra.proto", "syntax = \"proto3\";\npackage acme.echo.v1;\nimport \"acme/missing/v1/missing.proto\";\n")
			},
			want: `proto/acme/echo/v1/extra.proto:3:8:could not resolve path "acme/missing/v1/missing.proto"`,
		},
		{
			name: "duplicate symbol",
			edit: func(t *testing.T, dir string) {
				write(t, dir, "proto/acme/echo/v1/extra.proto", "syntax = \"proto3\";\npackage acme.echo.v1;\nmessage EchoRequest {}\n")
			},
			want: `:symbol "acme.echo.v1.EchoRequest" already defined`,
		},
		{
			name: "bad yaml",
			edit: func(t *testing.T, dir string) {
				write(t, dir, "buf.gen.yaml", "version: v2\nplugins:\n  - local: protoc-gen-go\n    out: [gen\n")
			},
			want: "buf.gen.yaml:3: yaml: did not find expected ',' or ']'",
		},
		{
			name: "unknown key",
			edit: func(t *testing.T, dir string) {
				write(t, dir, "buf.gen.yaml", "version: v2\nplugins:\n  - local: protoc-gen-go\n    out: gen\n    stratgy: all\n")
			},
			want: `buf.gen.yaml:5:5: unknown key "stratgy"`,
		},
		{
			name: "unknown plugin",
			edit: func(t *testing.T, dir string) {
				write(t, dir, "buf.gen.yaml", "version: v2\nplugins:\n  - local: protoc-gen-ts\n    out: gen\n")
			},
			want: `buf.gen.yaml:3:5: unknown plugin "protoc-gen-ts": it is not pinned in protoctl.lock`,
		},
		{
			name: "remote plugin",
			edit: func(t *testing.T, dir string) {
				write(t, dir, "buf.gen.yaml", "version: v2\nplugins:\n  - remote: buf.build/protocolbuffers/go\n    out: gen\n")
			},
			want: "buf.gen.yaml:3:5: remote plugin",
		},
		{
			name: "out escapes workspace",
			edit: func(t *testing.T, dir string) {
				write(t, dir, "buf.gen.yaml", "version: v2\nplugins:\n  - local: protoc-gen-go\n    out: ../elsewhere\n")
			},
			want: "../elsewhere",
		},
		{
			name: "missing lock",
			edit: func(t *testing.T, dir string) {
				if err := os.Remove(filepath.Join(dir, "protoctl.lock")); err != nil {
					t.Fatal(err)
				}
			},
			want: "protoctl.lock: no lock file: run `protoctl toolchain upgrade`",
		},
		{
			name: "corrupt lock",
			edit: func(t *testing.T, dir string) {
				write(t, dir, "protoctl.lock", "version: v1\ngo:\n  - name: protoc-gen-go\n    package: google.golang.org/protobuf/cmd/protoc-gen-go\n    module: google.golang.org/protobuf\n    version: v1.36.12\n    sum: nope\n")
			},
			want: `protoctl.lock: go plugin "protoc-gen-go": sum "nope" is not an h1: hash`,
		},
		{
			name: "bad protoctl.yaml",
			edit: func(t *testing.T, dir string) {
				write(t, dir, "protoctl.yaml", "version: v1\npython:\n  import_rot: py\n")
			},
			want: `protoctl.yaml:3:3: unknown key "import_rot"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, cache := workspace(t), testCache(t)
			if r := runIn(t, dir, cache, "gen"); r.code != 0 {
				t.Fatalf("good gen: exit %d\n%s", r.code, r.stderr)
			}
			tt.edit(t, dir)
			before := tree(t, dir)
			r := runIn(t, dir, cache, "gen")
			if r.code != 1 {
				t.Errorf("exit %d, want 1\nstderr: %s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr does not contain %q:\n%s", tt.want, r.stderr)
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("stderr shows a panic:\n%s", r.stderr)
			}
			if diff := cmp.Diff(before, tree(t, dir)); diff != "" {
				t.Errorf("failed gen changed files (-before +after):\n%s", diff)
			}
		})
	}
}
