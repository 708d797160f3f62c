package release

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// repo is a temporary git repository with a committer configured locally.
type testRepo struct {
	t   *testing.T
	dir string
}

func newTestRepo(t *testing.T) *testRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	r := &testRepo{t: t, dir: t.TempDir()}
	r.git("init", "--quiet", "--initial-branch=main")
	r.git("config", "user.name", "Release Test")
	r.git("config", "user.email", "release@example.com")
	r.git("config", "commit.gpgSign", "false")
	r.git("config", "tag.gpgSign", "false")
	return r
}

func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// write writes files; an empty content removes the file.
func (r *testRepo) write(files map[string]string) {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.dir, filepath.FromSlash(name))
		if content == "" {
			if err := os.Remove(p); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

// commit writes files and commits everything.
func (r *testRepo) commit(msg string, files map[string]string) {
	r.t.Helper()
	r.write(files)
	r.git("add", "--all")
	r.git("commit", "--quiet", "--allow-empty", "-m", msg)
}

// tag makes an annotated tag, or a lightweight one when light is set.
func (r *testRepo) tag(name string, light bool) {
	r.t.Helper()
	if light {
		r.git("tag", name)
		return
	}
	r.git("tag", "-a", "-m", "release "+name, name)
}

func (r *testRepo) plan(opts Options) (*Release, error) {
	r.t.Helper()
	if opts.Dir == "" {
		opts.Dir = r.dir
	} else {
		opts.Dir = filepath.Join(r.dir, opts.Dir)
	}
	return Plan(context.Background(), opts)
}

// golden compares got with testdata/name, or rewrites the file when
// PROTOCTL_GOLDEN_UPDATE=1.
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

const bufYAML = "version: v2\nmodules:\n  - path: proto\n"

// userProto is the base contract: package acme.user.v1 with a message, an
// enum and a service. Each edit below is a replacement applied to it.
const userProto = `syntax = "proto3";

package acme.user.v1;

// User is an account.
message User {
  string id = 1;
  string email = 2;
  Status status = 3;
}

enum Status {
  STATUS_UNSPECIFIED = 0;
  STATUS_ACTIVE = 1;
}

message GetUserRequest {
  string id = 1;
}

service UserService {
  rpc GetUser(GetUserRequest) returns (User);
}
`

// edit returns userProto with old replaced by new, failing when old is
// absent.
func edit(t *testing.T, pairs ...string) string {
	t.Helper()
	s := userProto
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("edit: %q is not in the fixture", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}
