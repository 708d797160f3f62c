package codegen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/protoctl/protoctl/bufconfig"
	"github.com/protoctl/protoctl/compile"
)

// The parity test runs `buf generate` (the pinned buf, with the pinned
// generators of `protoctl toolchain bin` as its only PATH) and protoctl's
// Generate on the same workspace and template, and requires the outputs
// to be byte-identical. protoc-gen-go and the python builtin embed each
// file's serialized descriptor, so this also proves that managed mode sets
// exactly the file options buf sets.

// parityPlugins are the generators of the parity templates. The mypy
// plugins of the repository's template are left out: their output embeds
// no descriptor, and the shared test venv's console scripts point at the
// interpreter of whichever test created it (see the report).
const parityPlugins = `
- local: protoc-gen-go
  out: gen
  opt: paths=source_relative
- local: protoc-gen-go-grpc
  out: gen
  opt: paths=source_relative
- protoc_builtin: python
  out: py
- protoc_builtin: pyi
  out: py
- local: protoc-gen-grpc_python
  out: py
`

// proto2Float is the one output buf and protoctl generate differently,
// for a reason outside managed mode: protocompile v0.14.1 (protoctl's)
// prints the float default 1.5e-3 as "0.0015", as protoc does, and the
// newer protocompile in buf as "0.001500000013038516", so the descriptor
// protoc-gen-go embeds differs. (protoc's python builtin prints the
// default itself, so the Python outputs agree.)
const proto2Float = "protoctl/testing/v1/proto2_types.pb.go"

func TestBufParity(t *testing.T) {
	t.Parallel()
	buf := parityBuf(t)
	tc := newToolchain(t, repoLock(t))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := tc.BinDir(ctx)
	if err != nil {
		t.Fatalf("toolchain bin: %v", err)
	}
	cases := []struct {
		name string
		// setup fills an empty workspace directory.
		setup func(t *testing.T, dir string)
		// known lists outputs that differ from buf's for a reason outside
		// managed mode, by path prefix (under the out directory). Each must
		// still differ, so that an exception no longer needed is noticed.
		known []string
	}{
		{
			// The repository's own workspace and managed mode, with the
			// generators of parityPlugins.
			name: "repo",
			setup: func(t *testing.T, dir string) {
				for _, d := range []string{"proto", "testproto"} {
					if err := os.CopyFS(filepath.Join(dir, d), os.DirFS(filepath.Join("..", d))); err != nil {
						t.Fatal(err)
					}
				}
				copyFile(t, filepath.Join("..", "buf.yaml"), filepath.Join(dir, "buf.yaml"))
				writeTemplate(t, filepath.Join("..", "buf.gen.yaml"), filepath.Join(dir, "buf.gen.yaml"))
			},
			known: []string{proto2Float},
		},
		{
			name: "managed",
			setup: func(t *testing.T, dir string) {
				if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "parity", "managed"))); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			bufDir, ourDir := filepath.Join(t.TempDir(), "ws"), filepath.Join(t.TempDir(), "ws")
			c.setup(t, bufDir)
			c.setup(t, ourDir)
			cmd := exec.CommandContext(ctx, buf, "generate")
			cmd.Dir = bufDir
			cmd.Env = append(os.Environ(), "PATH="+bin, "BUF_CACHE_DIR="+filepath.Join(filepath.Dir(bufDir), "bufcache"))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("buf generate: %v\n%s", err, out)
			}
			cfg, ws := parityConfig(t, ourDir)
			opts := Options{Root: ourDir, NoCache: true, Compile: func(ctx context.Context) (*compile.Encoded, error) {
				return compile.CompileEncoded(ctx, ws, &compile.Cache{Dir: ourDir + ".compile-cache"})
			}}
			mustGenerate(t, cfg, tc, ourDir, opts)
			compareOutputs(t, cfg, bufDir, ourDir, c.known)
		})
	}
}

