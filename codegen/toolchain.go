package codegen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
)

// Toolchain installs the lock's pins into the cache and hands out verified
// paths to them. It is safe for concurrent use.
type Toolchain struct {
	Lock *Lock
	// Dir is protoctl's cache directory (see CacheDir).
	Dir string
	// GoBin and PythonBin are the Go and Python used to install the pins;
	// "go" and "python3" from PATH when empty. They build and host the
	// generators; they are not generators themselves.
	GoBin, PythonBin string
	// Log receives one line per installation step; nil discards.
	Log io.Writer

	mu      sync.Mutex
	goPaths map[string]string
	py      *PythonEnv
}

// CacheDir returns protoctl's per-user cache: $PROTOCTL_CACHE_DIR, else
// $XDG_CACHE_HOME/protoctl, else the OS's user cache dir + /protoctl.
func CacheDir() (string, error) {
	if d := os.Getenv("PROTOCTL_CACHE_DIR"); d != "" {
		return filepath.Abs(d)
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "protoctl"), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: set PROTOCTL_CACHE_DIR (%w)", err)
	}
	return filepath.Join(d, "protoctl"), nil
}

// ToolchainError says that a pinned tool could not be installed or did not
// verify. Fix is the command that repairs it.
type ToolchainError struct {
	Tool string
	Msg  string
	Fix  string
}

func (e *ToolchainError) Error() string {
	s := e.Tool + ": " + e.Msg
	if e.Fix != "" {
		s += " (fix: " + e.Fix + ")"
	}
	return s
}

func (t *Toolchain) logf(format string, args ...any) {
	if t.Log != nil {
		fmt.Fprintf(t.Log, format+"\n", args...)
	}
}

func (t *Toolchain) goBin() string {
	if t.GoBin != "" {
		return t.GoBin
	}
	return "go"
}

func (t *Toolchain) pythonBin() string {
	if t.PythonBin != "" {
		return t.PythonBin
	}
	if p := os.Getenv("PROTOCTL_PYTHON"); p != "" {
		return p
	}
	return "python3"
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// goManifest records what was installed into a Go plugin's cache dir.
type goManifest struct {
	Name         string `json:"name"`
	Package      string `json:"package"`
	Version      string `json:"version"`
	Sum          string `json:"sum"`
	BinarySHA256 string `json:"binary_sha256"`
	GoVersion    string `json:"go_version"`
}

func (t *Toolchain) goDir(p GoPlugin) string {
	return filepath.Join(t.Dir, "tools", "go", p.Name+"@"+p.Version+"-"+shortHash(p.Sum))
}

// GoPlugin returns the path of the pinned, verified binary of the named
// plugin, installing it first if the cache does not have it.
func (t *Toolchain) GoPlugin(ctx context.Context, name string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p, ok := t.goPaths[name]; ok {
		return p, nil
	}
	pin, ok := t.Lock.GoPlugin(name)
	if !ok {
		return "", &ToolchainError{Tool: name, Msg: "not pinned in " + LockFileName, Fix: "protoctl toolchain upgrade --add " + name + "=<module/cmd/path>@<version>"}
	}
	dir := t.goDir(pin)
	bin, err := t.verifyGo(pin, dir)
	if errors.Is(err, fs.ErrNotExist) {
		unlock, lerr := t.lockInstalls()
		if lerr != nil {
			return "", lerr
		}
		// Another process may have installed it while we waited.
		if bin, err = t.verifyGo(pin, dir); errors.Is(err, fs.ErrNotExist) {
			if err = t.installGo(ctx, pin, dir); err == nil {
				bin, err = t.verifyGo(pin, dir)
			}
		}
		unlock()
	}
	if err != nil {
		return "", err
	}
	if t.goPaths == nil {
		t.goPaths = map[string]string{}
	}
	t.goPaths[name] = bin
	return bin, nil
}

func (t *Toolchain) verifyGo(pin GoPlugin, dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return "", err
	}
	fix := "protoctl toolchain install --force"
	var m goManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return "", &ToolchainError{Tool: pin.Name, Msg: "cache manifest " + filepath.Join(dir, "manifest.json") + " is corrupt", Fix: fix}
	}
	if m.Package != pin.Package || m.Version != pin.Version || m.Sum != pin.Sum {
		return "", &ToolchainError{Tool: pin.Name, Msg: fmt.Sprintf("cached build in %s is %s@%s (%s), the lock pins %s@%s (%s)", dir, m.Package, m.Version, m.Sum, pin.Package, pin.Version, pin.Sum), Fix: fix}
	}
	bin := filepath.Join(dir, "bin", pin.Name)
	got, err := fileSHA256(bin)
	if err != nil {
		return "", &ToolchainError{Tool: pin.Name, Msg: "cached binary unreadable: " + err.Error(), Fix: fix}
	}
	if got != m.BinarySHA256 {
		return "", &ToolchainError{Tool: pin.Name, Msg: fmt.Sprintf("cached binary %s does not match the build recorded for %s@%s (sha256 %s, recorded %s): refusing to run it", bin, pin.Package, pin.Version, got, m.BinarySHA256), Fix: fix}
	}
	return bin, nil
}

