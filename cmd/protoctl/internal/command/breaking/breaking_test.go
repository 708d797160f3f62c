package breaking

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/protoctl/protoctl/compile"
	"github.com/protoctl/protoctl/diag"
)

const userV1 = `syntax = "proto3";

package acme.user.v1;

message User {
  string id = 1;
  int32 age = 2;
  string email = 3;
  int32 score = 4;
}

message Gone {}
`

const userV2 = `syntax = "proto3";

package acme.user.v1;

message User {
  string id = 1;
  oneof contact {
    int32 age = 2;
  }
  int64 score = 4;
}
`

const oldProto = `syntax = "proto3";

package acme.user.v1;

message Old {}
`

// fixture makes a repository whose main branch (tags v1.0.0, annotated,
// and light) holds version 1, and whose work tree holds breaking edits. It
// changes the working directory to the repository.
func fixture(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	writeFiles(t, dir, map[string]string{
		"buf.yaml":                      "version: v2\nmodules:\n  - path: proto\n",
		"proto/acme/user/v1/user.proto": userV1,
		"proto/acme/user/v1/old.proto":  oldProto,
		"proto/acme/extra/extra.proto":  "syntax = \"proto3\";\npackage acme.extra;\nmessage Extra { string a = 1; }\n",
	})
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "v1")
	git(t, dir, "tag", "-a", "v1.0.0", "-m", "release 1.0.0")
	git(t, dir, "tag", "light")
	writeFiles(t, dir, map[string]string{
		"proto/acme/user/v1/user.proto": userV2,
		"proto/acme/user/v1/old.proto":  "\x00delete",
		"proto/acme/extra/extra.proto":  "syntax = \"proto3\";\npackage acme.extra;\nmessage Extra { int32 a = 1; }\n",
		"bad/a.proto":                   "syntax = \"proto3\";\nmessage A { int32 x = 1 }\n",
		"junk.binpb":                    "\xff\xfe not an image",
	})
	writeImage(t, dir, "proto", "current.binpb", compile.Options{})
	writeImage(t, dir, "proto", "bare.binpb", compile.Options{NoSourceInfo: true})
	t.Chdir(dir)
	return dir
}

