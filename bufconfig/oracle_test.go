package bufconfig

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

// The differential tests run the pinned buf (tools/go.mod) on the same
// fixtures: buf must accept every valid fixture and reject the invalid ones
// protoctl rejects, and managed mode must give every file the go_package
// that Managed.GoPackageInModule computes.

var (
	bufOnce sync.Once
	bufPath string
	bufErr  error
)

// pinnedBuf returns the path of a buf binary built from tools/go.mod, cached
// under os.UserCacheDir()/protoctl-test/ by a hash of tools/go.mod and
// go.sum. PROTOCTL_BUF names a binary to use instead.
func pinnedBuf(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping the buf differential test in -short mode")
	}
	if p := os.Getenv("PROTOCTL_BUF"); p != "" {
		return p
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH, so the pinned buf cannot be built; skipping the differential test")
	}
	bufOnce.Do(func() { bufPath, bufErr = buildBuf() })
	if bufErr != nil {
		t.Fatalf("building the pinned buf: %v", bufErr)
	}
	return bufPath
}

func buildBuf() (string, error) {
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
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build in %s: %v\n%s", tools, err, out)
	}
	// Renaming is atomic, so concurrent test binaries never see half a file.
	if err := os.Rename(tmp.Name(), bin); err != nil {
		return "", err
	}
	return bin, nil
}

// fakePlugin is a protoc plugin that answers with an empty response and,
// when PCTEST_REQ_DIR is set, keeps each request it receives.
const fakePlugin = `#!/bin/sh
if [ -n "$PCTEST_REQ_DIR" ]; then
  cat > "$PCTEST_REQ_DIR/req-$$.bin"
else
  cat > /dev/null
fi
`

// scratch copies a fixture to a temporary directory and returns it, with a
// bin directory holding the fake local plugin.
func scratch(t *testing.T, fixture string) (dir, bin string) {
	t.Helper()
	root := t.TempDir()
	dir = filepath.Join(root, "ws")
	if err := os.CopyFS(dir, os.DirFS(fixture)); err != nil {
		t.Fatal(err)
	}
	// Golden files are not part of the workspace.
	os.Remove(filepath.Join(dir, "parsed.golden.json"))
	bin = filepath.Join(root, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "protoc-gen-pctest"), []byte(fakePlugin), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, bin
}

// runBuf runs buf in dir with the fake plugin first on PATH.
func runBuf(t *testing.T, buf, dir, bin string, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, buf, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "BUF_CACHE_DIR="+filepath.Join(filepath.Dir(dir), "cache"))
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// oracleSkipGenerate lists valid fixtures buf cannot generate offline.
var oracleSkipGenerate = map[string]string{
	"deps": "its inputs are a git repository and a Buf Schema Registry module, and its plugins need protoc",
}

func TestOracleValid(t *testing.T) {
	t.Parallel()
	buf := pinnedBuf(t)
	for _, name := range validCases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fixture := filepath.Join("testdata", "valid", name)
			dir, bin := scratch(t, fixture)
			if out, err := runBuf(t, buf, dir, bin, nil, "build", "-o", filepath.Join(filepath.Dir(dir), "image.binpb")); err != nil {
				t.Fatalf("buf build rejects a fixture protoctl accepts: %v\n%s", err, out)
			}
			if _, err := os.Stat(filepath.Join(dir, "buf.gen.yaml")); err != nil {
				return
			}
			if reason, ok := oracleSkipGenerate[name]; ok {
				t.Logf("not running buf generate: %s", reason)
				return
			}
			reqs := filepath.Join(filepath.Dir(dir), "requests")
			if err := os.Mkdir(reqs, 0o755); err != nil {
				t.Fatal(err)
			}
			if out, err := runBuf(t, buf, dir, bin, []string{"PCTEST_REQ_DIR=" + reqs}, "generate"); err != nil {
				t.Fatalf("buf generate rejects a fixture protoctl accepts: %v\n%s", err, out)
			}
			checkManagedGoPackages(t, fixture, reqs)
		})
	}
}

// checkManagedGoPackages compares the go_package of every file in the
// requests buf sent to the fake plugin with what GoPackageInModule says.
func checkManagedGoPackages(t *testing.T, fixture, reqDir string) {
	t.Helper()
	fsys := os.DirFS(fixture)
	b, err := ReadBufYAML(fsys, "buf.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := ReadBufGenYAML(fsys, "buf.gen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(reqDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("buf generate sent no request to the fake plugin")
	}
	checked := 0
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(reqDir, e.Name()))
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
				continue // a well-known type
			}
			want, ok := g.Managed.GoPackageInModule(module, f.GetName(), f.GetPackage())
			if !ok {
				want = "" // the fixtures set no go_package of their own
			}
			if got := f.GetOptions().GetGoPackage(); got != want {
				t.Errorf("%s: buf set go_package %q, GoPackageInModule(%q, %q, %q) = %q, %v", f.GetName(), got, module, f.GetName(), f.GetPackage(), want, ok)
			}
			t.Logf("%s (module %q): go_package %q", f.GetName(), module, want)
			checked++
		}
	}
	if checked == 0 {
		t.Error("no workspace file in the requests")
	}
}

// moduleOf finds the module holding importPath and returns its name.
func moduleOf(fsys fs.FS, b *BufYAML, importPath string) (string, bool) {
	for _, m := range b.Modules {
		local := path.Join(m.Path, importPath)
		excluded := false
		for _, ex := range m.Excludes {
			excluded = excluded || within(ex, local)
		}
		if _, err := fs.Stat(fsys, local); err == nil && !excluded {
			return m.Name, true
		}
	}
	return "", false
}

