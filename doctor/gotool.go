package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

func (o Options) goBin() string {
	if o.GoBin != "" {
		return o.GoBin
	}
	return "go"
}

// checkGo finds the go command and returns its version ("go1.26.0"), or
// "" when there is none.
func checkGo(ctx context.Context, r *Report, opts Options) string {
	bin, err := exec.LookPath(opts.goBin())
	if err != nil {
		r.add(Check{Name: "go", Status: Fail, Detail: opts.goBin() + " is not on PATH: the Go plugins of protoctl.lock are built with it",
			Fix: "install Go from https://go.dev/dl/ and put it on PATH"})
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "env", "GOVERSION")
	// The local toolchain, not one a go.mod would switch to.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.Output()
	if err != nil {
		r.add(Check{Name: "go", Status: Fail, Detail: "cannot run " + bin + ": " + err.Error(), Fix: "reinstall Go from https://go.dev/dl/"})
		return ""
	}
	v := strings.TrimSpace(string(out))
	r.add(Check{Name: "go", Status: OK, Detail: v + " at " + bin})
	return v
}

// goModule is what doctor reads from a go.mod.
type goModule struct {
	path    string
	goVer   string
	require map[string]string
}

// findGoMod returns the nearest go.mod at or above dir.
func findGoMod(dir string) (string, bool) {
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "go.mod")
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// readGoMod reads the go directive and the required versions, with
// replacements by version applied. Only the parts doctor needs are parsed.
func readGoMod(name string) (*goModule, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	m := &goModule{path: name, require: map[string]string{}}
	replace := map[string]string{}
	block := ""
	for line := range strings.SplitSeq(string(data), "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if block != "" {
			if f[0] == ")" {
				block = ""
				continue
			}
			f = append([]string{block}, f...)
		} else if len(f) == 2 && f[1] == "(" {
			block = f[0]
			continue
		}
		switch {
		case f[0] == "go" && len(f) == 2:
			m.goVer = f[1]
		case f[0] == "require" && len(f) >= 3:
			m.require[f[1]] = f[2]
		case f[0] == "replace":
			// replace old [v] => new v: only a replacement by version moves
			// the version of the module doctor compares.
			if i := indexOf(f, "=>"); i > 0 && len(f) == i+3 && f[i+1] == f[1] {
				replace[f[1]] = f[i+2]
			}
		}
	}
	for p, v := range replace {
		if _, ok := m.require[p]; ok {
			m.require[p] = v
		}
	}
	return m, nil
}

func indexOf(f []string, s string) int {
	for i, x := range f {
		if x == s {
			return i
		}
	}
	return -1
}

const (
	goProtobuf = "google.golang.org/protobuf"
	goGRPC     = "google.golang.org/grpc"
)

// grpcRequiresRE is the line protoc-gen-go-grpc writes into generated code.
var grpcRequiresRE = regexp.MustCompile(`(?m)^// Requires gRPC-Go (v[0-9][0-9.]*) or later\.`)

// checkGoRuntime compares the go.mod of the Go module holding the
// workspace with what the pinned generators need.
func checkGoRuntime(r *Report, opts Options, goVersion string) {
	name, ok := findGoMod(opts.Root)
	if !ok {
		r.add(Check{Name: "go.mod", Status: Skip, Detail: "no go.mod at or above " + opts.Root + ": no Go module uses the generated code here"})
		return
	}
	mod, err := readGoMod(name)
	if err != nil {
		r.add(Check{Name: "go.mod", Status: Fail, Detail: fmt.Sprintf("%s: %v", name, err)})
		return
	}
	dir := filepath.Dir(name)
	if goVersion != "" && mod.goVer != "" {
		have, _ := parseVersion(goVersion)
		want, _ := parseVersion(mod.goVer)
		if have.compare(want) < 0 {
			r.add(Check{Name: "go.mod go", Status: Warn,
				Detail: fmt.Sprintf("%s needs go %s, the installed Go is %s (the go command downloads a newer toolchain unless GOTOOLCHAIN=local)", name, mod.goVer, goVersion),
				Fix:    "install Go " + mod.goVer + " or newer from https://go.dev/dl/"})
		}
	}
	if opts.Toolchain != nil {
		if pin, ok := opts.Toolchain.Lock.GoPlugin("protoc-gen-go"); ok {
			r.add(requireAtLeast(mod, dir, goProtobuf, pin.Version, "protoc-gen-go "+pin.Version+" (protoctl.lock)"))
		}
	}
	if need, files := grpcNeed(opts.Root); need != "" {
		r.add(requireAtLeast(mod, dir, goGRPC, need, fmt.Sprintf("generated *_grpc.pb.go (%s)", plural(files, "file"))))
	}
}

// requireAtLeast checks that go.mod requires module at min or later.
func requireAtLeast(mod *goModule, dir, module, min, who string) Check {
	name := "go " + module
	fix := fmt.Sprintf("cd %s && go get %s@%s && go mod tidy", dir, module, min)
	have, ok := mod.require[module]
	if !ok {
		return Check{Name: name, Status: Fail, Detail: fmt.Sprintf("%s does not require %s; %s needs %s or later", mod.path, module, who, min), Fix: fix}
	}
	hv, _ := parseVersion(have)
	mv, _ := parseVersion(min)
	if hv.compare(mv) < 0 {
		return Check{Name: name, Status: Fail, Detail: fmt.Sprintf("%s in go.mod, %s needs %s or later", have, who, min), Fix: fix}
	}
	return Check{Name: name, Status: OK, Detail: fmt.Sprintf("%s in go.mod, %s needs %s or later", have, who, min)}
}

// grpcNeed scans the generated Go gRPC code under root for the gRPC-Go
// version it requires, returning the highest and the number of files.
func grpcNeed(root string) (string, int) {
	var best version
	need, files := "", 0
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", ".venv", "node_modules", ".cache":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(d.Name(), "_grpc.pb.go") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		if m := grpcRequiresRE.FindSubmatch(data); m != nil {
			files++
			if v, ok := parseVersion(string(m[1])); ok && v.compare(best) > 0 {
				best, need = v, string(m[1])
			}
		}
		return nil
	})
	return need, files
}

var errNoPython = errors.New("no python")

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
