package codegen

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// DefaultGoPlugins are pinned by `protoctl toolchain upgrade` when the lock
// has no Go plugins yet: name -> package@version ("latest" resolves).
var DefaultGoPlugins = []string{
	"protoc-gen-go=google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12",
	"protoc-gen-go-grpc=google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2",
}

// DefaultPython is what the managed Python environment pins when the lock
// has none: grpcio-tools (protoc with the python, pyi and grpc_python
// generators), mypy-protobuf (typed stubs for the gRPC modules), and the
// runtime of the reference server (python/src/protoctl_server) so that Go
// tests can run it with the same interpreter: health checking, reflection,
// rich status details, Prometheus metrics, and JWT verification (PyJWT on
// cryptography, which also serves the server's TLS tests).
var DefaultPython = []string{
	"grpcio-tools==1.85.1",
	"mypy-protobuf==5.1.0",
	"grpcio-health-checking==1.85.1",
	"grpcio-reflection==1.85.1",
	"grpcio-status==1.85.3",
	"prometheus-client==0.26.0",
	"pyjwt==2.15.1",
	"cryptography==46.0.7",
}

// pythonPlugins are the protoc plugins known packages install as scripts.
var pythonPlugins = map[string][]string{
	"mypy-protobuf": {"protoc-gen-mypy", "protoc-gen-mypy_grpc"},
}

// Upgrade describes how to move the pins.
type Upgrade struct {
	// Go lists name=package@version entries to pin (version may be
	// "latest"); plugins already pinned and not listed keep their pin.
	Go []string
	// Python lists requirement specs ("grpcio-tools==X", "mypy-protobuf")
	// for the generator environment; they are resolved together by pip and
	// every resulting package is pinned exactly. It must name grpcio-tools.
	Python []string
	// PyPI is the simple index used for file hashes (default
	// https://pypi.org/simple, or $PROTOCTL_PYPI_URL).
	PyPI string
}

// UpgradeLock computes a new lock from the current one (nil for none).
func (t *Toolchain) UpgradeLock(ctx context.Context, cur *Lock, u Upgrade) (*Lock, error) {
	next := &Lock{Version: "v1"}
	if cur != nil {
		next.Go = slices.Clone(cur.Go)
		next.Python = cur.Python
	}
	specs := u.Go
	if cur == nil || len(cur.Go) == 0 {
		specs = append(slices.Clone(DefaultGoPlugins), specs...)
	}
	for _, spec := range specs {
		pin, err := t.resolveGo(ctx, spec)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(next.Go, func(p GoPlugin) bool { return p.Name == pin.Name })
		if i >= 0 {
			next.Go[i] = pin
		} else {
			next.Go = append(next.Go, pin)
		}
	}
	slices.SortFunc(next.Go, func(a, b GoPlugin) int { return strings.Compare(a.Name, b.Name) })
	pySpec := u.Python
	if len(pySpec) == 0 && next.Python == nil {
		pySpec = DefaultPython
	}
	if len(pySpec) > 0 {
		py, err := t.resolvePython(ctx, pySpec, u.PyPI)
		if err != nil {
			return nil, err
		}
		next.Python = py
	}
	data, err := next.Marshal()
	if err != nil {
		return nil, err
	}
	return ParseLock(LockFileName, data)
}

// resolveGo turns name=package@version into a pin: the version resolved
// by the module proxy, the module found by asking the go command, and the
// sum the checksum database vouches for.
func (t *Toolchain) resolveGo(ctx context.Context, spec string) (GoPlugin, error) {
	name, rest, ok := strings.Cut(spec, "=")
	pkg, version, ok2 := strings.Cut(rest, "@")
	if !ok || !ok2 || name == "" || pkg == "" || version == "" {
		return GoPlugin{}, fmt.Errorf("go plugin %q: want name=package@version", spec)
	}
	tmp, err := os.MkdirTemp("", "protoctl-resolve-")
	if err != nil {
		return GoPlugin{}, err
	}
	defer os.RemoveAll(tmp)
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), []byte("module resolve\n"), 0o644); err != nil {
		return GoPlugin{}, err
	}
	if _, err := t.run(ctx, hermeticGoEnv(), tmp, t.goBin(), "get", pkg+"@"+version); err != nil {
		return GoPlugin{}, fmt.Errorf("go plugin %s: resolve %s@%s: %v", name, pkg, version, err)
	}
	out, err := t.run(ctx, hermeticGoEnv(), tmp, t.goBin(), "list", "-f", "{{.Module.Path}} {{.Module.Version}}", pkg)
	if err != nil {
		return GoPlugin{}, fmt.Errorf("go plugin %s: %v", name, err)
	}
	fields := strings.Fields(string(out))
	if len(fields) != 2 {
		return GoPlugin{}, fmt.Errorf("go plugin %s: cannot tell the module of %s", name, pkg)
	}
	mod, ver := fields[0], fields[1]
	dlOut, err := t.run(ctx, hermeticGoEnv(), tmp, t.goBin(), "mod", "download", "-json", mod+"@"+ver)
	if err != nil {
		return GoPlugin{}, fmt.Errorf("go plugin %s: download %s@%s: %v", name, mod, ver, err)
	}
	var dl struct{ Sum string }
	if err := json.Unmarshal(dlOut, &dl); err != nil || dl.Sum == "" {
		return GoPlugin{}, fmt.Errorf("go plugin %s: no checksum for %s@%s", name, mod, ver)
	}
	return GoPlugin{Name: name, Package: pkg, Module: mod, Version: ver, Sum: dl.Sum}, nil
}