// invalidCases are the fixtures under testdata/invalid, with the error
// protoctl reports and what buf does with them.
var invalidCases = []struct {
	name string
	// file is the file protoctl rejects.
	file string
	want *Error
	// buf is "build" or "generate" for the command that must fail, "accepts"
	// where protoctl is deliberately stricter than buf, "" where buf cannot
	// be asked offline.
	buf string
}{
	{"buf_yaml_unknown_key", "buf.yaml", &Error{Line: 2, Col: 1, Kind: KindUnknownKey, Message: `unknown key "modles" in buf.yaml (did you mean "modules"?)`}, "build"},
	{"buf_yaml_version_v3", "buf.yaml", &Error{Line: 1, Col: 10, Kind: KindVersion, Message: `unknown version "v3", expected "v2"`}, "build"},
	{"module_outside", "buf.yaml", &Error{Line: 3, Col: 11, Kind: KindInvalid, Message: `modules[0].path: path "../proto" is outside the workspace`}, "build"},
	{"exclude_outside", "buf.yaml", &Error{Line: 5, Col: 9, Kind: KindInvalid, Message: `modules[0].excludes: "vendor" is not inside module directory "proto"`}, "build"},
	{"gen_unknown_key", "buf.gen.yaml", &Error{Line: 5, Col: 5, Kind: KindUnknownKey, Message: `unknown key "stratgy" in plugin (did you mean "strategy"?)`}, "generate"},
	{"gen_no_version", "buf.gen.yaml", &Error{Line: 1, Col: 1, Kind: KindVersion, Message: `version is not set; add "version: v2"`}, "generate"},
	{"gen_include_wkt", "buf.gen.yaml", &Error{Line: 5, Col: 5, Kind: KindInvalid, Message: "plugins[0]: include_wkt requires include_imports"}, "generate"},
	{"gen_no_plugin_kind", "buf.gen.yaml", &Error{Line: 3, Col: 5, Kind: KindInvalid, Message: "plugins[0]: set one of local, protoc_builtin or remote"}, "generate"},
	{"gen_strategy_remote", "buf.gen.yaml", &Error{Line: 5, Col: 5, Kind: KindInvalid, Message: "plugins[0]: strategy cannot be set for a remote plugin"}, "generate"},
	// buf still reads v1 files; protoctl asks for a migration.
	{"buf_yaml_v1", "buf.yaml", &Error{Line: 1, Col: 10, Kind: KindVersion,
		Message: `version v1 is not supported: protoctl needs a v2 buf.yaml; run "buf config migrate" to migrate it`}, "accepts"},
	// buf would fetch the plugin from the Buf Schema Registry.
	{"gen_remote", "buf.gen.yaml", &Error{Line: 5, Col: 5, Kind: KindRemotePlugin,
		Message: `remote plugin "buf.build/protocolbuffers/go:v1.36.0" needs the Buf Schema Registry; protoctl runs offline: pin a local plugin instead`}, ""},
}

// TestInvalidFixtures checks the exact error protoctl reports for each
// invalid fixture, read through an fs.FS.
func TestInvalidFixtures(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(filepath.Join("testdata", "invalid"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(invalidCases) {
		t.Errorf("testdata/invalid has %d fixtures, invalidCases lists %d", len(entries), len(invalidCases))
	}
	for _, tt := range invalidCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fsys := os.DirFS(filepath.Join("testdata", "invalid", tt.name))
			var err error
			if tt.file == "buf.yaml" {
				_, err = ReadBufYAML(fsys, "buf.yaml")
			} else {
				if _, berr := ReadBufYAML(fsys, "buf.yaml"); berr != nil {
					t.Fatalf("buf.yaml of a buf.gen.yaml fixture: %v", berr)
				}
				_, err = ReadBufGenYAML(fsys, "buf.gen.yaml")
			}
			want := *tt.want
			want.File = tt.file
			checkError(t, &want, err)
		})
	}
}

func TestOracleInvalid(t *testing.T) {
	t.Parallel()
	buf := pinnedBuf(t)
	for _, tt := range invalidCases {
		if tt.buf == "" {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, bin := scratch(t, filepath.Join("testdata", "invalid", tt.name))
			image := filepath.Join(filepath.Dir(dir), "image.binpb")
			switch tt.buf {
			case "build":
				if out, err := runBuf(t, buf, dir, bin, nil, "build", "-o", image); err == nil {
					t.Errorf("buf build accepts a buf.yaml protoctl rejects:\n%s", out)
				} else if !isExitError(err) {
					t.Fatal(err)
				}
			case "generate":
				if out, err := runBuf(t, buf, dir, bin, nil, "build", "-o", image); err != nil {
					t.Fatalf("buf build rejects the fixture's buf.yaml, so buf generate proves nothing: %v\n%s", err, out)
				}
				if out, err := runBuf(t, buf, dir, bin, nil, "generate"); err == nil {
					t.Errorf("buf generate accepts a buf.gen.yaml protoctl rejects:\n%s", out)
				} else if !isExitError(err) {
					t.Fatal(err)
				} else {
					t.Logf("buf: %s", strings.TrimSpace(out))
				}
			case "accepts":
				if out, err := runBuf(t, buf, dir, bin, nil, "generate"); err != nil {
					t.Errorf("buf now rejects a fixture that protoctl rejects more strictly; revisit the case: %v\n%s", err, out)
				}
			}
		})
	}
}

func isExitError(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee)
}