// hermeticGoEnv makes the go command verify modules against the checksum
// database whatever the user's environment says, and never switch
// toolchains behind our back.
func hermeticGoEnv(extra ...string) []string {
	drop := map[string]bool{"GOFLAGS": true, "GONOSUMDB": true, "GONOSUMCHECK": true, "GOPRIVATE": true, "GOINSECURE": true, "GOTOOLCHAIN": true, "GOWORK": true, "GOBIN": true}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if drop[k] {
			continue
		}
		if k == "GOSUMDB" && strings.HasPrefix(strings.TrimPrefix(kv, "GOSUMDB="), "off") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=-mod=mod")
	return append(env, extra...)
}

func (t *Toolchain) installGo(ctx context.Context, pin GoPlugin, dir string) error {
	t.logf("protoctl: installing %s %s (%s)", pin.Name, pin.Version, pin.Module)
	fix := "check network access to the Go module proxy, or GOPROXY"
	// Download the module; the go command checks it against the checksum
	// database. Then compare with the lock.
	out, err := t.run(ctx, hermeticGoEnv(), "", t.goBin(), "mod", "download", "-json", pin.Module+"@"+pin.Version)
	var dl struct{ Sum, Error string }
	_ = json.Unmarshal(out, &dl)
	if err != nil || dl.Error != "" {
		msg := dl.Error
		if msg == "" {
			msg = err.Error()
		}
		return &ToolchainError{Tool: pin.Name, Msg: "download " + pin.Module + "@" + pin.Version + ": " + msg, Fix: fix}
	}
	if dl.Sum != pin.Sum {
		return &ToolchainError{Tool: pin.Name, Msg: fmt.Sprintf("%s@%s has sum %s but the lock pins %s: refusing to build it", pin.Module, pin.Version, dl.Sum, pin.Sum), Fix: "protoctl toolchain upgrade, after checking why the lock changed"}
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".install-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	binDir := filepath.Join(tmp, "bin")
	if _, err := t.run(ctx, hermeticGoEnv("GOBIN="+binDir, "GOFLAGS=-mod=mod -trimpath"), "", t.goBin(), "install", pin.Package+"@"+pin.Version); err != nil {
		return &ToolchainError{Tool: pin.Name, Msg: "build " + pin.Package + "@" + pin.Version + ": " + err.Error(), Fix: fix}
	}
	bin := filepath.Join(binDir, pin.Name)
	if _, err := os.Stat(bin); err != nil {
		return &ToolchainError{Tool: pin.Name, Msg: fmt.Sprintf("building %s produced no binary named %s", pin.Package, pin.Name)}
	}
	sum, err := fileSHA256(bin)
	if err != nil {
		return err
	}
	goVersion, _ := t.run(ctx, hermeticGoEnv(), "", t.goBin(), "env", "GOVERSION")
	m := goManifest{Name: pin.Name, Package: pin.Package, Version: pin.Version, Sum: pin.Sum, BinarySHA256: sum, GoVersion: strings.TrimSpace(string(goVersion))}
	if err := writeJSON(filepath.Join(tmp, "manifest.json"), m); err != nil {
		return err
	}
	return publishDir(tmp, dir)
}

// publishDir moves a fully prepared directory into place. If another
// process won the race, its result is kept and ours is dropped.
func publishDir(tmp, dir string) error {
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "manifest.json")); statErr == nil {
			return nil
		}
		// A leftover without a manifest is an interrupted install.
		if rmErr := os.RemoveAll(dir); rmErr != nil {
			return err
		}
		return os.Rename(tmp, dir)
	}
	return nil
}

