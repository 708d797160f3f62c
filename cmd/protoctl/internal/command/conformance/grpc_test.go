package conformance

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/protoctl/protoctl/cmd/protoctl/internal/exit"
	"github.com/protoctl/protoctl/internal/pyserver"
)

func TestGRPCFlagErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--grpc", "--server-mode", "turbo"}, `--server-mode "turbo": want sync or aio`},
		{[]string{"--grpc", "--keepalive-idle", "0s"}, "--keepalive-idle 0s: must be positive"},
		{[]string{"--grpc", "--case", "nothing/here"}, `--case "nothing/here" matches no case of the grpc suite`},
		{[]string{"--grpc", "--suites", "runtime"}, "--suites: only for the serialization suites, not with --grpc"},
		{[]string{"--tls"}, "--tls: only with --grpc"},
		{[]string{"--server-mode", "aio"}, "--server-mode: only with --grpc"},
	}
	for _, tt := range tests {
		cmd := NewCommand()
		cmd.SetArgs(tt.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		if err := cmd.Execute(); err == nil || err.Error() != tt.want {
			t.Errorf("conformance %v = %v, want %q", tt.args, err, tt.want)
		}
	}
}

// TestGRPCCommand runs a few cases through the command: it starts both
// server profiles, prints JSON, and exits 0.
func TestGRPCCommand(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", "..", "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	py, err := pyserver.TestPython(root)
	if err != nil {
		t.Skipf("no python for the reference server: %v", err)
	}
	var stdout, stderr bytes.Buffer
	cmd := NewCommand()
	cmd.SetArgs([]string{"--grpc", "--python", py, "--server-mode", "sync", "--case", "limits/raised_*", "--format", "json"})
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	err = cmd.Execute()
	if code := exit.Code(err); code != exit.OK {
		t.Fatalf("exit %d (%v)\n%s\n%s", code, err, stdout.String(), stderr.String())
	}
	var doc struct {
		Suites []struct{ Passed, Failed, Total int } `json:"suites"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 1 || doc.Suites[0].Passed != 3 || doc.Suites[0].Total != 3 {
		t.Errorf("suites %+v, want 3 of 3 passed", doc.Suites)
	}
}

// TestGRPCCommandReportsFailure breaks the server (a sitecustomize module
// on PYTHONPATH makes every requested status succeed) and expects exit
// code 100 with the failing case named.
func TestGRPCCommandReportsFailure(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	py, err := pyserver.TestPython(root)
	if err != nil {
		t.Skipf("no python for the reference server: %v", err)
	}
	dir := t.TempDir()
	patch := "import protoctl_server.behavior as b\nb.failure = lambda req: None\n"
	if err := os.WriteFile(filepath.Join(dir, "sitecustomize.py"), []byte(patch), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PYTHONPATH", dir)
	var stdout, stderr bytes.Buffer
	cmd := NewCommand()
	cmd.SetArgs([]string{"--grpc", "--python", py, "--server-mode", "sync", "--case", "status/internal"})
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	err = cmd.Execute()
	if code := exit.Code(err); code != exit.Findings {
		t.Fatalf("exit %d (%v), want %d\n%s\n%s", code, err, exit.Findings, stdout.String(), stderr.String())
	}
	for _, want := range []string{"FAIL grpc/status/internal", "call succeeded, want Internal", "reproduce: protoctl conformance --grpc --case 'status/internal' --server-mode sync"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output does not contain %q:\n%s", want, stdout.String())
		}
	}
}

// TestGRPCCommandTLS runs the mTLS and token cases through the command:
// the servers get a PKI made for the run (including the expired and
// not-yet-valid certificate profiles) and every case passes.
func TestGRPCCommandTLS(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", "..", "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	py, err := pyserver.TestPython(root)
	if err != nil {
		t.Skipf("no python for the reference server: %v", err)
	}
	var stdout, stderr bytes.Buffer
	cmd := NewCommand()
	cmd.SetArgs([]string{"--grpc", "--tls", "--python", py, "--server-mode", "sync", "--case", "tls", "--format", "text"})
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	err = cmd.Execute()
	if code := exit.Code(err); code != exit.OK {
		t.Fatalf("exit %d (%v)\n%s\n%s", code, err, stdout.String(), stderr.String())
	}
	for _, want := range []string{"security: mTLS", "grpc       tls       4       0         0      4"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output does not contain %q:\n%s", want, stdout.String())
		}
	}
}
