package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Repo is a git repository, driven through the git command line.
type Repo struct {
	// Dir is the top level of the work tree.
	Dir string
}

// OpenRepo returns the repository whose work tree holds dir.
func OpenRepo(ctx context.Context, dir string) (*Repo, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, errors.New("git is not installed: release reads tags with the git command line")
	}
	out, err := runGit(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("%s is not in a git work tree: %w", dir, err)
	}
	top := strings.TrimSpace(out)
	if real, err := filepath.EvalSymlinks(top); err == nil {
		top = real
	}
	return &Repo{Dir: top}, nil
}

// gitError is a failed git command: its arguments and what it said.
type gitError struct {
	args   []string
	stderr string
	err    error
}

func (e *gitError) Error() string {
	msg := strings.TrimSpace(e.stderr)
	if msg == "" {
		msg = e.err.Error()
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return fmt.Sprintf("git %s: %s", strings.Join(e.args, " "), msg)
}

func (e *gitError) Unwrap() error { return e.err }

func runGit(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", &gitError{args: args, stderr: stderr.String(), err: err}
	}
	return stdout.String(), nil
}

func (r *Repo) git(ctx context.Context, args ...string) (string, error) {
	return runGit(ctx, r.Dir, args...)
}

// Commit resolves a revision to a commit hash.
func (r *Repo) Commit(ctx context.Context, rev string) (string, error) {
	out, err := r.git(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("ref %q does not name a commit of %s", rev, r.Dir)
	}
	return strings.TrimSpace(out), nil
}

// Shallow reports whether the repository is a shallow clone.
func (r *Repo) Shallow(ctx context.Context) (bool, error) {
	out, err := r.git(ctx, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(out) == "true", nil
}

// Branch returns the branch HEAD is on, or "" when HEAD is detached.
func (r *Repo) Branch(ctx context.Context) (string, error) {
	out, err := r.git(ctx, "symbolic-ref", "--quiet", "--short", "HEAD")
	if err != nil {
		var ge *gitError
		if errors.As(err, &ge) {
			var ee *exec.ExitError
			if errors.As(ge.err, &ee) && ee.ExitCode() == 1 {
				return "", nil
			}
		}
		return "", err
	}
	return strings.TrimSpace(out), nil
}

// Dirty lists the paths that differ from HEAD: modified, staged or
// untracked (ignored files do not count).
func (r *Repo) Dirty(ctx context.Context) ([]string, error) {
	out, err := r.git(ctx, "status", "--porcelain=v1", "-z", "--untracked-files=all")
	if err != nil {
		return nil, err
	}
	var paths []string
	entries := strings.Split(out, "\x00")
	for i := 0; i < len(entries); i++ {
		e := entries[i]
		if len(e) < 4 {
			continue
		}
		paths = append(paths, e[3:])
		if e[0] == 'R' || e[0] == 'C' {
			i++ // the source of a rename or copy follows
		}
	}
	slices.Sort(paths)
	return paths, nil
}

// HasTag reports whether a tag of that name exists.
func (r *Repo) HasTag(ctx context.Context, name string) bool {
	_, err := r.git(ctx, "rev-parse", "--verify", "--quiet", "refs/tags/"+name)
	return err == nil
}

// HasDir reports whether dir (relative to the top level, "." for the
// root) is a directory in the tree of rev.
func (r *Repo) HasDir(ctx context.Context, rev, dir string) bool {
	if dir == "." || dir == "" {
		return true
	}
	out, err := r.git(ctx, "cat-file", "-t", rev+"^{commit}:"+dir)
	return err == nil && strings.TrimSpace(out) == "tree"
}

// Tag is a release tag.
type Tag struct {
	// Name is the full tag name, prefix included.
	Name    string
	Version Version
	// Commit is the commit the tag points at (peeled).
	Commit    string
	Annotated bool
}

// Tags lists the release tags with the prefix that are reachable from the
// commit, highest version first. Tags whose name after the prefix is not
// vMAJOR.MINOR.PATCH are skipped.
func (r *Repo) Tags(ctx context.Context, prefix, commit string) ([]Tag, error) {
	out, err := r.git(ctx, "for-each-ref", "--merged="+commit,
		"--format=%(refname)%00%(objecttype)%00%(objectname)%00%(*objectname)", "refs/tags/")
	if err != nil {
		return nil, err
	}
	var tags []Tag
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, "\x00")
		if len(f) != 4 {
			continue
		}
		name := strings.TrimPrefix(f[0], "refs/tags/")
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		v, err := ParseVersion(rest)
		if err != nil {
			continue
		}
		t := Tag{Name: name, Version: v, Commit: f[2], Annotated: f[1] == "tag"}
		if t.Annotated {
			t.Commit = f[3]
		}
		tags = append(tags, t)
	}
	slices.SortFunc(tags, func(a, b Tag) int {
		if c := b.Version.Compare(a.Version); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return tags, nil
}

// CreateTag writes an annotated tag at commit with the message, verbatim.
func (r *Repo) CreateTag(ctx context.Context, name, commit, message string) error {
	_, err := r.git(ctx, "tag", "--annotate", "--cleanup=verbatim",
		"--message="+message, "--end-of-options", name, commit)
	return err
}
