package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRequirementAllows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		req, version string
		want         bool
	}{
		{"protobuf>=7.35.1,<8", "7.36.2", true},
		{"protobuf>=7.35.1,<8", "7.35.1", true},
		{"protobuf>=7.35.1,<8", "5.29.3", false},
		{"protobuf>=7.35.1,<8", "8.0.0", false},
		{"protobuf>=7.35.1,<8", "7.35.0", false},
		{"protobuf >= 6.30, < 7", "6.31.1", true},
		{"grpcio>=1.85.1", "1.85.3", true},
		{"grpcio>=1.85.1", "1.9.0", false},
		{"grpcio>=1.85.1", "1.100.0", true},
		{"grpcio==1.85.3", "1.85.3", true},
		{"grpcio!=1.85.3", "1.85.3", false},
		{"grpcio~=1.85.1", "1.85.9", true},
		{"grpcio~=1.85.1", "1.86.0", false},
		{"grpcio>1.85", "1.85.0", false},
		{"grpcio<=1.85", "1.85.0", true},
		{"grpcio", "0.1", true},
	}
	for _, tt := range tests {
		reqs := parseRequirements(tt.req)
		if len(reqs) != 1 {
			t.Fatalf("parseRequirements(%q) = %v", tt.req, reqs)
		}
		v, ok := parseVersion(tt.version)
		if !ok {
			t.Fatalf("parseVersion(%q) failed", tt.version)
		}
		if got := reqs[0].allows(v); got != tt.want {
			t.Errorf("%s allows %s = %v, want %v", tt.req, tt.version, got, tt.want)
		}
	}
}

func TestParseRequirements(t *testing.T) {
	t.Parallel()
	got := parseRequirements("# comment\nprotobuf>=7.35.1,<8  # trailing\n\n-r other.txt\ngrpcio>=1.85.1\nfoo; python_version<'3'\nbar[extra]>=1\n")
	var names []string
	for _, r := range got {
		names = append(names, r.String())
	}
	if diff := cmp.Diff([]string{"protobuf>=7.35.1,<8", "grpcio>=1.85.1"}, names); diff != "" {
		t.Errorf("requirements (-want +got):\n%s", diff)
	}
}

func TestParseVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want version
	}{
		{"v1.36.12", version{1, 36, 12}},
		{"go1.26.0", version{1, 26, 0}},
		{"1.85.3rc1", version{1, 85, 3}},
		{"v0.0.0-20240101-abcdef", version{0, 0, 0}},
		{"7", version{7}},
	}
	for _, tt := range tests {
		got, ok := parseVersion(tt.in)
		if !ok || got.compare(tt.want) != 0 || len(got) != len(tt.want) {
			t.Errorf("parseVersion(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
	if _, ok := parseVersion("latest"); ok {
		t.Error(`parseVersion("latest") succeeded`)
	}
}

func TestReadGoMod(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "go.mod")
	data := `module example.com/x // the module

go 1.25.0

require google.golang.org/grpc v1.60.0

require (
	google.golang.org/protobuf v1.30.0 // indirect
	github.com/google/go-cmp v0.7.0
)

replace google.golang.org/grpc => google.golang.org/grpc v1.70.0

replace github.com/google/go-cmp => ../go-cmp
`
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := readGoMod(p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"google.golang.org/grpc":     "v1.70.0",
		"google.golang.org/protobuf": "v1.30.0",
		"github.com/google/go-cmp":   "v0.7.0",
	}
	if diff := cmp.Diff(want, m.require); diff != "" {
		t.Errorf("require (-want +got):\n%s", diff)
	}
	if m.goVer != "1.25.0" {
		t.Errorf("go = %q, want 1.25.0", m.goVer)
	}
}

func TestConsequence(t *testing.T) {
	t.Parallel()
	q := parseRequirements("protobuf>=7.35.1,<8")[0]
	tests := []struct{ have, want string }{
		{"5.29.3", "Detected mismatched Protobuf Gencode/Runtime major versions"},
		{"7.30.0", "Detected incompatible Protobuf Gencode/Runtime versions"},
	}
	for _, tt := range tests {
		v, _ := parseVersion(tt.have)
		if got := consequence(q, v); !strings.Contains(got, tt.want) {
			t.Errorf("consequence(%s) = %q, want %q", tt.have, got, tt.want)
		}
	}
}
