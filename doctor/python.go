package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/protoctl/protoctl/bufconfig"
)

func (o Options) pythonBin() string {
	if o.PythonBin != "" {
		return o.PythonBin
	}
	if p := os.Getenv("PROTOCTL_PYTHON"); p != "" {
		return p
	}
	return "python3"
}

// checkPythonTool finds the Python that hosts the generator environment.
func checkPythonTool(ctx context.Context, r *Report, opts Options) {
	bin, err := exec.LookPath(opts.pythonBin())
	if err != nil {
		r.add(Check{Name: "python", Status: Fail, Detail: opts.pythonBin() + " is not on PATH: protoctl's Python generators run in a virtual environment made with it",
			Fix: "install Python 3.10 or newer (or set PROTOCTL_PYTHON to its interpreter)"})
		return
	}
	p, err := probe(ctx, bin)
	if err != nil {
		r.add(Check{Name: "python", Status: Fail, Detail: err.Error(), Fix: "reinstall Python 3.10 or newer (or set PROTOCTL_PYTHON)"})
		return
	}
	r.add(Check{Name: "python", Status: OK, Detail: "Python " + p.Version + " at " + bin})
}

// probed is what a Python environment reports about itself.
type probed struct {
	Version  string            `json:"version"`
	Packages map[string]string `json:"packages"`
}

const probeScript = `
import json, sys
from importlib import metadata
out = {"version": "%d.%d.%d" % sys.version_info[:3], "packages": {}}
for name in sys.argv[1:]:
    try:
        out["packages"][name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        pass
print(json.dumps(out))
`

// probe runs the interpreter and asks for its version and those of the
// named distributions.
func probe(ctx context.Context, python string, packages ...string) (*probed, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, append([]string{"-I", "-c", probeScript}, packages...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("cannot run %s: %s", python, lastLine(msg))
	}
	var p probed
	if err := json.Unmarshal(out, &p); err != nil {
		return nil, fmt.Errorf("%s printed %q, not its versions", python, strings.TrimSpace(string(out)))
	}
	return &p, nil
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// interpreter turns --python (an interpreter or a venv directory) into an
// interpreter path.
func interpreter(p string) string {
	info, err := os.Stat(p)
	if err != nil || !info.IsDir() {
		return p
	}
	if runtime.GOOS == "windows" {
		return filepath.Join(p, "Scripts", "python.exe")
	}
	return filepath.Join(p, "bin", "python")
}

// runtimeEnv picks the Python environment whose runtime is checked, and
// says where it came from.
func runtimeEnv(ctx context.Context, opts Options, toolchainVerified bool) (python, source string, err error) {
	if opts.Python != "" {
		return interpreter(opts.Python), "--python", nil
	}
	venv := filepath.Join(opts.Root, ".venv")
	if _, err := os.Stat(interpreter(venv)); err == nil {
		return interpreter(venv), "the repository's .venv", nil
	}
	if opts.Toolchain != nil && toolchainVerified {
		env, err := opts.Toolchain.Python(ctx)
		if err != nil {
			return "", "", err
		}
		return env.Python, "protoctl's toolchain environment", nil
	}
	return "", "", errNoPython
}

// checkPythonRuntime compares the packages of the Python environment with
// the runtime requirements protoctl wrote for the generated code.
func checkPythonRuntime(ctx context.Context, r *Report, opts Options, toolchainVerified bool) {
	settings, err := bufconfig.ReadProtoctlYAML(os.DirFS(opts.Root), "protoctl.yaml")
	if err != nil {
		r.add(Check{Name: "python runtime", Status: Fail, Detail: err.Error()})
		return
	}
	reqFile := settings.Python.Requirements
	if reqFile == "" {
		r.add(Check{Name: "python runtime", Status: Skip, Detail: "protoctl.yaml sets no python.requirements: protoctl records no runtime range to check"})
		return
	}
	data, err := os.ReadFile(filepath.Join(opts.Root, reqFile))
	if errors.Is(err, os.ErrNotExist) {
		r.add(Check{Name: "python runtime", Status: Warn, Detail: reqFile + " does not exist: the runtime range is written by protoctl gen", Fix: "protoctl gen"})
		return
	}
	if err != nil {
		r.add(Check{Name: "python runtime", Status: Fail, Detail: err.Error()})
		return
	}
	reqs := parseRequirements(string(data))
	python, source, err := runtimeEnv(ctx, opts, toolchainVerified)
	if errors.Is(err, errNoPython) {
		r.add(Check{Name: "python runtime", Status: Skip, Detail: "no Python environment to inspect: no .venv in the workspace and no installed toolchain; pass --python",
			Fix: "python3 -m venv .venv && .venv/bin/python -m pip install -r " + reqFile})
		return
	}
	if err != nil {
		r.add(Check{Name: "python runtime", Status: Fail, Detail: err.Error()})
		return
	}
	names := make([]string, len(reqs))
	for i, q := range reqs {
		names[i] = q.name
	}
	p, err := probe(ctx, python, names...)
	if err != nil {
		r.add(Check{Name: "python runtime", Status: Fail, Detail: err.Error(), Fix: "pass --python with a working interpreter or virtual environment"})
		return
	}
	r.add(Check{Name: "python runtime", Status: OK, Detail: fmt.Sprintf("Python %s at %s (%s)", p.Version, python, source)})
	for _, q := range reqs {
		r.add(requirementCheck(q, p.Packages[q.name], python, reqFile))
	}
}

// requirementCheck checks one package against the range the generated
// code accepts.
func requirementCheck(q requirement, have, python, reqFile string) Check {
	name := "python " + q.name
	fix := fmt.Sprintf("%s -m pip install '%s'", python, q.String())
	v, ok := parseVersion(have)
	if have == "" {
		return Check{Name: name, Status: Fail, Detail: fmt.Sprintf("not installed; the generated code needs %s (%s)", q, reqFile), Fix: fix}
	}
	if !ok || !q.allows(v) {
		return Check{Name: name, Status: Fail, Detail: fmt.Sprintf("%s installed, the generated code needs %s (%s)%s", have, q, reqFile, consequence(q, v)), Fix: fix}
	}
	return Check{Name: name, Status: OK, Detail: fmt.Sprintf("%s installed, the generated code needs %s", have, q)}
}

// consequence is the error users see when importing generated code with
// a runtime outside the range: protobuf's gencode check tells a different
// major version from an older one.
func consequence(q requirement, have version) string {
	switch q.name {
	case "protobuf":
		for _, s := range q.specs {
			if s.op == ">=" && len(have) > 0 && have[0] != s.v[0] {
				return `: importing the generated code fails with "Detected mismatched Protobuf Gencode/Runtime major versions"`
			}
		}
		return `: importing the generated code fails with "Detected incompatible Protobuf Gencode/Runtime versions"`
	case "grpcio":
		return `: importing the generated *_pb2_grpc.py modules fails with "The grpc package installed is at version ..."`
	}
	return ""
}