// lockInstalls takes an exclusive lock on the cache's tools directory, so
// that concurrent protoctl processes install each pin once.
func (t *Toolchain) lockInstalls() (func(), error) {
	dir := filepath.Join(t.Dir, "tools")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, ".install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// PythonEnv is the pinned, verified Python generator environment.
type PythonEnv struct {
	// Python is the environment's interpreter.
	Python string
	// Dir is the environment's root.
	Dir string
}

type pyManifest struct {
	Digest        string `json:"digest"`
	PythonVersion string `json:"python_version"`
	// Protoc is the path of grpcio-tools' compiled protoc module,
	// relative to the environment, and its sha256 as the wheel's RECORD
	// lists it (the wheel itself was hash-checked by pip).
	Protoc       string `json:"protoc"`
	ProtocSHA256 string `json:"protoc_sha256"`
}

func (t *Toolchain) pyDir(ctx context.Context) (string, string, error) {
	out, err := t.run(ctx, nil, "", t.pythonBin(), "-c", "import sys; print('%d.%d' % sys.version_info[:2])")
	if err != nil {
		return "", "", &ToolchainError{Tool: "python", Msg: "cannot run " + t.pythonBin() + ": " + err.Error(), Fix: "install Python 3.10 or newer, or set PROTOCTL_PYTHON"}
	}
	ver := strings.TrimSpace(string(out))
	// A virtualenv's scripts name its real path in their #! line, so the
	// environment lives at the resolved path of the tools directory.
	tools := filepath.Join(t.Dir, "tools")
	if err := os.MkdirAll(tools, 0o755); err != nil {
		return "", "", err
	}
	if real, err := filepath.EvalSymlinks(tools); err == nil {
		tools = real
	}
	return filepath.Join(tools, "python", shortHash(t.Lock.Python.digest())+"-py"+ver), ver, nil
}

// Python returns the pinned Python generator environment, installing it
// first if the cache does not have it.
func (t *Toolchain) Python(ctx context.Context) (*PythonEnv, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.py != nil {
		return t.py, nil
	}
	if t.Lock.Python == nil {
		return nil, &ToolchainError{Tool: "python generators", Msg: "not pinned in " + LockFileName, Fix: "protoctl toolchain upgrade --python grpcio-tools==<version>"}
	}
	dir, ver, err := t.pyDir(ctx)
	if err != nil {
		return nil, err
	}
	env, err := t.verifyPython(dir)
	if errors.Is(err, fs.ErrNotExist) {
		unlock, lerr := t.lockInstalls()
		if lerr != nil {
			return nil, lerr
		}
		if env, err = t.verifyPython(dir); errors.Is(err, fs.ErrNotExist) {
			if err = t.installPython(ctx, dir, ver); err == nil {
				env, err = t.verifyPython(dir)
			}
		}
		unlock()
	}
	if err != nil {
		return nil, err
	}
	t.py = env
	return env, nil
}

func (t *Toolchain) verifyPython(dir string) (*PythonEnv, error) {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	fix := "protoctl toolchain install --force"
	var m pyManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, &ToolchainError{Tool: "grpcio-tools", Msg: "cache manifest " + filepath.Join(dir, "manifest.json") + " is corrupt", Fix: fix}
	}
	if m.Digest != t.Lock.Python.digest() {
		return nil, &ToolchainError{Tool: "grpcio-tools", Msg: "cached environment " + dir + " was installed for other pins", Fix: fix}
	}
	got, err := fileSHA256(filepath.Join(dir, m.Protoc))
	if err != nil {
		return nil, &ToolchainError{Tool: "grpcio-tools", Msg: "cached protoc unreadable: " + err.Error(), Fix: fix}
	}
	if got != m.ProtocSHA256 {
		return nil, &ToolchainError{Tool: "grpcio-tools", Msg: fmt.Sprintf("cached %s does not match the pinned wheel (sha256 %s, wheel RECORD has %s): refusing to run it", filepath.Join(dir, m.Protoc), got, m.ProtocSHA256), Fix: fix}
	}
	py := filepath.Join(dir, "venv", "bin", "python")
	if runtime.GOOS == "windows" {
		py = filepath.Join(dir, "venv", "Scripts", "python.exe")
	}
	return &PythonEnv{Python: py, Dir: dir}, nil
}

