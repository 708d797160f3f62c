package pyserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/protoctl/protoctl/codegen"
)

// Check says whether python can import the server and its dependencies
// with root's python/src on PYTHONPATH, naming what is missing when not.
func Check(ctx context.Context, python, root string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c", "import protoctl_server")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PYTHONPATH="+pythonPath(root))
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return fmt.Errorf("python %s cannot import the reference server (protoctl_server): %s", python, msg)
	}
	return nil
}

var (
	testOnce   sync.Once
	testPython string
	testErr    error
)

// TestPython finds an interpreter that can run the server, for tests:
// $PROTOCTL_TEST_PYTHON, the toolchain environment of root's lock when it
// is installed and has the server's dependencies, or root/.venv. The
// error says why none fits; tests skip with it.
func TestPython(root string) (string, error) {
	testOnce.Do(func() { testPython, testErr = findTestPython(root) })
	return testPython, testErr
}

func findTestPython(root string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if p := os.Getenv("PROTOCTL_TEST_PYTHON"); p != "" {
		return p, Check(ctx, p, root)
	}
	var errs []error
	if lock, err := codegen.ReadLock(filepath.Join(root, codegen.LockFileName)); err == nil {
		if dir, err := codegen.CacheDir(); err == nil {
			tc := &codegen.Toolchain{Lock: lock, Dir: dir}
			env, err := tc.Python(ctx)
			if err == nil {
				err = Check(ctx, env.Python, root)
			}
			if err == nil {
				return env.Python, nil
			}
			errs = append(errs, fmt.Errorf("toolchain: %w", err))
		}
	}
	venv := filepath.Join(root, ".venv", "bin", "python")
	if _, err := os.Stat(venv); err == nil {
		err = Check(ctx, venv, root)
		if err == nil {
			return venv, nil
		}
		errs = append(errs, fmt.Errorf(".venv: %w", err))
	}
	errs = append(errs, errors.New("set PROTOCTL_TEST_PYTHON to an interpreter with the server's dependencies"))
	return "", errors.Join(errs...)
}
