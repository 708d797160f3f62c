package doctor

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
	"github.com/protoctl/protoctl/doctor"
)

type result struct {
	code           int
	stdout, stderr string
	err            error
}

func execute(t *testing.T, args ...string) result {
	t.Helper()
	cmd := NewCommand()
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return result{code: exit.Code(err), stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// fakePython is an interpreter that reports fixed package versions, as
// the probe asks; the real skew with pip-installed packages is tested in
// package doctor.
func fakePython(t *testing.T, packages string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "python")
	script := "#!/bin/sh\necho '{\"version\": \"3.11.0\", \"packages\": {" + packages + "}}'\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func testWorkspace(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{
		"buf.yaml":         "version: v2\n",
		"protoctl.yaml":    "version: v1\npython:\n  requirements: requirements.txt\n",
		"requirements.txt": "protobuf>=7.35.1,<8\ngrpcio>=1.85.1\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestDoctorExitCodes(t *testing.T) {
	t.Parallel()
	dir := testWorkspace(t)
	tests := []struct {
		name     string
		packages string
		json     bool
		wantCode int
		want     []string
	}{
		{
			name: "old protobuf", packages: `"protobuf": "5.29.3", "grpcio": "1.85.3"`, wantCode: 1,
			want: []string{"python protobuf", "FAIL", "5.29.3 installed, the generated code needs protobuf>=7.35.1,<8",
				"Detected mismatched Protobuf Gencode/Runtime major versions", "to fix:", "-m pip install 'protobuf>=7.35.1,<8'", "1 problem(s)"},
		},
		{
			name: "healthy", packages: `"protobuf": "7.36.2", "grpcio": "1.85.3"`, wantCode: 0,
			want: []string{"python protobuf", "7.36.2 installed", "python grpcio", "healthy"},
		},
		{
			name: "json", packages: `"protobuf": "7.36.2"`, json: true, wantCode: 1,
			want: []string{`"healthy": false`, `"name": "python grpcio"`, `"status": "fail"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := []string{dir, "--python", fakePython(t, tt.packages)}
			if tt.json {
				args = append(args, "--json")
			}
			r := execute(t, args...)
			if r.code != tt.wantCode {
				t.Errorf("exit %d (%v), want %d\n%s", r.code, r.err, tt.wantCode, r.stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, r.stdout)
				}
			}
			if tt.json {
				var out struct {
					Healthy bool
					Checks  []doctor.Check
				}
				if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Checks) == 0 {
					t.Errorf("--json output does not parse (%v):\n%s", err, r.stdout)
				}
			}
		})
	}
}

func TestDoctorBadPython(t *testing.T) {
	t.Parallel()
	r := execute(t, testWorkspace(t), "--python", "/no/such/python")
	if r.code != 1 || r.err == nil || r.err.Error() != "--python /no/such/python: no such file or directory" {
		t.Errorf("exit %d, error %v", r.code, r.err)
	}
}

func TestPrintTableGolden(t *testing.T) {
	t.Parallel()
	report := &doctor.Report{Checks: []doctor.Check{
		{Name: "go", Status: doctor.OK, Detail: "go1.26.0 at /usr/local/go/bin/go"},
		{Name: "toolchain protoc-gen-go", Status: doctor.Warn, Detail: "v1.36.12: not installed yet (protoctl gen installs it on first use)", Fix: "protoctl toolchain install"},
		{Name: "go google.golang.org/protobuf", Status: doctor.Fail, Detail: "v1.33.0 in go.mod, protoc-gen-go v1.36.12 (protoctl.lock) needs v1.36.12 or later", Fix: "cd /src && go get google.golang.org/protobuf@v1.36.12 && go mod tidy"},
		{Name: "python runtime", Status: doctor.Skip, Detail: "no Python environment to inspect"},
	}}
	var b bytes.Buffer
	if err := printTable(&b, report); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join("testdata", "table.golden")
	if os.Getenv("PROTOCTL_GOLDEN_UPDATE") == "1" {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with PROTOCTL_GOLDEN_UPDATE=1 to create it)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("%s (-want +got):\n%s", p, diff)
	}
}
