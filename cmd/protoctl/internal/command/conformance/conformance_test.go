package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/protoctl/protoctl/cmd/protoctl/internal/exit"
)

// execute runs the command with args and returns stdout and the exit code.
func execute(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := NewCommand()
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	if err != nil {
		stderr.WriteString(err.Error())
	}
	return stdout.String(), stderr.String(), exit.Code(err)
}

func TestFlagErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "xml"}, `--format "xml": want text, json or junit`},
		{[]string{"--case", "["}, `--case "[": not a valid pattern`},
		{[]string{"--python-backend", "jython"}, `--python-backend "jython": want upb, cpp or python`},
		{[]string{"--timeout", "0s"}, "--timeout 0s: must be positive"},
		{[]string{"--repeat", "0"}, "--repeat 0: must be at least 1"},
		{[]string{"--count", "0"}, "--count 0: must be at least 1"},
		{[]string{"--suites", "drift"}, `--suites "drift": want runtime or contract`},
		{[]string{"extra"}, `unknown command "extra"`},
	} {
		_, stderr, code := execute(t, tc.args...)
		if code != exit.Failure || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestRun runs the command end to end (it finds the toolchain's Python by
// itself); it is not parallel because it reads the working directory.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs both testees")
	}
	stdout, stderr, code := execute(t, "--case", "json_bool_*", "--format", "json")
	if code != exit.OK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var rep struct {
		Header struct {
			Versions map[string]string `json:"versions"`
		} `json:"header"`
		Suites   []map[string]any `json:"suites"`
		Expected []struct {
			ID        string `json:"id"`
			Reproduce string `json:"reproduce"`
		} `json:"expected"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--format json: %v\n%s", err, stdout)
	}
	wantSuites := []map[string]any{{"suite": "runtime", "passed": 0.0, "failed": 0.0, "expected": 4.0, "total": 4.0}}
	if diff := cmp.Diff(wantSuites, rep.Suites); diff != "" {
		t.Errorf("suites (-want +got):\n%s", diff)
	}
	if v := rep.Header.Versions["python protobuf"]; !strings.Contains(v, "upb") {
		t.Errorf("python protobuf version %q does not name the upb backend", v)
	}
	if len(rep.Expected) == 0 || rep.Expected[0].Reproduce != "protoctl conformance --case '"+rep.Expected[0].ID+"' --seed 1 --count 20" {
		t.Errorf("expected entries lack a reproduce command: %+v", rep.Expected)
	}

	// The drift check and the contract suite (random instances of every
	// message of the workspace).
	stdout, stderr, code = execute(t, "--suites", "contract", "--count", "2", "--format", "json")
	if code != exit.OK {
		t.Fatalf("contract suite: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var contract struct {
		Drift      []any `json:"drift"`
		Categories []struct {
			Suite    string `json:"suite"`
			Category string `json:"category"`
			Total    int    `json:"total"`
		} `json:"categories"`
	}
	if err := json.Unmarshal([]byte(stdout), &contract); err != nil {
		t.Fatal(err)
	}
	if contract.Drift == nil || len(contract.Drift) != 0 {
		t.Errorf("drift = %v, want an empty list", contract.Drift)
	}
	found, drift := false, false
	for _, c := range contract.Categories {
		drift = drift || c.Suite == "drift" && c.Total > 20
		found = found || c.Suite == "contract" && c.Category == "acme.inference.v1.PredictRequest" && c.Total == 8
		if strings.HasPrefix(c.Category, "protoctl.testing.") || c.Category == "conformance.ConformanceRequest" {
			t.Errorf("contract suite covers test message %s", c.Category)
		}
	}
	if !drift {
		t.Errorf("the drift check did not run over the contract: %+v", contract.Categories)
	}
	if !found {
		t.Errorf("contract suite lacks 8 requests for acme.inference.v1.PredictRequest (2 instances x 2 inputs x 2 outputs): %+v", contract.Categories)
	}

	// An expectation that no longer holds fails the run: exit 100.
	stale := filepath.Join(t.TempDir(), "expectations.yaml")
	if err := os.WriteFile(stale, []byte("expectations:\n  - {case: int32_max.*, runtime: python, reason: once broken, source: test}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = execute(t, "--case", "int32_max", "--expectations", stale)
	if code != exit.Findings {
		t.Fatalf("stale expectation: exit %d, want 100\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"FAIL runtime/int32_max.protobuf", "expected divergence no longer happens", "input hex:  08ffffffff07", "reproduce: protoctl conformance --case 'int32_max.protobuf' --seed 1 --count 20 --expectations " + stale, "runtime  (all)  0  2  0  2"} {
		if !strings.Contains(strings.Join(strings.Fields(stdout), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("text report lacks %q:\n%s", want, stdout)
		}
	}
}

func TestBadInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the workspace")
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "suite.yaml")
	if err := os.WriteFile(bad, []byte("suite: s\ncases:\n  - {name: a, type: a.B}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--suite", bad}, bad + ":3: case a: give exactly one of binary and json"},
		{[]string{"--suite", filepath.Join(dir, "missing.yaml")}, "missing.yaml: no such file"},
		{[]string{"--case", "no_such_case"}, `--case "no_such_case" matches no case of the suites runtime, contract`},
	} {
		_, stderr, code := execute(t, tc.args...)
		if code != exit.Failure || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
