package codegen

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/protoctl/protoctl/compile"
)

// sharedTools is the directory where the real pinned generators are
// installed once per machine for all tests (they take a while to build).
func sharedTools(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PROTOCTL_TEST_CACHE")
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(base, "protoctl-test")
	}
	if err := os.MkdirAll(filepath.Join(dir, "tools"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func repoLock(t *testing.T) *Lock {
	t.Helper()
	l, err := ReadLock(filepath.Join("..", LockFileName))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

var installOnce sync.Mutex

// newToolchain returns a toolchain over the repo's real lock whose tools
// come from the shared install and whose generation cache and state are
// private to the test.
func newToolchain(t *testing.T, lock *Lock) *Toolchain {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(sharedTools(t), "tools"), filepath.Join(dir, "tools")); err != nil {
		t.Fatal(err)
	}
	tc := &Toolchain{Lock: lock, Dir: dir, Log: io.Discard}
	installOnce.Lock()
	defer installOnce.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := (&Toolchain{Lock: repoLock(t), Dir: dir, Log: io.Discard}).InstallAll(ctx); err != nil {
		t.Fatalf("install pinned generators: %v", err)
	}
	return tc
}

var (
	testPluginOnce sync.Once
	testPluginPath string
	testPluginErr  error
)

// testPlugin builds testdata/protoc-gen-test and registers it in tc's
// cache as if it had been installed for a pin, the way a real install
// records a binary.
func testPlugin(t *testing.T, tc *Toolchain) {
	t.Helper()
	testPluginOnce.Do(func() {
		dir, err := os.MkdirTemp("", "protoctl-test-plugin-")
		if err != nil {
			testPluginErr = err
			return
		}
		testPluginPath = filepath.Join(dir, "protoc-gen-test")
		cmd := exec.Command("go", "build", "-o", testPluginPath, "./testdata/protoc-gen-test")
		out, err := cmd.CombinedOutput()
		if err != nil {
			testPluginErr = &ToolchainError{Tool: "protoc-gen-test", Msg: string(out)}
		}
	})
	if testPluginErr != nil {
		t.Fatal(testPluginErr)
	}
	pin := GoPlugin{Name: "protoc-gen-test", Package: "example.com/protoc-gen-test", Module: "example.com/protoc-gen-test", Version: "v0.0.1", Sum: "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
	lock := *tc.Lock
	lock.Go = append(append([]GoPlugin(nil), lock.Go...), pin)
	tc.Lock = &lock
	// The test plugin lives in the test's own tools dir, not the shared one.
	dir := filepath.Join(tc.Dir, "testtools", "go", pin.Name)
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(testPluginPath)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin", pin.Name)
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	sum, err := fileSHA256(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(filepath.Join(dir, "manifest.json"), goManifest{Name: pin.Name, Package: pin.Package, Version: pin.Version, Sum: pin.Sum, BinarySHA256: sum}); err != nil {
		t.Fatal(err)
	}
	if tc.goPaths == nil {
		tc.goPaths = map[string]string{}
	}
	got, err := tc.verifyGo(pin, dir)
	if err != nil {
		t.Fatal(err)
	}
	tc.goPaths[pin.Name] = got
}

// copyWorkspace copies testdata/ws into a fresh directory.
func copyWorkspace(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := os.CopyFS(dst, os.DirFS("testdata/ws"))
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func compileFunc(root string) func(context.Context) (*compile.Encoded, error) {
	cache := &compile.Cache{Dir: root + ".compile-cache"}
	return func(ctx context.Context) (*compile.Encoded, error) {
		return compile.CompileEncoded(ctx, compile.Workspace{FS: os.DirFS(root), Modules: []compile.Module{{Path: "proto"}}}, cache)
	}
}

// snapshot reads every file under root (relative path -> content and
// modification time).
type fileState struct {
	Content string
	ModTime time.Time
}

func snapshot(t *testing.T, root string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = fileState{Content: string(data), ModTime: info.ModTime()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
