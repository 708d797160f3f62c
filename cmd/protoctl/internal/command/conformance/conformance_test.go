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
			Runtimes   map[string]map[string]string `json:"runtimes"`
			Generators map[string]string            `json:"generators"`
		} `json:"header"`
		PeakRSS  map[string]int64 `json:"peak_rss_bytes"`
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
	if rt := rep.Header.Runtimes; rt["python"]["backend"] != "upb" || rt["python"]["protobuf"] == "" || rt["python"]["grpcio"] == "" || !strings.HasPrefix(rt["go"]["google.golang.org/protobuf"], "v1.") {
		t.Errorf("header runtimes = %v, want the go protobuf module, python protobuf, its upb backend and grpcio", rt)
	}
	for _, g := range []string{"protoc-gen-go", "protoc-gen-go-grpc", "grpcio-tools", "mypy-protobuf"} {
		if rep.Header.Generators[g] == "" {
			t.Errorf("header generators = %v, want %s from protoctl.lock", rep.Header.Generators, g)
		}
	}
	if rep.PeakRSS["driver"] <= 0 || rep.PeakRSS["go"] <= 0 || rep.PeakRSS["python"] <= 0 {
		t.Errorf("peak_rss_bytes = %v, want the driver and both testees", rep.PeakRSS)
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
		found = found || c.Suite == "contract" && c.Category == "acme.inference.v1.PredictRequest" && c.Total == 16
		if strings.HasPrefix(c.Category, "protoctl.testing.") || c.Category == "conformance.ConformanceRequest" {
			t.Errorf("contract suite covers test message %s", c.Category)
		}
	}
	if !drift {
		t.Errorf("the drift check did not run over the contract: %+v", contract.Categories)
	}
	if !found {
		t.Errorf("contract suite lacks 16 requests for acme.inference.v1.PredictRequest (2 instances x 2 origins x 2 inputs x 2 outputs): %+v", contract.Categories)
	}

	// An expectation that no longer holds fails the run: exit 100.
	stale := filepath.Join(t.TempDir(), "expectations.yaml")
	if err := os.WriteFile(stale, []byte("expectations:\n  - {case: int32_max.*, runtime: python, versions: {python: protobuf>=1}, reason: once broken, source: test}\n"), 0o644); err != nil {
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

// TestInactiveExpectation runs with an expectation for other versions: it
// does not apply (no stale failure) and the reports list it as inactive.
func TestInactiveExpectation(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs both testees")
	}
	other := filepath.Join(t.TempDir(), "expectations.yaml")
	if err := os.WriteFile(other, []byte("expectations:\n  - {case: int32_max.*, runtime: python, versions: {python: protobuf<1}, reason: broken long ago, source: test}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := execute(t, "--case", "int32_max", "--expectations", other, "--format", "json")
	if code != exit.OK {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var rep struct {
		Inactive []struct{ Case, Why string } `json:"inactive_expectations"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Inactive) != 1 || rep.Inactive[0].Case != "int32_max.*" || !strings.Contains(rep.Inactive[0].Why, "is outside protobuf<1") {
		t.Errorf("inactive_expectations = %+v, want int32_max.* outside protobuf<1", rep.Inactive)
	}
	stdout, _, _ = execute(t, "--case", "int32_max", "--expectations", other, "--verbose")
	if !strings.Contains(stdout, "INACTIVE expectation int32_max.* (python): python protobuf") {
		t.Errorf("--verbose does not list the inactive expectation:\n%s", stdout)
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
