package release

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/protoctl/protoctl/cmd/protoctl/internal/command/gen"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/exit"
)

type result struct {
	code           int
	stdout, stderr string
	err            error
}

// execute runs `protoctl release args...` in-process.
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

// gitRepo makes a temporary repository with a local committer.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	git(t, dir, "init", "--quiet", "--initial-branch=main")
	git(t, dir, "config", "user.name", "Release Test")
	git(t, dir, "config", "user.email", "release@example.com")
	git(t, dir, "config", "commit.gpgSign", "false")
	git(t, dir, "config", "tag.gpgSign", "false")
	return dir
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func commit(t *testing.T, dir, msg string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, dir, "add", "--all")
	git(t, dir, "commit", "--quiet", "--allow-empty", "-m", msg)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if os.Getenv("PROTOCTL_GOLDEN_UPDATE") == "1" {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with PROTOCTL_GOLDEN_UPDATE=1 to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", p, diff)
	}
}

const (
	bufYAML  = "version: v2\nmodules:\n  - path: proto\n"
	echoPath = "proto/acme/echo/v1/echo.proto"
	echoV1   = `syntax = "proto3";

package acme.echo.v1;

// EchoRequest is what the client sends.
message EchoRequest {
  string text = 1;
  int32 repeat = 2;
}

message EchoResponse {
  string text = 1;
}

service EchoService {
  rpc Echo(EchoRequest) returns (EchoResponse);
}
`
)

func echo(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(echoV1, old) {
		t.Fatalf("%q is not in the fixture", old)
	}
	return strings.Replace(echoV1, old, new, 1)
}

// released is a repository with v1.0.0 tagged and a change committed.
func released(t *testing.T, tag string, change map[string]string) string {
	t.Helper()
	dir := gitRepo(t)
	commit(t, dir, "contract", map[string]string{"buf.yaml": bufYAML, echoPath: echoV1})
	git(t, dir, "tag", "-a", "-m", "first", tag)
	commit(t, dir, "change", change)
	return dir
}

func TestReleaseText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, tag, golden string
		change            func(t *testing.T) map[string]string
	}{
		{name: "major", tag: "v1.0.0", golden: "major.golden", change: func(t *testing.T) map[string]string {
			return map[string]string{echoPath: echo(t, "  int32 repeat = 2;\n", "  reserved 2;\n  bool shout = 3;\n")}
		}},
		{name: "minor", tag: "v1.0.0", golden: "minor.golden", change: func(t *testing.T) map[string]string {
			return map[string]string{echoPath: echo(t, "  rpc Echo(EchoRequest) returns (EchoResponse);\n", "  rpc Echo(EchoRequest) returns (EchoResponse);\n  rpc EchoTwice(EchoRequest) returns (EchoResponse);\n")}
		}},
		{name: "patch before 1.0", tag: "v0.3.0", golden: "patch.golden", change: func(t *testing.T) map[string]string {
			return map[string]string{echoPath: echo(t, "// EchoRequest is what the client sends.", "// EchoRequest is what the client sends; the server answers it.")}
		}},
		{name: "none", tag: "v1.0.0", golden: "none.golden", change: func(t *testing.T) map[string]string {
			return map[string]string{"README.md": "docs\n"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := released(t, tt.tag, tt.change(t))
			r := execute(t, dir)
			if r.code != 0 {
				t.Fatalf("exit %d: %v\n%s", r.code, r.err, r.stderr)
			}
			golden(t, tt.golden, r.stdout)
		})
	}
}

func TestReleaseJSON(t *testing.T) {
	t.Parallel()
	dir := released(t, "proto/v1.4.0", map[string]string{echoPath: echo(t, "  int32 repeat = 2;\n", "")})
	r := execute(t, filepath.Join(dir, "proto"), "--json", "--tag-prefix", "proto/")
	if r.code != 0 {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	// The module directory "proto" is its own workspace here: buf.yaml is
	// above it and lists it, so the input is that module.
	var got struct {
		PreviousVersion string `json:"previous_version"`
		NextVersion     string `json:"next_version"`
		NextTag         string `json:"next_tag"`
		Bump            string `json:"bump"`
		Changes         []struct {
			Package, Change, Kind, Name, Rule, Message string
		} `json:"changes"`
		Changelog string `json:"changelog"`
		Tagged    bool   `json:"tagged"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if got.PreviousVersion != "v1.4.0" || got.NextVersion != "v2.0.0" || got.NextTag != "proto/v2.0.0" || got.Bump != "major" || got.Tagged {
		t.Errorf("got %+v", got)
	}
	if len(got.Changes) < 2 || got.Changes[0].Change != "breaking" || got.Changes[0].Rule != "FIELD_NO_DELETE" || got.Changes[0].Package != "acme.echo.v1" {
		t.Errorf("changes = %+v, want the FIELD_NO_DELETE breaking change first", got.Changes)
	}
	if !strings.HasPrefix(got.Changelog, "# proto/v2.0.0\n") {
		t.Errorf("changelog = %q", got.Changelog)
	}

	none := released(t, "v1.0.0", nil)
	r = execute(t, none, "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"bump": "none"`) || !strings.Contains(r.stdout, `"next_version": "v1.0.0"`) {
		t.Errorf("no change: exit %d\n%s", r.code, r.stdout)
	}
}

func TestReleaseFlagErrors(t *testing.T) {
	t.Parallel()
	dir := released(t, "v1.0.0", nil)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{dir, "--tag", "--ref", "HEAD"}, "--tag tags HEAD after checking the work tree: it cannot be combined with --ref"},
		{[]string{dir, "--initial", "1.0"}, `--initial: version "1.0" does not start with v`},
		{[]string{dir, "--initial", "v1.0"}, `--initial: version "v1.0" is not vMAJOR.MINOR.PATCH`},
		{[]string{dir, "--tag"}, "nothing to tag: no release: the contract has not changed since v1.0.0"},
		{[]string{dir, "--ref", "v9"}, `ref "v9" does not name a commit`},
		{[]string{t.TempDir()}, "is not in a git work tree"},
	}
	for _, tt := range tests {
		r := execute(t, tt.args...)
		if r.code != 1 || r.err == nil || !strings.Contains(r.err.Error(), tt.want) {
			t.Errorf("release %s: exit %d, error %v; want 1 and %q", strings.Join(tt.args, " "), r.code, r.err, tt.want)
		}
	}
}

