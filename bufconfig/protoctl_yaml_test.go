package bufconfig

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseProtoctlYAML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		data    string
		want    *ProtoctlYAML
		wantErr *Error
	}{
		{
			name: "full",
			data: "version: v1\npython:\n  import_root: ./python/src/\n  requirements: python/requirements-runtime.txt\ngen:\n  timeout: 5m30s\n",
			want: &ProtoctlYAML{File: "protoctl.yaml", Python: Python{ImportRoot: "python/src", Requirements: "python/requirements-runtime.txt"}, Gen: Gen{Timeout: 5*time.Minute + 30*time.Second}},
		},
		{
			name: "defaults",
			data: "version: v1\n",
			want: &ProtoctlYAML{File: "protoctl.yaml", Gen: Gen{Timeout: DefaultGenTimeout}},
		},
		{name: "no version", data: "gen:\n  timeout: 1m\n", wantErr: &Error{Line: 1, Col: 1, Kind: KindVersion, Message: `version is not set; add "version: v1"`}},
		{name: "v2", data: "version: v2\n", wantErr: &Error{Line: 1, Col: 10, Kind: KindVersion, Message: `unknown version "v2", expected "v1"`}},
		{name: "unknown key", data: "version: v1\npython:\n  import-root: src\n", wantErr: &Error{Line: 3, Col: 3, Kind: KindUnknownKey, Message: `unknown key "import-root" in python (did you mean "import_root"?)`}},
		{name: "bad timeout", data: "version: v1\ngen:\n  timeout: 2 minutes\n", wantErr: &Error{Line: 3, Col: 12, Kind: KindInvalid, Message: `gen.timeout: "2 minutes" is not a positive duration such as "2m" or "90s"`}},
		{name: "zero timeout", data: "version: v1\ngen:\n  timeout: 0s\n", wantErr: &Error{Line: 3, Col: 12, Kind: KindInvalid, Message: `gen.timeout: "0s" is not a positive duration such as "2m" or "90s"`}},
		{name: "import root outside", data: "version: v1\npython:\n  import_root: ../src\n", wantErr: &Error{Line: 3, Col: 16, Kind: KindInvalid, Message: `python.import_root: path "../src" is outside the workspace`}},
		{name: "requirements dir", data: "version: v1\npython:\n  requirements: .\n", wantErr: &Error{Line: 3, Col: 17, Kind: KindInvalid, Message: "python.requirements: must name a file"}},
		{name: "python list", data: "version: v1\npython: [a]\n", wantErr: &Error{Line: 2, Col: 9, Kind: KindType, Message: "python: expected a mapping, got a list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseProtoctlYAML("protoctl.yaml", []byte(tt.data))
			if tt.wantErr != nil {
				tt.wantErr.File = "protoctl.yaml"
				checkError(t, tt.wantErr, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseBreakingConfigFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "breaking.yaml")
	if err := os.WriteFile(file, []byte("version: v2\nbreaking:\n  use: [PACKAGE]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		value   string
		want    Breaking
		wantErr *Error
	}{
		{name: "inline json", value: `{"version":"v2","breaking":{"use":["WIRE"]}}`, want: Breaking{Use: []string{"WIRE"}}},
		{name: "inline yaml", value: "version: v2\nbreaking:\n  use: [WIRE_JSON]\n  ignore_unstable_packages: true", want: Breaking{Use: []string{"WIRE_JSON"}, IgnoreUnstablePackages: true}},
		{name: "file", value: file, want: Breaking{Use: []string{"PACKAGE"}}},
		{name: "inline unknown key", value: `{"version":"v2","breaking":{"uses":["WIRE"]}}`,
			wantErr: &Error{File: "--config", Line: 1, Col: 29, Kind: KindUnknownKey, Message: `unknown key "uses" in breaking (did you mean "use"?)`}},
		{name: "inline v1", value: `{"version":"v1"}`,
			wantErr: &Error{File: "--config", Line: 1, Col: 12, Kind: KindVersion, Message: `version v1 is not supported: protoctl needs a v2 buf.yaml; run "buf config migrate" to migrate it`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := ParseBreakingConfigFlag(tt.value)
			if tt.wantErr != nil {
				checkError(t, tt.wantErr, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.Breaking); diff != "" {
				t.Errorf("top-level breaking (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, b.Modules[0].Breaking); diff != "" {
				t.Errorf("module breaking (-want +got):\n%s", diff)
			}
		})
	}
	_, err := ParseBreakingConfigFlag(filepath.Join(dir, "missing.yaml"))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindIO {
		t.Errorf("missing file: got %v, want a KindIO error", err)
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{File: "buf.yaml", Line: 3, Col: 5, Message: "boom"}, "buf.yaml:3:5: boom"},
		{&Error{File: "buf.yaml", Line: 3, Message: "boom"}, "buf.yaml:3: boom"},
		{&Error{File: "buf.yaml", Message: "boom"}, "buf.yaml: boom"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	known := []string{"local", "out", "strategy", "include_imports", "include_wkt"}
	tests := map[string]string{
		"stratgy":        "strategy",
		"ot":             "out",
		"include_import": "include_imports",
		"locl":           "local",
		"x":              "",
		"remote":         "",
		"path":           "",
	}
	for key, want := range tests {
		if got := suggest(key, known); got != want {
			t.Errorf("suggest(%q) = %q, want %q", key, got, want)
		}
	}
}
