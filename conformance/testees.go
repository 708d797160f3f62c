package conformance

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// GoTesteePackage is the import path of the Go testee command.
const GoTesteePackage = "github.com/protoctl/protoctl/conformance/testee"

// BuildGoTestee builds the Go testee from the module at root into dir and
// returns the Command that runs it. The go command's build cache makes a
// rebuild of an unchanged testee cheap.
func BuildGoTestee(ctx context.Context, root, dir string, args ...string) (Command, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Command{}, err
	}
	exe := filepath.Join(dir, "protoctl-go-testee")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", exe, GoTesteePackage)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return Command{}, fmt.Errorf("build the go testee: %v\n%s", err, strings.TrimSpace(stderr.String()))
	}
	return Command{Name: RuntimeGo, Path: exe, Args: args}, nil
}

// PythonTestee returns the Command that runs the Python testee of the
// workspace at root with the interpreter python. backend, when set, selects
// the protobuf runtime's backend (upb, cpp, python) through
// PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION.
func PythonTestee(python, root, backend string, args ...string) Command {
	env := []string{"PYTHONPATH=" + filepath.Join(root, "python", "src"), "PYTHONDONTWRITEBYTECODE=1"}
	if backend != "" {
		env = append(env, "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION="+backend)
	}
	return Command{Name: RuntimePython, Path: python, Args: append([]string{"-m", "protoctl_conformance.testee"}, args...), Env: env}
}