// compareOutputs compares every file under the plugins' out directories,
// but the known differences.
func compareOutputs(t *testing.T, cfg Config, bufDir, ourDir string, known []string) {
	t.Helper()
	want, got := map[string]string{}, map[string]string{}
	outs := map[string]bool{}
	for _, p := range cfg.Plugins {
		outs[p.Out] = true
	}
	for out := range outs {
		readTree(t, bufDir, out, want)
		readTree(t, ourDir, out, got)
	}
	if len(want) == 0 {
		t.Fatal("buf generated nothing")
	}
	for _, prefix := range known {
		n := 0
		for name, w := range want {
			if _, rel, _ := strings.Cut(name, "/"); !strings.HasPrefix(rel, prefix) {
				continue
			}
			n++
			if got[name] == w {
				t.Errorf("%s: identical to buf's output although listed as a known difference: remove the exception", name)
			}
			delete(want, name)
			delete(got, name)
		}
		if n == 0 {
			t.Errorf("no output matches the known difference %s: remove the exception", prefix)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("protoctl's output differs from buf's (-buf +protoctl):\n%s", diff)
	}
	t.Logf("%d files identical to buf's", len(want))
}

// readTree reads the files under root/dir into files, keyed by their path
// relative to root.
func readTree(t *testing.T, root, dir string, files map[string]string) {
	t.Helper()
	err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
}

// parityConfig reads the workspace's buf.yaml and buf.gen.yaml into a
// generation config and workspace the way `protoctl gen` does, without
// Python import rewriting.
func parityConfig(t *testing.T, dir string) (Config, compile.Workspace) {
	t.Helper()
	fsys := os.DirFS(dir)
	b, err := bufconfig.ReadBufYAML(fsys, "buf.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := bufconfig.ReadBufGenYAML(fsys, "buf.gen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ws := compile.Workspace{FS: fsys}
	for _, m := range b.Modules {
		ws.Modules = append(ws.Modules, compile.Module{Path: m.Path, Includes: m.Includes, Excludes: m.Excludes})
	}
	cfg, err := ConfigFrom(g, &bufconfig.ProtoctlYAML{}, b.Modules)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, ws
}

// writeTemplate writes the template src with its plugins replaced by
// parityPlugins, keeping everything else (managed mode in particular).
func writeTemplate(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var plugins []any
	if err := yaml.Unmarshal([]byte(parityPlugins), &plugins); err != nil {
		t.Fatal(err)
	}
	doc["plugins"] = plugins
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

var (
	parityBufOnce sync.Once
	parityBufPath string
	parityBufErr  error
)

// parityBuf returns a buf built from tools/go.mod. It shares the cache of
// bufconfig's differential tests: os.UserCacheDir()/protoctl-test/buf-<hash
// of tools/go.mod, tools/go.sum and the platform>; PROTOCTL_BUF names a
// binary to use instead.
func parityBuf(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping the buf parity test in -short mode")
	}
	if p := os.Getenv("PROTOCTL_BUF"); p != "" {
		return p
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH, so the pinned buf cannot be built; skipping the buf parity test")
	}
	parityBufOnce.Do(func() { parityBufPath, parityBufErr = buildParityBuf() })
	if parityBufErr != nil {
		t.Fatalf("building the pinned buf: %v", parityBufErr)
	}
	return parityBufPath
}

func buildParityBuf() (string, error) {
	tools, err := filepath.Abs(filepath.Join("..", "tools"))
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, name := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join(tools, name))
		if err != nil {
			return "", err
		}
		h.Write(data)
	}
	fmt.Fprintf(h, "%s/%s", runtime.GOOS, runtime.GOARCH)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "protoctl-test", "buf-"+hex.EncodeToString(h.Sum(nil))[:16])
	bin := filepath.Join(dir, "buf")
	if info, err := os.Stat(bin); err == nil && info.Mode().IsRegular() {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "buf-*.tmp")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp.Name(), "github.com/bufbuild/buf/cmd/buf")
	cmd.Dir = tools
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build in %s: %v\n%s", tools, err, out.String())
	}
	// Renaming is atomic, so concurrent test binaries never see half a file.
	if err := os.Rename(tmp.Name(), bin); err != nil {
		return "", err
	}
	return bin, nil
}
