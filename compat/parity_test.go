package compat_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/protoctl/protoctl/compat"
	"github.com/protoctl/protoctl/compile"
	"github.com/protoctl/protoctl/diag"
)

// allRules is the configuration a case runs with unless it has its own
// config.json: every category, so that one buf run covers every rule.
var allRules = compat.Config{Use: []string{"FILE", "PACKAGE", "WIRE_JSON", "WIRE"}}

// TestBufParity runs buf and Check over each previous/current pair under
// testdata and wants the same findings: rule, path, span and message.
// buf's output is kept in buf.golden.json next to the pair; it is rewritten
// with PROTOCTL_GOLDEN_UPDATE=1 and used instead of a live run only when
// buf cannot be built.
func TestBufParity(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", "previous"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases under testdata: %v", err)
	}
	update := os.Getenv("PROTOCTL_GOLDEN_UPDATE") == "1"
	buf, bufErr := pinnedBuf(t)
	if bufErr != nil {
		if update {
			t.Fatalf("cannot refresh golden files: %v", bufErr)
		}
		t.Logf("buf is not available, comparing with golden files only: %v", bufErr)
	}
	for _, prevDir := range dirs {
		dir := filepath.Dir(prevDir)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			cfg, modules, bufOnly := caseConfig(t, dir)
			golden := filepath.Join(dir, "buf.golden.json")
			var want []diag.Finding
			if bufErr == nil {
				out := runBuf(t, buf, dir, cfg, modules)
				if update {
					if err := os.WriteFile(golden, out, 0o644); err != nil {
						t.Fatal(err)
					}
				} else if g, err := os.ReadFile(golden); err != nil || !bytes.Equal(g, out) {
					t.Errorf("%s is stale (or missing): refresh it with PROTOCTL_GOLDEN_UPDATE=1", golden)
				}
				want = parseFindings(t, out)
			} else {
				g, err := os.ReadFile(golden)
				if err != nil {
					t.Fatal(err)
				}
				want = parseFindings(t, g)
			}
			want = dropDeviations(t, want, bufOnly)
			got, _, err := compat.Check(context.Background(), compileModules(t, filepath.Join(dir, "previous"), modules), compileModules(t, filepath.Join(dir, "current"), modules), cfg)
			if err != nil {
				t.Fatal(err)
			}
			// buf's output order is part of what is compared.
			if diff := cmp.Diff(diag.Set(want), got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("findings differ from buf's (-buf +protoctl):\n%s", diff)
			}
		})
	}
}

// caseConfig reads a case's config.json: the breaking configuration,
// optionally the module roots of the workspace ("modules"), and the paths
// whose buf findings protoctl drops on purpose ("buf_only", each listed in
// DEVIATIONS.md).
func caseConfig(t *testing.T, dir string) (compat.Config, []string, []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if errors.Is(err, os.ErrNotExist) {
		return allRules, nil, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		compat.Config
		Modules []string `json:"modules"`
		BufOnly []string `json:"buf_only"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatalf("%s/config.json: %v", dir, err)
	}
	return c.Config, c.Modules, c.BufOnly
}

// dropDeviations removes buf's findings in the given paths, and fails when
// buf has none there: a deviation that no longer shows must be removed.
func dropDeviations(t *testing.T, want []diag.Finding, paths []string) []diag.Finding {
	t.Helper()
	for _, p := range paths {
		n := len(want)
		want = slices.DeleteFunc(want, func(f diag.Finding) bool { return f.Path == p })
		if len(want) == n {
			t.Errorf("buf no longer reports findings in %s: remove the deviation", p)
		}
	}
	return want
}

// runBuf runs `buf breaking` from the current directory against the
// previous one with cfg as an inline v2 configuration and returns its JSON
// output.
func runBuf(t *testing.T, buf, dir string, cfg compat.Config, modules []string) []byte {
	t.Helper()
	v2 := map[string]any{"version": "v2", "breaking": cfg}
	if len(modules) > 0 {
		var ms []map[string]string
		for _, m := range modules {
			ms = append(ms, map[string]string{"path": m})
		}
		v2["modules"] = ms
	}
	conf, err := json.Marshal(v2)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"breaking", ".", "--against", "../previous", "--error-format", "json"}
	// A case with its own buf.yaml files (needed for several modules, since
	// --config does not apply to the against input) uses them instead.
	if _, err := os.Stat(filepath.Join(dir, "current", "buf.yaml")); err != nil {
		args = append(args, "--config", string(conf))
	}
	cmd := exec.Command(buf, args...)
	cmd.Dir = filepath.Join(dir, "current")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 100) {
		t.Fatalf("buf breaking in %s: %v\n%s", dir, err, stderr.Bytes())
	}
	return stdout.Bytes()
}

func parseFindings(t *testing.T, data []byte) []diag.Finding {
	t.Helper()
	var out []diag.Finding
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var f diag.Finding
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("buf output line %q: %v", sc.Text(), err)
		}
		out = append(out, f)
	}
	return out
}

func compileDir(t testing.TB, dir string) *compile.Image {
	t.Helper()
	return compileModules(t, dir, nil)
}

func compileModules(t testing.TB, dir string, modules []string) *compile.Image {
	t.Helper()
	ws := compile.Workspace{FS: os.DirFS(dir), Name: dir}
	for _, m := range modules {
		ws.Modules = append(ws.Modules, compile.Module{Path: m})
	}
	img, err := compile.Compile(context.Background(), ws, compile.Options{})
	if err != nil {
		t.Fatalf("compiling %s: %v", dir, err)
	}
	return img
}
