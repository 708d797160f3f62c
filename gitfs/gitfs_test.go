package gitfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testRepo is a real repository in a temporary directory.
type testRepo struct {
	t   testing.TB
	dir string
}

func newTestRepo(t testing.TB) *testRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	r := &testRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes files (a nil content removes the file) and commits them.
func (r *testRepo) commit(msg string, files map[string]string) string {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.dir, filepath.FromSlash(name))
		if content == "\x00delete" {
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
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

func open(t *testing.T, dir, rev string) *FS {
	t.Helper()
	f, err := Open(context.Background(), dir, rev)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readAll(t *testing.T, fsys fs.FS) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		got[p] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestOpenRevisions(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	first := r.commit("one", map[string]string{"proto/a.proto": "v1", "README": "hi"})
	r.git("tag", "light")
	r.git("tag", "-a", "annotated", "-m", "release")
	r.commit("two", map[string]string{"proto/a.proto": "v2", "proto/sub/b.proto": "b"})
	r.git("branch", "feature")
	r.commit("three", map[string]string{"README": "\x00delete"})
	// An uncommitted edit and an untracked file must not be seen.
	if err := os.WriteFile(filepath.Join(r.dir, "proto/a.proto"), []byte("dirty"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, "untracked.proto"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	v1 := map[string]string{"README": "hi", "proto/a.proto": "v1"}
	v2 := map[string]string{"README": "hi", "proto/a.proto": "v2", "proto/sub/b.proto": "b"}
	v3 := map[string]string{"proto/a.proto": "v2", "proto/sub/b.proto": "b"}
	tests := []struct {
		rev        string
		want       map[string]string
		wantCommit bool
	}{
		{rev: "main", want: v3, wantCommit: true},
		{rev: "HEAD", want: v3, wantCommit: true},
		{rev: "HEAD~1", want: v2, wantCommit: true},
		{rev: "feature", want: v2, wantCommit: true},
		{rev: "light", want: v1, wantCommit: true},
		{rev: "annotated", want: v1, wantCommit: true},
		{rev: "refs/tags/annotated", want: v1, wantCommit: true},
		{rev: first, want: v1, wantCommit: true},
		{rev: first[:10], want: v1, wantCommit: true},
		{rev: "main^{tree}", want: v3},
		{rev: "HEAD~2:proto", want: map[string]string{"a.proto": "v1"}},
	}
	for _, tt := range tests {
		t.Run(tt.rev, func(t *testing.T) {
			t.Parallel()
			f := open(t, r.dir, tt.rev)
			if diff := cmp.Diff(tt.want, readAll(t, f)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if got := f.Commit != ""; got != tt.wantCommit {
				t.Errorf("Commit = %q, want a commit: %v", f.Commit, tt.wantCommit)
			}
			if tt.rev == "annotated" && f.Commit != first {
				t.Errorf("annotated tag peeled to %s, want commit %s", f.Commit, first)
			}
		})
	}
}

func TestFSConformance(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.commit("one", map[string]string{
		"buf.yaml":             "version: v2\n",
		"proto/a/x.proto":      "x",
		"proto/a/y.proto":      "y",
		"proto/b/deep/z.proto": "z",
		"empty.txt":            "",
	})
	f := open(t, r.dir, "main")
	if err := fstest.TestFS(f, "buf.yaml", "proto/a/x.proto", "proto/a/y.proto", "proto/b/deep/z.proto", "empty.txt"); err != nil {
		t.Fatal(err)
	}
	sub, err := f.Sub("proto")
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(sub, "a/x.proto", "a/y.proto", "b/deep/z.proto"); err != nil {
		t.Fatal(err)
	}
}

func TestSub(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.commit("one", map[string]string{"proto/a.proto": "a", "top.txt": "t"})
	f := open(t, r.dir, "main")
	tests := []struct {
		dir     string
		want    map[string]string
		wantErr string
	}{
		{dir: "proto", want: map[string]string{"a.proto": "a"}},
		{dir: ".", want: map[string]string{"proto/a.proto": "a", "top.txt": "t"}},
		{dir: "nope", wantErr: "sub nope: file does not exist"},
		{dir: "top.txt", wantErr: "sub top.txt: not a directory"},
		{dir: "../x", wantErr: "sub ../x: invalid argument"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			sub, err := fs.Sub(f, tt.dir)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Sub(%q) error = %v, want %q", tt.dir, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, readAll(t, sub)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.commit("one", map[string]string{"a.proto": "1"})
	r.commit("two", map[string]string{"a.proto": "2"})
	r.git("tag", "v2")

	shallow := t.TempDir()
	clone := exec.Command("git", "clone", "-q", "--depth=1", "file://"+r.dir, shallow)
	if out, err := clone.CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	notRepo := t.TempDir()
	missing := filepath.Join(notRepo, "missing")
	file := filepath.Join(notRepo, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, dir, rev string
		want           string
		is             error
	}{
		{name: "unknown ref", dir: r.dir, rev: "nope", want: fmt.Sprintf("unknown git ref %q in %s", "nope", r.dir), is: ErrUnknownRef},
		{name: "unknown parent", dir: r.dir, rev: "HEAD~5", want: fmt.Sprintf("unknown git ref %q in %s", "HEAD~5", r.dir), is: ErrUnknownRef},
		{name: "shallow", dir: shallow, rev: "HEAD~1", is: ErrUnknownRef,
			want: fmt.Sprintf("unknown git ref %q in %s: the repository is a shallow clone that does not have it; "+
				"fetch the history with `git fetch --unshallow` (in GitHub Actions, set `fetch-depth: 0` on actions/checkout)", "HEAD~1", shallow)},
		{name: "not a repository", dir: notRepo, rev: "main", want: notRepo + " is not a git repository", is: ErrNotRepository},
		{name: "missing directory", dir: missing, rev: "main", want: "git repository " + missing + ": no such directory"},
		{name: "file", dir: file, rev: "main", want: "git repository " + file + ": not a directory"},
		{name: "option", dir: r.dir, rev: "--all", want: `invalid git ref "--all"`},
		{name: "empty", dir: r.dir, rev: "", want: "empty git ref"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := Open(context.Background(), tt.dir, tt.rev)
			if err == nil {
				f.Close()
				t.Fatalf("Open(%q) succeeded", tt.rev)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
		})
	}
	// The shallow clone still has the commit it fetched.
	f := open(t, shallow, "HEAD")
	if diff := cmp.Diff(map[string]string{"a.proto": "2"}, readAll(t, f)); diff != "" {
		t.Errorf("shallow HEAD (-want +got):\n%s", diff)
	}
}

func TestIgnoresCallerGitDir(t *testing.T) {
	r := newTestRepo(t)
	r.commit("one", map[string]string{"a.proto": "mine"})
	other := newTestRepo(t)
	other.commit("one", map[string]string{"b.proto": "other"})
	// A git hook runs with GIT_DIR set to its own repository.
	t.Setenv("GIT_DIR", filepath.Join(other.dir, ".git"))
	f := open(t, r.dir, "main")
	if diff := cmp.Diff(map[string]string{"a.proto": "mine"}, readAll(t, f)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.commit("one", map[string]string{"a.proto": "a"})
	f := open(t, r.dir, "main")
	if _, err := f.ReadFile("a.proto"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := f.ReadFile("a.proto")
	if want := "read a.proto: git tree is closed"; err == nil || err.Error() != want {
		t.Errorf("read after Close: %v, want %q", err, want)
	}
	// Listing needs no process.
	if _, err := f.ReadDir("."); err != nil {
		t.Errorf("ReadDir after Close: %v", err)
	}
}

func TestConcurrentReads(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	files := map[string]string{}
	for i := range 50 {
		files[fmt.Sprintf("p/f%02d.proto", i)] = strings.Repeat(fmt.Sprint(i), 1000+i)
	}
	r.commit("many", files)
	f := open(t, r.dir, "main")
	var wg sync.WaitGroup
	errs := make(chan error, len(files))
	for name, want := range files {
		wg.Go(func() {
			got, err := f.ReadFile(name)
			if err == nil && string(got) != want {
				err = fmt.Errorf("%s: wrong content (%d bytes, want %d)", name, len(got), len(want))
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestLargeTree reads a tree the size of a large contract repository
// (1,400 files) and holds it to a generous bound; the time is logged.
func TestLargeTree(t *testing.T) {
	r := newTestRepo(t)
	const n = 1400
	files := make(map[string]string, n)
	for i := range n {
		files[fmt.Sprintf("proto/pkg%02d/v1/file%04d.proto", i%40, i)] =
			fmt.Sprintf("syntax = \"proto3\";\npackage pkg%02d.v1;\nmessage M%d { string name = 1; }\n%s", i%40, i, strings.Repeat("// padding\n", 100))
	}
	r.commit("large", files)
	start := time.Now()
	f := open(t, r.dir, "main")
	opened := time.Since(start)
	got := readAll(t, f)
	total := time.Since(start)
	if len(got) != n {
		t.Fatalf("read %d files, want %d", len(got), n)
	}
	t.Logf("open (rev-parse + ls-tree): %v; open and read %d files: %v", opened, n, total)
	if total > 3*time.Second {
		t.Errorf("reading %d files took %v, want well under a second (3s allowed on a busy machine)", n, total)
	}
}

func BenchmarkReadTree(b *testing.B) {
	r := newTestRepo(b)
	files := make(map[string]string, 1400)
	for i := range 1400 {
		files[fmt.Sprintf("p%02d/f%04d.proto", i%40, i)] = strings.Repeat("x", 1200)
	}
	r.commit("large", files)
	for b.Loop() {
		f, err := Open(context.Background(), r.dir, "main")
		if err != nil {
			b.Fatal(err)
		}
		for name := range files {
			if _, err := f.ReadFile(name); err != nil {
				b.Fatal(err)
			}
		}
		f.Close()
	}
}

func TestOpenBlob(t *testing.T) {
	t.Parallel()
	r := newTestRepo(t)
	r.commit("one", map[string]string{"a.proto": "a"})
	_, err := Open(context.Background(), r.dir, "main:a.proto")
	if want := fmt.Sprintf("git ref %q in %s names a blob, not a commit or a tree", "main:a.proto", r.dir); err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}