func (t *Toolchain) installPython(ctx context.Context, dir, ver string) error {
	pins := t.Lock.Python
	var names []string
	for _, p := range pins.Packages {
		names = append(names, p.Name+"=="+p.Version)
	}
	t.logf("protoctl: installing Python generators (%s) for Python %s", strings.Join(names, ", "), ver)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	// A virtualenv records its own path, so it is built where it will live,
	// under a name no reader looks at, and only the manifest publishes it.
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fail := func(msg string) error {
		_ = os.RemoveAll(dir)
		return &ToolchainError{Tool: "grpcio-tools", Msg: msg, Fix: "check network access to PyPI (or your pip index)"}
	}
	venv := filepath.Join(dir, "venv")
	if _, err := t.run(ctx, nil, "", t.pythonBin(), "-m", "venv", venv); err != nil {
		return fail("create virtualenv: " + err.Error())
	}
	req := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(req, []byte(pins.requirements()), 0o644); err != nil {
		return fail(err.Error())
	}
	py := filepath.Join(venv, "bin", "python")
	if _, err := t.run(ctx, append(os.Environ(), "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1"), "", py, "-m", "pip", "install", "--quiet",
		"--no-deps", "--require-hashes", "--only-binary=:all:", "-r", req); err != nil {
		return fail("pip install of the pinned wheels: " + err.Error())
	}
	rel, sum, err := protocRecord(venv)
	if err != nil {
		return fail(err.Error())
	}
	got, err := fileSHA256(filepath.Join(venv, rel))
	if err != nil || got != sum {
		return fail(fmt.Sprintf("installed %s does not match the wheel's RECORD", rel))
	}
	m := pyManifest{Digest: pins.digest(), PythonVersion: ver, Protoc: filepath.Join("venv", rel), ProtocSHA256: sum}
	return writeJSON(filepath.Join(dir, "manifest.json"), m)
}

// protocRecord finds grpcio-tools' compiled protoc in the environment and
// the sha256 its wheel RECORD lists for it.
func protocRecord(venv string) (string, string, error) {
	records, _ := filepath.Glob(filepath.Join(venv, "lib", "python*", "site-packages", "grpcio_tools-*.dist-info", "RECORD"))
	if len(records) != 1 {
		return "", "", errors.New("grpcio-tools is not installed in the environment")
	}
	data, err := os.ReadFile(records[0])
	if err != nil {
		return "", "", err
	}
	site := filepath.Dir(filepath.Dir(records[0]))
	for _, line := range strings.Split(string(data), "\n") {
		parts := strings.Split(line, ",")
		if len(parts) < 2 || !strings.HasPrefix(parts[0], "grpc_tools/_protoc_compiler") {
			continue
		}
		b64, ok := strings.CutPrefix(parts[1], "sha256=")
		if !ok {
			continue
		}
		raw, err := base64.RawURLEncoding.DecodeString(b64)
		if err != nil {
			return "", "", err
		}
		rel, err := filepath.Rel(venv, filepath.Join(site, filepath.FromSlash(parts[0])))
		if err != nil {
			return "", "", err
		}
		return rel, hex.EncodeToString(raw), nil
	}
	return "", "", errors.New("grpcio-tools' RECORD lists no compiled protoc")
}

