package input

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/protoctl/protoctl/compile"
	"github.com/protoctl/protoctl/diag"
	"github.com/protoctl/protoctl/gitfs"
)

const workspaceYAML = "version: v2\nmodules:\n  - path: proto\nbreaking:\n  use: [WIRE]\n"

func protoFile(pkg, msg string) string {
	return fmt.Sprintf("syntax = \"proto3\";\npackage %s;\nmessage %s {\n  string name = 1;\n}\n", pkg, msg)
}

// workspaceV1 and workspaceV2 are the two commits the git tests use.
var (
	workspaceV1 = map[string]string{
		"buf.yaml":           workspaceYAML,
		"proto/acme/a.proto": protoFile("acme", "A"),
		"README.md":          "not a proto",
		"other/x/y.proto":    protoFile("x", "Y"),
	}
	workspaceV2 = map[string]string{
		"proto/acme/b.proto": "syntax = \"proto3\";\npackage acme;\nimport \"acme/a.proto\";\nmessage B { A a = 1; }\n",
	}
)

// displayed lists the target files of an input as Display shows them.
func displayed(r *Resolved) []string {
	var out []string
	for _, p := range r.Image.Targets() {
		out = append(out, r.Display(r.Image.LocalPath(p)))
	}
	return out
}

func load(t *testing.T, raw string, opts Options) *Resolved {
	t.Helper()
	r, err := Load(context.Background(), raw, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLoadGit(t *testing.T) {
	t.Parallel()
	repo := newTestRepo(t)
	first := repo.commit("one", workspaceV1)
	repo.git("tag", "light")
	repo.git("tag", "-a", "v1.0.0", "-m", "release")
	repo.commit("two", workspaceV2)
	repo.git("update-ref", "refs/remotes/origin/ci-only", first)
	// The work tree is broken: git inputs must not read it.
	writeFiles(t, repo.dir, map[string]string{"proto/acme/a.proto": "syntax error"})
	g := repo.dir + "/.git"

	both := []string{"proto/acme/a.proto", "proto/acme/b.proto"}
	one := []string{"proto/acme/a.proto"}
	tests := []struct {
		raw        string
		want       []string
		wantConfig bool
	}{
		{raw: g + "#branch=main", want: both, wantConfig: true},
		{raw: g, want: both, wantConfig: true},
		{raw: g + "#tag=v1.0.0", want: one, wantConfig: true},
		{raw: g + "#tag=light", want: one, wantConfig: true},
		{raw: g + "#ref=HEAD~1", want: one, wantConfig: true},
		{raw: g + "#ref=" + first[:12], want: one, wantConfig: true},
		{raw: g + "#branch=ci-only", want: one, wantConfig: true},
		// subdir=proto is the module of the root buf.yaml: shown from the
		// repository root, as buf shows them.
		{raw: g + "#ref=" + first + ",subdir=proto", want: one, wantConfig: true},
		{raw: g + "#branch=main,subdir=proto", want: both, wantConfig: true},
		// A directory of the tree with no buf.yaml above it: a workspace
		// of its own, shown from the repository root.
		{raw: repo.dir + "#format=git,ref=HEAD~1,subdir=other", want: []string{"other/x/y.proto"}},
	}
	for _, tt := range tests {
		t.Run(tt.raw[len(repo.dir):], func(t *testing.T) {
			t.Parallel()
			r := load(t, tt.raw, Options{})
			if diff := cmp.Diff(tt.want, displayed(r)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if got := r.Config != nil; got != tt.wantConfig {
				t.Errorf("config found: %v, want %v", got, tt.wantConfig)
			}
			if r.Config != nil && !slices.Equal(r.Config.Breaking.Use, []string{"WIRE"}) {
				t.Errorf("breaking.use = %v, want [WIRE]", r.Config.Breaking.Use)
			}
		})
	}
}

func TestLoadDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"buf.yaml":               "version: v2\nmodules:\n  - path: proto\n  - path: vendor\n",
		"proto/acme/a.proto":     "syntax = \"proto3\";\npackage acme;\nimport \"dep/d.proto\";\nmessage A { dep.D d = 1; }\n",
		"vendor/dep/d.proto":     protoFile("dep", "D"),
		"plain/x/y.proto":        protoFile("x", "Y"),
		"proto/acme/.keep":       "",
		"proto/acme/nested/n.md": "",
	})
	tests := []struct {
		raw        string
		want       []string
		wantTarget map[string]bool // workspace-relative path -> Contains
	}{
		{raw: dir, want: []string{dir + "/proto/acme/a.proto", dir + "/vendor/dep/d.proto"},
			wantTarget: map[string]bool{"proto/acme/a.proto": true, "vendor/dep/d.proto": true}},
		// One module of the workspace: the other is compiled for its
		// imports but is not part of the input.
		{raw: dir + "/proto", want: []string{dir + "/proto/acme/a.proto", dir + "/vendor/dep/d.proto"},
			wantTarget: map[string]bool{"proto/acme/a.proto": true, "vendor/dep/d.proto": false}},
		// No module of the workspace: a directory of its own.
		{raw: dir + "/plain", want: []string{dir + "/plain/x/y.proto"},
			wantTarget: map[string]bool{"x/y.proto": true}},
	}
	for _, tt := range tests {
		t.Run(tt.raw[len(dir):], func(t *testing.T) {
			t.Parallel()
			r := load(t, tt.raw, Options{})
			if diff := cmp.Diff(tt.want, displayed(r)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			got := map[string]bool{}
			for _, p := range r.Image.Targets() {
				l := r.Image.LocalPath(p)
				got[l] = r.Contains(l)
			}
			if diff := cmp.Diff(tt.wantTarget, got); diff != "" {
				t.Errorf("Contains (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDisplayRelative checks the paths buf prints for relative inputs,
// which depend on the working directory.
func TestDisplayRelative(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"buf.yaml":           workspaceYAML,
		"proto/acme/a.proto": protoFile("acme", "A"),
	})
	tests := []struct{ cwd, raw, want string }{
		{cwd: ".", raw: ".", want: "proto/acme/a.proto"},
		{cwd: ".", raw: "", want: "proto/acme/a.proto"},
		{cwd: ".", raw: "proto", want: "proto/acme/a.proto"},
		{cwd: ".", raw: "./proto/", want: "proto/acme/a.proto"},
		{cwd: "proto", raw: ".", want: "acme/a.proto"},
		{cwd: "proto/acme", raw: "../..", want: "../../proto/acme/a.proto"},
	}
	for _, tt := range tests {
		t.Run(tt.cwd+"/"+tt.raw, func(t *testing.T) {
			t.Chdir(filepath.Join(dir, tt.cwd))
			r := load(t, tt.raw, Options{})
			if diff := cmp.Diff([]string{tt.want}, displayed(r)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadImage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"src/acme/a.proto": "syntax = \"proto3\";\npackage acme;\nimport \"google/protobuf/timestamp.proto\";\nmessage A { google.protobuf.Timestamp t = 1; }\n",
	})
	ws := compile.Workspace{FS: os.DirFS(filepath.Join(dir, "src"))}
	withInfo := compileImage(t, ws, compile.Options{})
	without := compileImage(t, ws, compile.Options{NoSourceInfo: true})
	writeBytes(t, dir, "image.binpb", withInfo)
	writeBytes(t, dir, "bare.binpb", without)
	writeBytes(t, dir, "image.data", withInfo) // any name: told by its content

	for _, name := range []string{"image.binpb", "image.data", "bare.binpb", "image.data#format=binpb"} {
		r := load(t, filepath.Join(dir, name), Options{})
		if diff := cmp.Diff([]string{"acme/a.proto"}, displayed(r)); diff != "" {
			t.Errorf("%s: targets (-want +got):\n%s", name, diff)
		}
	}
	r := load(t, filepath.Join(dir, "image.binpb"), Options{NeedSourceInfo: true})
	if !r.Image.HasSourceInfo() {
		t.Error("image lost its source info")
	}
}

func compileImage(t *testing.T, ws compile.Workspace, opts compile.Options) []byte {
	t.Helper()
	img, err := compile.Compile(context.Background(), ws, opts)
	if err != nil {
		t.Fatal(err)
	}
	data, err := img.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeBytes(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	repo := newTestRepo(t)
	repo.commit("one", map[string]string{"buf.yaml": workspaceYAML, "proto/p/x.txt": "", "proto/a.proto": "syntax = \"proto3\";\nmessage A {\n  int32 x = 1\n}\n"})
	repo.commit("two", map[string]string{"proto/a.proto": protoFile("p", "A")})
	shallow := t.TempDir()
	if out, err := run("git", "clone", "-q", "--depth=1", "file://"+repo.dir, shallow); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"bad/a.proto":        "syntax = \"proto3\";\npackage a;\nmessage A { int32 x = 1 }\n",
		"ws/buf.yaml":        workspaceYAML,
		"ws/proto/p/a.proto": protoFile("p", "A"),
		"badyaml/buf.yaml":   "version: v9\n",
		"empty/README":       "",
	})
	ws := compile.Workspace{FS: os.DirFS(filepath.Join(dir, "ws", "proto"))}
	good := compileImage(t, ws, compile.Options{})
	writeBytes(t, dir, "garbage.binpb", []byte("\xff\xfe this is not protobuf"))
	writeBytes(t, dir, "truncated.binpb", good[:len(good)/2])
	writeBytes(t, dir, "empty.binpb", nil)
	writeBytes(t, dir, "bare.binpb", compileImage(t, ws, compile.Options{NoSourceInfo: true}))

	tests := []struct {
		name, raw string
		opts      Options
		want      string
		is        error
	}{
		{name: "missing dir", raw: dir + "/nope", want: `input "DIR/nope": no such file or directory`},
		{name: "missing image", raw: dir + "/nope.binpb", want: `input "DIR/nope.binpb": no such file or directory`},
		{name: "compile error names the side", raw: dir + "/bad", opts: Options{Role: "against input"},
			want: `against input "DIR/bad": DIR/bad/a.proto:3:25:syntax error: expecting ';'`},
		{name: "compile error at git ref", raw: repo.dir + "/.git#ref=HEAD~1",
			want: `input "REPO/.git#ref=HEAD~1": proto/a.proto:4:1:syntax error: expecting ';'`},
		{name: "git subdir inside a module", raw: repo.dir + "/.git#ref=HEAD~1,subdir=proto/p",
			want: `input "REPO/.git#ref=HEAD~1,subdir=proto/p": directory is inside module "proto" of the workspace configured by buf.yaml: give the workspace or the module directory as the input, and select files with --path`},
		{name: "inside a module", raw: dir + "/ws/proto/p",
			want: `input "DIR/ws/proto/p": directory is inside module "proto" of the workspace configured by DIR/ws/buf.yaml: give the workspace or the module directory as the input, and select files with --path`},
		{name: "bad buf.yaml", raw: dir + "/badyaml", want: `input "DIR/badyaml": DIR/badyaml/buf.yaml:1:10: unknown version "v9", expected "v2"`},
		{name: "no protos", raw: dir + "/empty", want: `input "DIR/empty": DIR/empty: no .proto files found`},
		{name: "unknown branch", raw: repo.dir + "/.git#branch=nope", is: gitfs.ErrUnknownRef,
			want: `input "REPO/.git#branch=nope": unknown git ref "nope" in REPO`},
		{name: "unknown tag", raw: repo.dir + "/.git#tag=v9", opts: Options{Role: "against input"}, is: gitfs.ErrUnknownRef,
			want: `against input "REPO/.git#tag=v9": unknown git ref "v9" in REPO`},
		{name: "shallow", raw: shallow + "/.git#ref=HEAD~1", is: gitfs.ErrUnknownRef,
			want: `input "SHALLOW/.git#ref=HEAD~1": unknown git ref "HEAD~1" in SHALLOW: the repository is a shallow clone that does not have it; fetch the history with ` + "`git fetch --unshallow` (in GitHub Actions, set `fetch-depth: 0` on actions/checkout)"},
		{name: "not a repository", raw: dir + "/.git#branch=main", is: gitfs.ErrNotRepository,
			want: `input "DIR/.git#branch=main": DIR is not a git repository`},
		{name: "missing subdir", raw: repo.dir + "/.git#branch=main,subdir=nope",
			want: `input "REPO/.git#branch=main,subdir=nope": subdir "nope" does not exist in the git tree`},
		{name: "garbage image", raw: dir + "/garbage.binpb", want: `input "DIR/garbage.binpb": not a FileDescriptorSet: proto: cannot parse invalid wire-format data`},
		{name: "truncated image", raw: dir + "/truncated.binpb", want: `input "DIR/truncated.binpb": not a FileDescriptorSet: proto: cannot parse invalid wire-format data`},
		{name: "empty image", raw: dir + "/empty.binpb", want: `input "DIR/empty.binpb": empty file: not an image`},
		{name: "image without source info", raw: dir + "/bare.binpb", opts: Options{NeedSourceInfo: true}, is: compile.ErrNoSourceInfo,
			want: "input \"DIR/bare.binpb\": image has no source info: findings need file locations; build the image with `buf build -o DIR/bare.binpb` or `protoc --include_imports --include_source_info --descriptor_set_out=DIR/bare.binpb`"},
		{name: "bad option", raw: ".git#branch=main,color=blue", want: `input ".git#branch=main,color=blue": unknown option "color": use branch, tag, ref, subdir or format`},
		{name: "two refs", raw: ".git#branch=main,tag=v1", want: `input ".git#branch=main,tag=v1": give only one of branch, tag and ref`},
		{name: "remote", raw: "https://github.com/x/y.git#branch=main", want: `input "https://github.com/x/y.git#branch=main": remote inputs are not supported: clone the repository and give its local path, such as path/to/repo/.git#branch=main`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(context.Background(), tt.raw, tt.opts)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			want := replaceAll(tt.want, "DIR", dir, "REPO", repo.dir, "SHALLOW", shallow)
			if diff := cmp.Diff(want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error does not wrap %v", tt.is)
			}
			var ie *Error
			if !errors.As(err, &ie) {
				t.Errorf("error is %T, not *input.Error", err)
			}
		})
	}
}

func TestCompileErrorIsSet(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.proto": "syntax = \"proto3\";\nmessage A { int32 x = 1 }\n"})
	_, err := Load(context.Background(), dir, Options{})
	var set diag.Set
	if !errors.As(err, &set) || len(set) != 1 {
		t.Fatalf("error %v does not carry the compile findings", err)
	}
	if want := dir + "/a.proto"; set[0].Path != want {
		t.Errorf("finding path = %q, want %q", set[0].Path, want)
	}
}
