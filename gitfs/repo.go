package gitfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrUnknownRef is wrapped by Open's error when the revision does not name
// a commit or tree in the repository.
var ErrUnknownRef = errors.New("unknown git ref")

// RefError reports a revision that does not resolve. It matches
// ErrUnknownRef with errors.Is.
type RefError struct {
	// Ref is the revision as the user wrote it.
	Ref string
	// Dir is the repository directory, absolute.
	Dir string
	// Shallow is set when the repository is a shallow clone, the usual
	// reason in CI (actions/checkout fetches one commit by default).
	Shallow bool
}

func (e *RefError) Error() string {
	msg := fmt.Sprintf("unknown git ref %q in %s", e.Ref, e.Dir)
	if e.Shallow {
		msg += ": the repository is a shallow clone that does not have it; " +
			"fetch the history with `git fetch --unshallow` (in GitHub Actions, set `fetch-depth: 0` on actions/checkout)"
	}
	return msg
}

// Is makes errors.Is(err, ErrUnknownRef) true.
func (e *RefError) Is(target error) bool { return target == ErrUnknownRef }

// ErrNotRepository is wrapped by Open's error when the directory is not
// inside a git repository.
var ErrNotRepository = errors.New("not a git repository")

// repo runs git commands in one repository.
type repo struct {
	dir string
}

// git runs one git command and returns its standard output. The error
// carries git's first line of standard error.
func (r repo) git(ctx context.Context, args ...string) ([]byte, error) {
	cmd := r.command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, errors.New("git is not installed or not on PATH")
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &gitError{args: args, stderr: firstLine(stderr.String()), err: err}
	}
	return stdout.Bytes(), nil
}

// command prepares a git command that reads this repository and nothing
// that the caller's environment points at (a hook sets GIT_DIR and
// GIT_INDEX_FILE for the repository it runs in, which need not be this one).
func (r repo) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", r.dir}, args...)...)
	env := os.Environ()
	kept := env[:0:0]
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_COMMON_DIR":
			continue
		}
		kept = append(kept, kv)
	}
	cmd.Env = append(kept, "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0")
	return cmd
}

type gitError struct {
	args   []string
	stderr string
	err    error
}

func (e *gitError) Error() string {
	if e.stderr != "" {
		return fmt.Sprintf("git %s: %s", e.args[0], strings.TrimPrefix(e.stderr, "fatal: "))
	}
	return fmt.Sprintf("git %s: %v", e.args[0], e.err)
}

func (e *gitError) Unwrap() error { return e.err }

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// resolve returns the tree object that rev names, and the commit when rev
// names a commit (or a tag of one).
func (r repo) resolve(ctx context.Context, rev string) (commit, tree string, err error) {
	if rev == "" {
		return "", "", errors.New("empty git ref")
	}
	if strings.HasPrefix(rev, "-") || strings.ContainsAny(rev, "\x00\n") {
		return "", "", fmt.Errorf("invalid git ref %q", rev)
	}
	if err := r.check(ctx); err != nil {
		return "", "", err
	}
	if out, err := r.git(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}"); err == nil {
		commit = strings.TrimSpace(string(out))
		out, err := r.git(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", commit+"^{tree}")
		if err != nil {
			return "", "", r.unknown(ctx, rev, err)
		}
		return commit, strings.TrimSpace(string(out)), nil
	}
	// Not a commit: a tree (main^{tree}, a tree hash, HEAD:proto). The
	// peel goes on the plain name since in "rev:path^{tree}" it would be
	// read as part of the path.
	out, err := r.git(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", rev)
	if err != nil {
		return "", "", r.unknown(ctx, rev, err)
	}
	oid := strings.TrimSpace(string(out))
	out, err = r.git(ctx, "cat-file", "-t", oid)
	if err != nil {
		return "", "", fmt.Errorf("resolving git ref %q in %s: %w", rev, r.dir, err)
	}
	if typ := strings.TrimSpace(string(out)); typ != "tree" {
		return "", "", fmt.Errorf("git ref %q in %s names a %s, not a commit or a tree", rev, r.dir, typ)
	}
	return "", oid, nil
}

// check reports a missing directory or one that is not in a repository.
func (r repo) check(ctx context.Context) error {
	info, err := os.Stat(r.dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("git repository %s: no such directory", r.dir)
		}
		return fmt.Errorf("git repository %s: %w", r.dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("git repository %s: not a directory", r.dir)
	}
	if _, err := r.git(ctx, "rev-parse", "--git-dir"); err != nil {
		var ge *gitError
		if errors.As(err, &ge) && strings.Contains(ge.stderr, "not a git repository") {
			return fmt.Errorf("%s is %w", r.dir, ErrNotRepository)
		}
		return fmt.Errorf("%s: %w", r.dir, err)
	}
	return nil
}

// unknown explains why rev did not resolve: a shallow clone is the usual
// cause in CI, where actions/checkout fetches one commit by default.
func (r repo) unknown(ctx context.Context, rev string, cause error) error {
	var ge *gitError
	if errors.As(cause, &ge) && ge.stderr != "" {
		// --quiet prints nothing for a missing ref; anything else is a
		// real failure (dubious ownership, a corrupt repository).
		return fmt.Errorf("resolving git ref %q in %s: %w", rev, r.dir, cause)
	}
	out, err := r.git(ctx, "rev-parse", "--is-shallow-repository")
	shallow := err == nil && strings.TrimSpace(string(out)) == "true"
	return &RefError{Ref: rev, Dir: r.dir, Shallow: shallow}
}

// absDir makes dir absolute so that messages name the repository
// unambiguously.
func absDir(dir string) string {
	if dir == "" {
		dir = "."
	}
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}
