package bench

import (
	"bytes"
	"encoding/json"
	"github.com/google/go-cmp/cmp"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/protoctl/protoctl/internal/pyserver"
)

func TestFlagErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--concurrency", "0"}, "--concurrency 0: want 1 to 4096"},
		{[]string{"--duration", "0s"}, "--duration 0s: want more than 0 and at most 10m0s"},
		{[]string{"--duration", "1h"}, "--duration 1h0m0s: want more than 0 and at most 10m0s"},
		{[]string{"--strategies", "naive"}, `--strategies: strategy "naive": want per-call, single or pool`},
		{[]string{"--server-mode", "turbo"}, `--server-mode "turbo": want sync or aio`},
		{[]string{"--server-processes", "0"}, "--server-processes 0: want 1 to 64"},
		{[]string{"--target", "127.0.0.1:1", "--server-processes", "2"}, "--server-processes: only without --target (the bench starts that server)"},
		{[]string{"--pool-size", "-1"}, "--pool-size -1: must not be negative"},
		{[]string{"--rounds", "0"}, "--rounds 0: want 1 to 1000"},
		{[]string{"--target", "127.0.0.1:1", "--tls"}, "--tls: only without --target (the bench starts that server)"},
	}
	for _, tt := range tests {
		cmd := NewCommand()
		cmd.SetArgs(tt.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		err := cmd.Execute()
		if err == nil || err.Error() != tt.want {
			t.Errorf("bench %v = %v, want %q", tt.args, err, tt.want)
		}
	}
}

// TestBenchShort runs the command end to end: it starts the Python server,
// runs the three strategies for a second each, and writes JSON and a plot.
func TestBenchShort(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", "..", "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	py, err := pyserver.TestPython(root)
	if err != nil {
		t.Skipf("no python for the reference server: %v", err)
	}
	plot := filepath.Join(t.TempDir(), "bench.svg")
	var stdout, stderr bytes.Buffer
	cmd := NewCommand()
	cmd.SetArgs([]string{"--python", py, "--duration", "1s", "--warmup", "100ms", "--concurrency", "2", "--server-processes", "1", "--server-mode", "sync", "--json", "--plot", plot})
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	var doc struct {
		Runs []struct {
			Strategy        string  `json:"strategy"`
			ServerProcesses int     `json:"server_processes"`
			ServerMode      string  `json:"server_mode"`
			Concurrency     int     `json:"concurrency"`
			QPS             float64 `json:"qps"`
			P50             float64 `json:"p50_ms"`
			Errors          int64   `json:"errors"`
			Conns           int64   `json:"conns_opened"`
			Calls           int64   `json:"calls"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout.String())
	}
	var strategies []string
	for _, r := range doc.Runs {
		strategies = append(strategies, r.Strategy)
		if r.ServerProcesses != 1 || r.ServerMode != "sync" || r.Concurrency != 2 || r.QPS <= 0 || r.P50 <= 0 || r.Errors != 0 {
			t.Errorf("implausible run %+v", r)
		}
		if r.Strategy == "per-call" && r.Conns != r.Calls {
			t.Errorf("per-call opened %d connections for %d calls", r.Conns, r.Calls)
		}
	}
	if got := strings.Join(strategies, ","); got != "per-call,single,pool" {
		t.Errorf("strategies %s, want per-call,single,pool", got)
	}
	svg, err := os.ReadFile(plot)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(svg, []byte("<svg")) || bytes.Count(svg, []byte("<polyline")) != 3 {
		t.Errorf("plot is not an SVG with 3 curves:\n%.300s", svg)
	}
}

// TestBenchTLS runs the pool and per-call strategies against a plaintext
// and an mTLS+JWT server side by side: every run succeeds, each security
// appears once per strategy, per-call over TLS pays a connection per call,
// and the TLS check is reported.
func TestBenchTLS(t *testing.T) {
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
	cmd.SetArgs([]string{"--python", py, "--tls", "--strategies", "per-call,pool", "--duration", "1s", "--warmup", "100ms", "--concurrency", "2", "--server-processes", "1", "--server-mode", "sync", "--rounds", "2", "--json"})
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	var doc struct {
		Runs []struct {
			Strategy   string  `json:"strategy"`
			Security   string  `json:"security"`
			QPS        float64 `json:"qps"`
			Errors     int64   `json:"errors"`
			Calls      int64   `json:"calls"`
			Conns      int64   `json:"conns_opened"`
			FirstError string  `json:"first_error"`
		} `json:"runs"`
		Checks []struct {
			Name string `json:"name"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout.String())
	}
	var got []string
	for _, r := range doc.Runs {
		got = append(got, r.Strategy+" "+r.Security)
		if r.QPS <= 0 || r.Errors != 0 {
			t.Errorf("%s %s: qps %.0f, %d errors (%s)", r.Strategy, r.Security, r.QPS, r.Errors, r.FirstError)
		}
		if r.Strategy == "per-call" && r.Conns != r.Calls {
			t.Errorf("per-call %s opened %d connections for %d calls", r.Security, r.Conns, r.Calls)
		}
	}
	if diff := cmp.Diff([]string{"per-call plaintext", "per-call mtls+jwt", "pool plaintext", "pool mtls+jwt"}, got); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	found := false
	for _, c := range doc.Checks {
		found = found || strings.HasPrefix(c.Name, "pool mtls+jwt/plaintext qps")
	}
	if !found {
		t.Errorf("no TLS check among %+v", doc.Checks)
	}
}