// testCache is a cache dir whose tools are the shared, once-per-machine
// install of the pinned generators (as in cmd/protoctl's tests).
func testCache(t *testing.T) string {
	t.Helper()
	shared := os.Getenv("PROTOCTL_TEST_CACHE")
	if shared == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			t.Fatal(err)
		}
		shared = filepath.Join(base, "protoctl-test")
	}
	if err := os.MkdirAll(filepath.Join(shared, "tools"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(shared, "tools"), filepath.Join(dir, "tools")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestReleaseTagRefusesStaleGeneratedCode runs the real generator: a
// contract change committed without regenerating is refused, and tagged
// once the generated code is committed.
func TestReleaseTagRefusesStaleGeneratedCode(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not installed: the pinned protoc-gen-go is built with it")
	}
	t.Setenv("PROTOCTL_CACHE_DIR", testCache(t))
	lock, err := os.ReadFile("../../../../../protoctl.lock")
	if err != nil {
		t.Fatal(err)
	}
	dir := gitRepo(t)
	t.Chdir(dir)
	runGen := func() {
		t.Helper()
		cmd := gen.NewCommand()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(nil)
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("gen: %v\n%s", err, out.String())
		}
	}
	commit(t, dir, "contract", map[string]string{
		"buf.yaml":      bufYAML,
		"protoctl.lock": string(lock),
		"buf.gen.yaml": "version: v2\nclean: true\nmanaged:\n  enabled: true\n  override:\n    - file_option: go_package_prefix\n      value: example.com/echo/gen\n" +
			"plugins:\n  - local: protoc-gen-go\n    out: gen\n    opt: paths=source_relative\n",
		echoPath: echoV1,
	})
	runGen()
	commit(t, dir, "generated", nil)
	git(t, dir, "tag", "v1.0.0")

	commit(t, dir, "add a field", map[string]string{echoPath: echo(t, "  int32 repeat = 2;\n", "  int32 repeat = 2;\n  bool shout = 3;\n")})
	r := execute(t, ".", "--tag")
	if r.code != 1 || r.err == nil || !strings.Contains(r.err.Error(), "generated code is out of date (gen/acme/echo/v1/echo.pb.go): run `protoctl gen`") {
		t.Fatalf("stale: exit %d, error %v", r.code, r.err)
	}
	if tags := git(t, dir, "tag", "--list"); tags != "v1.0.0" {
		t.Fatalf("a refused release left tags %q", tags)
	}

	runGen()
	commit(t, dir, "regenerate", nil)
	r = execute(t, ".", "--tag")
	if r.code != 0 {
		t.Fatalf("tag: exit %d: %v\n%s", r.code, r.err, r.stderr)
	}
	if got := git(t, dir, "cat-file", "-t", "v1.1.0"); got != "tag" {
		t.Errorf("v1.1.0 is a %s, want an annotated tag", got)
	}
	if msg := git(t, dir, "for-each-ref", "--format=%(contents)", "refs/tags/v1.1.0"); msg != strings.TrimSpace(r.stdout) {
		t.Errorf("tag message:\n%s\nwant the printed changelog:\n%s", msg, r.stdout)
	}
	if !strings.Contains(r.stderr, "git push origin v1.1.0") {
		t.Errorf("stderr does not say how to publish the tag:\n%s", r.stderr)
	}
	r = execute(t, ".", "--tag")
	if r.code != 1 || !strings.Contains(r.err.Error(), "nothing to tag") {
		t.Errorf("tagging again: exit %d, error %v", r.code, r.err)
	}
}
