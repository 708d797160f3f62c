package conformance

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/protoctl/protoctl/codegen"
)

var (
	testeeDir  string
	buildOnce  sync.Once
	goCmd      Command
	buildErr   error
	pythonOnce sync.Once
	pythonPath string
	pythonErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "protoctl-conformance-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testeeDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// goTestee builds the Go testee once per test binary.
func goTestee(t testing.TB) Command {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found: cannot build the go testee")
	}
	buildOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		goCmd, buildErr = BuildGoTestee(ctx, repoRoot(t), testeeDir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return goCmd
}

// python finds an interpreter with the pinned protobuf runtime:
// $PROTOCTL_TEST_PYTHON, the toolchain's environment when it is installed,
// or the repository's .venv.
func python(t testing.TB) string {
	t.Helper()
	pythonOnce.Do(func() {
		if p := os.Getenv("PROTOCTL_TEST_PYTHON"); p != "" {
			pythonPath = p
			return
		}
		root := repoRoot(t)
		if lock, err := codegen.ReadLock(filepath.Join(root, codegen.LockFileName)); err == nil {
			if dir, err := codegen.CacheDir(); err == nil {
				tc := &codegen.Toolchain{Lock: lock, Dir: dir}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				if env, err := tc.Python(ctx); err == nil {
					pythonPath = env.Python
					return
				} else {
					pythonErr = err
				}
			}
		}
		venv := filepath.Join(root, ".venv", "bin", "python")
		if _, err := os.Stat(venv); err == nil {
			pythonPath, pythonErr = venv, nil
		}
	})
	if pythonPath == "" {
		t.Skipf("no python with the pinned protobuf runtime (toolchain: %v; no .venv; set PROTOCTL_TEST_PYTHON)", pythonErr)
	}
	return pythonPath
}

func pythonTestee(t testing.TB) Command {
	return PythonTestee(python(t), repoRoot(t), "")
}

func mustSuite(t testing.TB, path string) *Suite {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSuite(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustExpectations(t testing.TB, path string) *Expectations {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ParseExpectations(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