func writeImage(t *testing.T, dir, module, name string, opts compile.Options) {
	t.Helper()
	img, err := compile.Compile(context.Background(), compile.Workspace{FS: os.DirFS(filepath.Join(dir, module))}, opts)
	if err != nil {
		t.Fatal(err)
	}
	data, err := img.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBreaking(t *testing.T) {
	dir := fixture(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		golden   string // stdout golden file; empty means no output
		wantErr  string // the error main would print
		// wantStderr is a part of standard error; otherwise it is empty.
		wantStderr string
	}{
		{name: "text", args: []string{"--against", ".git#tag=v1.0.0"}, wantCode: 100, golden: "breaking.txt"},
		{name: "json", args: []string{"--against", ".git#branch=main", "--error-format", "json"}, wantCode: 100, golden: "breaking.json"},
		{name: "github-actions", args: []string{"--against", ".git#tag=light", "--error-format", "github-actions"}, wantCode: 100, golden: "breaking.github-actions"},
		{name: "junit", args: []string{"--against", ".git#ref=HEAD", "--error-format", "junit"}, wantCode: 100, golden: "breaking.junit.xml"},
		{name: "explain", args: []string{"--against", ".git#ref=HEAD", "--explain"}, wantCode: 100, golden: "explain.txt"},
		// --explain changes nothing in machine formats: no grouping.
		{name: "explain json", args: []string{"--against", ".git#branch=main", "--explain", "--error-format=json"}, wantCode: 100, golden: "breaking.json"},
		{name: "module input", args: []string{"proto", "--against", ".git#branch=main,subdir=proto"}, wantCode: 100, golden: "module.txt"},
		{name: "image input", args: []string{"current.binpb", "--against", ".git#branch=main,subdir=proto"}, wantCode: 100, golden: "image.txt"},
		{name: "path filter", args: []string{"--against", ".git#branch=main", "--path", "proto/acme/user/v1/user.proto"}, wantCode: 100, golden: "path.txt"},
		// buf applies --path to the previous side too: a file deleted
		// under the path is reported, an excluded one is not.
		{name: "path filter keeps deleted file", args: []string{"--against", ".git#branch=main", "--path", "proto/acme/user/v1"}, wantCode: 100, golden: "path-dir.txt"},
		{name: "exclude deleted file", args: []string{"--against", ".git#branch=main", "--exclude-path", "proto/acme/user/v1/old.proto"}, wantCode: 100, golden: "exclude-deleted.txt"},
		{name: "config", args: []string{"--against", ".git#branch=main", "--config", `{"version":"v2","modules":[{"path":"proto"}],"breaking":{"use":["WIRE"]}}`}, wantCode: 100, golden: "wire.txt"},
		{name: "deprecated rule", args: []string{"--against", ".git#branch=main", "--config", `{"version":"v2","modules":[{"path":"proto"}],"breaking":{"use":["FIELD_SAME_LABEL"]}}`},
			wantCode: 100, golden: "deprecated.txt", wantStderr: "warning: "},
		{name: "clean", args: []string{".git#branch=main", "--against", ".git#tag=v1.0.0"}, wantCode: 0},
		// The against side needs no source info.
		{name: "against image without source info", args: []string{"proto", "--against", "bare.binpb"}, wantCode: 0},
		{name: "clean image", args: []string{"current.binpb", "--against", "current.binpb"}, wantCode: 0},
		{name: "list rules", args: []string{"--list-rules"}, wantCode: 0, golden: "rules.txt"},
		{name: "list rules json", args: []string{"--list-rules", "--format", "json"}, wantCode: 0, golden: "rules.json"},

		{name: "missing against", args: nil, wantCode: 1, wantErr: "--against is required: the input to compare with, such as .git#branch=main"},
		{name: "bad error format", args: []string{"--against", ".", "--error-format", "xml"}, wantCode: 1, wantErr: `--error-format: unknown format "xml": use one of text, json, github-actions, junit`},
		{name: "missing directory", args: []string{"nope", "--against", ".git#branch=main"}, wantCode: 1, wantErr: `input "nope": no such file or directory`},
		{name: "unknown ref", args: []string{"--against", ".git#branch=nope"}, wantCode: 1, wantErr: `against input ".git#branch=nope": unknown git ref "nope" in DIR`},
		{name: "garbage image", args: []string{"--against", "junk.binpb"}, wantCode: 1, wantErr: `against input "junk.binpb": not a FileDescriptorSet: proto: cannot parse invalid wire-format data`},
		{name: "image without source info", args: []string{"bare.binpb", "--against", "current.binpb"}, wantCode: 1,
			wantErr: "input \"bare.binpb\": image has no source info: findings need file locations; build the image with `buf build -o bare.binpb` or `protoc --include_imports --include_source_info --descriptor_set_out=bare.binpb`"},
		{name: "against compile error", args: []string{"--against", "bad"}, wantCode: 1, wantErr: `against input "bad": bad/a.proto:2:25:syntax error: expecting ';'`},
		{name: "input compile error", args: []string{"bad", "--against", ".git#branch=main"}, wantCode: 1, wantErr: `input "bad": bad/a.proto:2:25:syntax error: expecting ';'`},
		{name: "bad config", args: []string{"--against", ".git#branch=main", "--config", "version: v9"}, wantCode: 1, wantErr: `--config:1:10: unknown version "v9", expected "v2"`},
		{name: "nothing targeted", args: []string{"--against", ".git#branch=main", "--path", "proto/nope"}, wantCode: 1, wantErr: "no .proto files were targeted: --path names no file of the input, or --exclude-path excludes them all"},
		{name: "exclude path", args: []string{"--against", ".git#branch=main", "--exclude-path", "proto/acme/extra"}, wantCode: 100, golden: "exclude-path.txt"},
		{name: "all excluded", args: []string{"--against", ".git#branch=main", "--exclude-path", "proto/acme"}, wantCode: 1, wantErr: "no .proto files were targeted: --path names no file of the input, or --exclude-path excludes them all"},
		{name: "unwritable summary", args: []string{"--against", ".git#branch=main", "--summary-json", "no/such/dir/s.json"}, wantCode: 1, wantErr: "--summary-json no/such/dir/s.json: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCommand(t, compatChecker{}, tt.args...)
			if got.code != tt.wantCode {
				t.Errorf("exit code %d, want %d (error: %v)", got.code, tt.wantCode, got.err)
			}
			if tt.golden != "" {
				golden(t, tt.golden, got.stdout)
			} else if got.stdout != "" {
				t.Errorf("unexpected output:\n%s", got.stdout)
			}
			if got.stderr != "" {
				t.Logf("stderr: %s", got.stderr)
			}
			if tt.wantStderr == "" && got.stderr != "" || !strings.Contains(got.stderr, tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", got.stderr, tt.wantStderr)
			}
			if tt.wantCode == 1 {
				want := strings.ReplaceAll(tt.wantErr, "DIR", dir)
				if got.err == nil || got.err.Error() != want {
					t.Errorf("error:\n got %v\nwant %s", got.err, want)
				}
			}
		})
	}
}

