package compat_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// The pinned buf, built once per test binary from tools/go.mod and kept
// under the user cache directory so that later runs (and other packages)
// reuse it.
var (
	bufOnce sync.Once
	bufPath string
	bufErr  error
)

// pinnedBuf returns the path of the pinned buf binary, building it when
// needed. The error says why buf is not available.
func pinnedBuf(t *testing.T) (string, error) {
	t.Helper()
	bufOnce.Do(func() { bufPath, bufErr = buildBuf() })
	return bufPath, bufErr
}

func buildBuf() (string, error) {
	_, file, _, _ := runtime.Caller(0)
	tools := filepath.Join(filepath.Dir(file), "..", "tools")
	sum, err := os.ReadFile(filepath.Join(tools, "go.sum"))
	if err != nil {
		return "", fmt.Errorf("reading tools/go.sum: %w", err)
	}
	mod, err := os.ReadFile(filepath.Join(tools, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("reading tools/go.mod: %w", err)
	}
	h := sha256.Sum256(append(mod, sum...))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "protoctl-test")
	out := filepath.Join(dir, "buf-"+hex.EncodeToString(h[:6]))
	if runtime.GOOS == "windows" {
		out += ".exe"
	}
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("go is not on PATH to build buf: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "buf-build-*")
	if err != nil {
		return "", err
	}
	tmp.Close()
	cmd := exec.Command(goBin, "build", "-o", tmp.Name(), "github.com/bufbuild/buf/cmd/buf")
	cmd.Dir = tools
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("building buf from tools/go.mod: %v\n%s", err, b)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", err
	}
	return out, nil
}
