package release

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// mixed is a change with something of every kind: a breaking removal, an
// addition in a new package, an enum value, an option and a comment.
func mixed(t *testing.T) map[string]string {
	return map[string]string{
		userPath: edit(t,
			"  string email = 2;\n", "",
			"  STATUS_ACTIVE = 1;\n", "  STATUS_ACTIVE = 1;\n  STATUS_BANNED = 2;\n",
			"message GetUserRequest {\n  string id = 1;", "// GetUserRequest names a user.\nmessage GetUserRequest {\n  string id = 1 [deprecated = true];",
		),
		"proto/acme/billing/v1/billing.proto": "syntax = \"proto3\";\npackage acme.billing.v1;\nmessage Invoice { string id = 1; }\n",
	}
}

func TestChangelogGolden(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.commit("contract", map[string]string{"buf.yaml": bufYAML, userPath: userProto, "proto/acme/zeta/v1/z.proto": "syntax = \"proto3\";\npackage acme.zeta.v1;\nmessage Z { string a = 1; }\n"})
	r.tag("v1.4.2", false)
	files := mixed(t)
	files["proto/acme/zeta/v1/z.proto"] = "syntax = \"proto3\";\npackage acme.zeta.v1;\nmessage Z { string b = 1; }\n"
	r.commit("change", files)
	rel, err := r.plan(Options{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "changelog.md", rel.Changelog())

	// Released: the work tree equals the new tag, so nothing changed.
	r.tag("v2.0.0", true)
	rel, err = r.plan(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rel.Bump != BumpNone || rel.Previous.Name != "v2.0.0" {
		t.Fatalf("after tagging HEAD: bump %s previous %s", rel.Bump, rel.Previous.Name)
	}
	golden(t, "none.md", rel.Changelog())
}

func TestTag(t *testing.T) {
	t.Parallel()
	stale := func(files ...string) func(context.Context) ([]string, error) {
		return func(context.Context) ([]string, error) { return files, nil }
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, r *testRepo)
		opts    TagOptions
		wantErr string // "" for success
	}{
		{name: "tags HEAD", opts: TagOptions{StaleGenerated: stale()}},
		{
			name:    "dirty tree",
			setup:   func(t *testing.T, r *testRepo) { r.write(map[string]string{"notes.txt": "wip\n"}) },
			wantErr: "the work tree has uncommitted changes (notes.txt): commit or discard them before tagging",
		},
		{
			name: "staged change",
			setup: func(t *testing.T, r *testRepo) {
				r.write(map[string]string{"README.md": "y\n"})
				r.git("add", "README.md")
			},
			wantErr: "uncommitted changes (README.md)",
		},
		{
			name:    "detached HEAD",
			setup:   func(t *testing.T, r *testRepo) { r.git("checkout", "--quiet", "--detach") },
			wantErr: "HEAD is detached: check out the branch to release (git switch <branch>) before tagging",
		},
		{
			name:    "stale generated code",
			opts:    TagOptions{StaleGenerated: stale("gen/a.pb.go", "gen/b.pb.go", "py/a_pb2.py", "py/b_pb2.py")},
			wantErr: "generated code is out of date (gen/a.pb.go, gen/b.pb.go, py/a_pb2.py and 1 more): run `protoctl gen` and commit the result before tagging",
		},
		{
			name: "gen check fails",
			opts: TagOptions{StaleGenerated: func(context.Context) ([]string, error) {
				return nil, errors.New("protoc-gen-go: not pinned")
			}},
			wantErr: "checking generated code: protoc-gen-go: not pinned",
		},
		{
			name: "existing tag on another branch",
			setup: func(t *testing.T, r *testRepo) {
				r.git("switch", "--quiet", "-c", "other", "HEAD~1")
				r.commit("other", map[string]string{"x.txt": "x\n"})
				r.tag("v1.3.0", true)
				r.git("switch", "--quiet", "main")
			},
			wantErr: "tag v1.3.0 already exists",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTestRepo(t)
			r.commit("contract", map[string]string{"buf.yaml": bufYAML, userPath: userProto, "README.md": "x\n"})
			r.tag("v1.2.0", false)
			r.commit("change", map[string]string{userPath: edit(t, "  Status status = 3;\n", "  Status status = 3;\n  string phone = 4;\n")})
			if tt.setup != nil {
				tt.setup(t, r)
			}
			rel, err := r.plan(Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rel.TagName != "v1.3.0" {
				t.Fatalf("tag name %s, want v1.3.0", rel.TagName)
			}
			before := r.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/tags/")
			err = rel.Tag(context.Background(), tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Tag error %v, want %q", err, tt.wantErr)
				}
				if after := r.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/tags/"); after != before {
					t.Errorf("a refused Tag changed the tags:\nbefore %s\nafter  %s", before, after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.git("cat-file", "-t", "v1.3.0"); got != "tag" {
				t.Errorf("v1.3.0 is a %s object, want an annotated tag", got)
			}
			if got, want := r.git("rev-parse", "v1.3.0^{commit}"), r.git("rev-parse", "HEAD"); got != want {
				t.Errorf("v1.3.0 points at %s, want HEAD %s", got, want)
			}
			msg := r.git("for-each-ref", "--format=%(contents)", "refs/tags/v1.3.0")
			if want := strings.TrimSpace(rel.Changelog()); msg != want {
				t.Errorf("tag message:\n%s\nwant the changelog:\n%s", msg, want)
			}
			// Tagged: the same work tree now has nothing to release.
			again, err := r.plan(Options{})
			if err != nil {
				t.Fatal(err)
			}
			if again.Bump != BumpNone || again.Previous.Name != "v1.3.0" {
				t.Errorf("after tagging: bump %s from %s, want none from v1.3.0", again.Bump, again.Previous.Name)
			}
			if err := again.Tag(context.Background(), TagOptions{}); err == nil || !strings.Contains(err.Error(), "nothing to tag") {
				t.Errorf("tagging no change: %v, want nothing to tag", err)
			}
		})
	}
}