func TestSummaryJSON(t *testing.T) {
	fixture(t)
	out := filepath.Join(t.TempDir(), "summary.json")
	got := runCommand(t, compatChecker{}, "--against", ".git#branch=main", "--summary-json", out)
	if got.code != 100 {
		t.Fatalf("exit code %d, want 100: %v", got.code, got.err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Severity string `json:"severity"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, data)
	}
	if v.Severity != "breaking" {
		t.Errorf("summary severity = %q, want breaking\n%s", v.Severity, data)
	}
}

// TestBufParity runs the pinned buf on the same inputs and compares
// standard output byte for byte in every --error-format, and the exit
// code. The fixture has several findings in two files, a deleted file (a
// finding without a path) and a field moved into a oneof (two findings at
// one place, ordered by rule).
func TestBufParity(t *testing.T) {
	buf := bufBinary(t)
	fixture(t)
	build := exec.Command(buf, "build", "proto", "-o", "buf-image.binpb")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("buf build: %v\n%s", err, out)
	}
	cases := [][]string{
		{"--against", ".git#branch=main"},
		{"--against", ".git#tag=v1.0.0"},
		{"--against", ".git#tag=v1.0.0", "--path", "proto/acme/user/v1/user.proto"},
		// The deleted file is under the path: buf keeps it.
		{"--against", ".git#tag=v1.0.0", "--path", "proto/acme/user/v1"},
		{"--against", ".git#tag=v1.0.0", "--path", "proto/acme/extra"},
		{"--against", ".git#tag=v1.0.0", "--exclude-path", "proto/acme/extra"},
		{"--against", ".git#tag=v1.0.0", "--exclude-path", "proto/acme/user/v1/old.proto"},
		{"proto", "--against", ".git#ref=HEAD,subdir=proto"},
		{"--against", ".git#branch=main", "--config", `{"version":"v2","modules":[{"path":"proto"}],"breaking":{"use":["WIRE_JSON"]}}`},
		// An image that buf built, with buf's import markers.
		{"buf-image.binpb", "--against", ".git#branch=main,subdir=proto"},
		{".git#branch=main", "--against", ".git#tag=v1.0.0"},
	}
	for _, args := range cases {
		for _, format := range diag.Formats {
			args := append(slices.Clone(args), "--error-format", format)
			name := strings.Join(args, " ")
			cmd := exec.Command(buf, append([]string{"breaking"}, args...)...)
			out, err := cmd.Output()
			code := 0
			if ee := (*exec.ExitError)(nil); err != nil {
				if !asExit(err, &ee) {
					t.Fatalf("buf breaking %s: %v", name, err)
				}
				code = ee.ExitCode()
			}
			got := runCommand(t, compatChecker{}, args...)
			if got.code != code {
				t.Errorf("breaking %s: exit %d, buf exits %d (error: %v)", name, got.code, code, got.err)
			}
			if diff := cmp.Diff(string(out), got.stdout); diff != "" {
				t.Errorf("breaking %s: output (-buf +protoctl):\n%s", name, diff)
			}
			if format == "json" && code == 100 && len(parseJSON(t, string(out))) == 0 {
				t.Errorf("buf found nothing for %s: the fixture no longer exercises the rules", name)
			}
		}
	}
}

func asExit(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}

func parseJSON(t *testing.T, s string) diag.Set {
	t.Helper()
	var out []diag.Finding
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if line == "" {
			continue
		}
		var f diag.Finding
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		out = append(out, f)
	}
	return diag.NewSet(out...)
}
