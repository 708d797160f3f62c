package doctor

import (
	"context"

	"github.com/protoctl/protoctl/codegen"
)

// Status is the outcome of one check.
type Status string

// The statuses. Only Fail makes a report unhealthy.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Check is one line of the report.
type Check struct {
	// Name says what was checked: "go", "python protobuf".
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Detail is what was found, and what was needed.
	Detail string `json:"detail"`
	// Fix is the command that repairs a problem.
	Fix string `json:"fix,omitempty"`
}

// Report is every check, in the order they ran.
type Report struct {
	Checks []Check `json:"checks"`
}

// Healthy reports whether no check failed.
func (r *Report) Healthy() bool {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return false
		}
	}
	return true
}

// Problems counts the failed checks.
func (r *Report) Problems() int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == Fail {
			n++
		}
	}
	return n
}

func (r *Report) add(c Check) { r.Checks = append(r.Checks, c) }

// Options say what to inspect.
type Options struct {
	// Root is the workspace root (the directory of buf.yaml).
	Root string
	// Python is the interpreter, or the virtual environment directory, to
	// inspect; empty means Root/.venv when it exists, else the
	// toolchain's environment.
	Python string
	// Toolchain is the workspace's pinned toolchain; nil when there is no
	// protoctl.lock.
	Toolchain *codegen.Toolchain
	// GoBin and PythonBin are the go and python3 commands; from PATH when
	// empty (PythonBin: $PROTOCTL_PYTHON first, as the toolchain does).
	GoBin, PythonBin string
}

// Run runs every check.
func Run(ctx context.Context, opts Options) *Report {
	r := &Report{}
	goVersion := checkGo(ctx, r, opts)
	checkPythonTool(ctx, r, opts)
	verified := checkToolchain(ctx, r, opts)
	checkGoRuntime(r, opts, goVersion)
	checkPythonRuntime(ctx, r, opts, verified)
	return r
}