// resolvePython asks pip which exact versions the generator needs
// (without installing anything) and records, for each, the sha256 of every
// file the index publishes for that version, so the lock installs on any
// platform the release supports.
func (t *Toolchain) resolvePython(ctx context.Context, specs []string, index string) (*PyPins, error) {
	tmp, err := os.MkdirTemp("", "protoctl-resolve-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	venv := filepath.Join(tmp, "venv")
	if _, err := t.run(ctx, nil, "", t.pythonBin(), "-m", "venv", venv); err != nil {
		return nil, fmt.Errorf("python: create virtualenv: %v", err)
	}
	report := filepath.Join(tmp, "report.json")
	args := append([]string{"-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed", "--only-binary=:all:", "--report", report}, specs...)
	if _, err := t.run(ctx, append(os.Environ(), "PIP_DISABLE_PIP_VERSION_CHECK=1"), "", filepath.Join(venv, "bin", "python"), args...); err != nil {
		return nil, fmt.Errorf("python: resolve %s: %v", strings.Join(specs, " "), err)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		return nil, err
	}
	var r struct {
		Install []struct {
			Metadata struct{ Name, Version string } `json:"metadata"`
		} `json:"install"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("python: read pip's report: %v", err)
	}
	if index == "" {
		index = os.Getenv("PROTOCTL_PYPI_URL")
	}
	if index == "" {
		index = "https://pypi.org/simple"
	}
	py := &PyPins{Builtins: slices.Clone(knownBuiltins)}
	for _, inst := range r.Install {
		hashes, err := releaseHashes(ctx, index, inst.Metadata.Name, inst.Metadata.Version)
		if err != nil {
			return nil, err
		}
		name := normalizePyName(inst.Metadata.Name)
		py.Packages = append(py.Packages, PyPackage{Name: name, Version: inst.Metadata.Version, Hashes: hashes})
		py.Plugins = append(py.Plugins, pythonPlugins[name]...)
	}
	slices.Sort(py.Plugins)
	slices.SortFunc(py.Packages, func(a, b PyPackage) int { return strings.Compare(a.Name, b.Name) })
	return py, nil
}

// releaseHashes lists the sha256 of every file an index publishes for one
// version of a package, through the index's JSON simple API (PEP 691),
// which PyPI and its mirrors serve.
func releaseHashes(ctx context.Context, index, name, version string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	url := strings.TrimSuffix(index, "/") + "/" + normalizePyName(name) + "/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.pypi.simple.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("python: hashes of %s %s: %v", name, version, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("python: hashes of %s %s: %s answered %s", name, version, url, resp.Status)
	}
	var project struct {
		Files []struct {
			Filename string            `json:"filename"`
			Hashes   map[string]string `json:"hashes"`
		} `json:"files"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&project); err != nil {
		return nil, fmt.Errorf("python: hashes of %s %s: %s is not a JSON simple index: %v", name, version, url, err)
	}
	var out []string
	for _, f := range project.Files {
		if fileVersion(f.Filename, name) == version && f.Hashes["sha256"] != "" {
			out = append(out, "sha256:"+f.Hashes["sha256"])
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("python: %s lists no files of %s %s", url, name, version)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// fileVersion extracts the version from a wheel or sdist file name of the
// named project, or "" when the file is not one of its distributions.
func fileVersion(filename, name string) string {
	norm := strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(name)) + "-"
	lower := strings.ToLower(filename)
	if strings.HasSuffix(lower, ".whl") {
		parts := strings.Split(filename, "-")
		if len(parts) < 5 || normalizePyName(parts[0])+"-" != norm {
			return ""
		}
		return parts[1]
	}
	for _, ext := range []string{".tar.gz", ".zip"} {
		if !strings.HasSuffix(lower, ext) {
			continue
		}
		base := filename[:len(filename)-len(ext)]
		i := strings.LastIndex(base, "-")
		if i < 0 || normalizePyName(base[:i])+"-" != norm {
			return ""
		}
		return base[i+1:]
	}
	return ""
}
