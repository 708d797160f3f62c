package release

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The CI workflows users copy (.github/workflows) are checked with
// actionlint, pinned here and installed from the Go module proxy (the go
// command verifies it against the checksum database). Go skips
// directories that start with a dot, so the test lives in the package of
// the release workflow. shellcheck and pyflakes integrations are off: the
// result must not depend on what else the machine has installed.
const actionlintVersion = "v1.7.12"

var (
	actionlintOnce sync.Once
	actionlintBin  string
	actionlintErr  error
)

// actionlint installs the pinned actionlint once per machine, under the
// user cache, and returns its path.
func actionlint(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not installed: actionlint is installed with it")
	}
	actionlintOnce.Do(func() {
		base, err := os.UserCacheDir()
		if err != nil {
			actionlintErr = err
			return
		}
		dir := filepath.Join(base, "protoctl-test", "actionlint-"+actionlintVersion)
		bin := filepath.Join(dir, "actionlint")
		if _, err := os.Stat(bin); err == nil {
			actionlintBin = bin
			return
		}
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			actionlintErr = err
			return
		}
		tmp, err := os.MkdirTemp(filepath.Dir(dir), ".actionlint-")
		if err != nil {
			actionlintErr = err
			return
		}
		defer os.RemoveAll(tmp)
		cmd := exec.Command("go", "install", "github.com/rhysd/actionlint/cmd/actionlint@"+actionlintVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=-mod=mod", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			actionlintErr = &installError{out: string(out), err: err}
			return
		}
		if err := os.Rename(tmp, dir); err != nil {
			if _, statErr := os.Stat(bin); statErr != nil {
				actionlintErr = err
				return
			}
		}
		actionlintBin = bin
	})
	if actionlintErr != nil {
		t.Fatalf("installing actionlint %s: %v", actionlintVersion, actionlintErr)
	}
	return actionlintBin
}

type installError struct {
	out string
	err error
}

func (e *installError) Error() string { return e.err.Error() + "\n" + e.out }

// lint runs actionlint on the files and returns its exit code and output.
func lint(t *testing.T, files ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(actionlint(t), append([]string{"-no-color", "-shellcheck=", "-pyflakes="}, files...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
}

func workflows(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../.github/workflows/*.y*ml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("workflows: %v, want ci.yml and release.yml at least", files)
	}
	return files
}

func TestWorkflowsPassActionlint(t *testing.T) {
	t.Parallel()
	for _, f := range workflows(t) {
		if code, out := lint(t, f); code != 0 || out != "" {
			t.Errorf("actionlint %s: exit %d\n%s", f, code, out)
		}
	}
}

// TestActionlintCatchesBrokenWorkflow proves the check can fail: copies of
// the workflows with one mistake each are rejected, naming the mistake.
func TestActionlintCatchesBrokenWorkflow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, old, new, want string
	}{
		{"bad expression", "ci.yml", "${{ github.base_ref }}", "${{ github.base_reff }}", `property "base_reff" is not defined`},
		{"unclosed expression", "release.yml", "${{ github.ref_name }}", "${{ github.ref_name }", "got unexpected EOF while lexing end marker }}"},
		{"unknown runner key", "ci.yml", "runs-on: ubuntu-latest", "run-on: ubuntu-latest", `unexpected key "run-on"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("../.github/workflows", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(data, []byte(tt.old)) {
				t.Fatalf("%s has no %q to break", tt.file, tt.old)
			}
			broken := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(broken, bytes.Replace(data, []byte(tt.old), []byte(tt.new), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out := lint(t, broken)
			if code == 0 || !strings.Contains(out, tt.want) {
				t.Errorf("actionlint on a broken %s: exit %d, want a finding %q:\n%s", tt.file, code, tt.want, out)
			}
		})
	}
}