// run executes a command and returns its stdout; the error carries the
// tail of stderr.
func (t *Toolchain) run(ctx context.Context, env []string, dir, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%w: %s", err, tail(stderr.String(), 2000))
	}
	return out, nil
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// PluginPath returns the verified executable of a pinned local plugin: a
// Go plugin's binary, or a console script of the pinned Python
// environment.
func (t *Toolchain) PluginPath(ctx context.Context, name string) (string, error) {
	if _, ok := t.Lock.GoPlugin(name); !ok && t.Lock.HasPythonPlugin(name) {
		env, err := t.Python(ctx)
		if err != nil {
			return "", err
		}
		p := filepath.Join(filepath.Dir(env.Python), name)
		if _, err := os.Stat(p); err != nil {
			return "", &ToolchainError{Tool: name, Msg: "the pinned Python environment has no " + name + " script", Fix: "protoctl toolchain install --force"}
		}
		return p, nil
	}
	return t.GoPlugin(ctx, name)
}

// ToolStatus is one line of `protoctl toolchain list`.
type ToolStatus struct {
	Name, Kind, Version, State string
}

// Status reports each pin and whether its cached install verifies. It
// installs nothing.
func (t *Toolchain) Status(ctx context.Context) []ToolStatus {
	var out []ToolStatus
	state := func(err error) string {
		switch {
		case err == nil:
			return "installed, verified"
		case errors.Is(err, fs.ErrNotExist):
			return "not installed"
		default:
			return "BROKEN: " + err.Error()
		}
	}
	for _, p := range t.Lock.Go {
		_, err := t.verifyGo(p, t.goDir(p))
		out = append(out, ToolStatus{Name: p.Name, Kind: "go " + p.Package, Version: p.Version, State: state(err)})
	}
	if py := t.Lock.Python; py != nil {
		var err error
		dir, _, derr := t.pyDir(ctx)
		if derr != nil {
			err = derr
		} else {
			_, err = t.verifyPython(dir)
		}
		for _, pkg := range py.Packages {
			kind := "python"
			if pkg.Name == "grpcio-tools" {
				kind = "python (protoc " + strings.Join(py.Builtins, ", ") + ")"
			}
			out = append(out, ToolStatus{Name: pkg.Name, Kind: kind, Version: pkg.Version, State: state(err)})
		}
	}
	return out
}

// InstallAll installs every pin that is not installed yet.
func (t *Toolchain) InstallAll(ctx context.Context) error {
	for _, p := range t.Lock.Go {
		if _, err := t.GoPlugin(ctx, p.Name); err != nil {
			return err
		}
	}
	if t.Lock.Python != nil {
		if _, err := t.Python(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Uninstall removes the cached installs of the lock's pins.
func (t *Toolchain) Uninstall() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range t.Lock.Go {
		if err := os.RemoveAll(t.goDir(p)); err != nil {
			return err
		}
	}
	t.goPaths = nil
	t.py = nil
	if t.Lock.Python != nil {
		dirs, _ := filepath.Glob(filepath.Join(t.Dir, "tools", "python", shortHash(t.Lock.Python.digest())+"-py*"))
		for _, d := range dirs {
			if err := os.RemoveAll(d); err != nil {
				return err
			}
		}
	}
	return nil
}
