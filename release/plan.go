package release

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/protoctl/protoctl/diag"
	"github.com/protoctl/protoctl/input"
)

// Options say what to release.
type Options struct {
	// Dir is the contract in the work tree: a buf workspace or one module
	// of it, as for `protoctl breaking`.
	Dir string
	// TagPrefix comes before the version in tag names ("proto/" for
	// proto/v1.2.0).
	TagPrefix string
	// Ref, when set, is the revision released instead of the work tree.
	// Tags at that commit are its own release, not the previous one: with
	// the tag just pushed, Plan still describes that release.
	Ref string
	// Initial is the version of the first release (v0.1.0 when zero).
	Initial Version
}

// Release is what a release would be.
type Release struct {
	// Previous is the last release; nil for the first one.
	Previous *Tag
	// Next is the version released; Previous's when Bump is none.
	Next Version
	// TagName is the tag Next is released as, prefix included.
	TagName string
	Bump    Bump
	Level   Level
	// Changes are sorted by package, breaking ones first in each.
	Changes []Change
	// Commit is the commit released; empty for the work tree.
	Commit string
	// TagExists reports that TagName is already a tag.
	TagExists bool

	repo *Repo
}

// Errors that stop a release, for callers that tell them apart.
var (
	// ErrShallow: the clone has no release tag and is shallow, so the
	// tags may just not have been fetched.
	ErrShallow = errors.New("shallow clone without release tags")
	// ErrOutsideModule: the previous tag's tree has no module directory.
	ErrOutsideModule = errors.New("tag points outside the module")
)

// CompileError says that one side of the comparison does not compile.
type CompileError struct {
	// What is the side: "the work tree", "ref main", "tag v1.2.0".
	What string
	Set  diag.Set
}

func (e *CompileError) Error() string {
	return e.What + " does not compile:\n" + e.Set.Error()
}

// Plan finds the last release, compares the contract with it and returns
// the next release. It changes nothing.
func Plan(ctx context.Context, opts Options) (*Release, error) {
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	repo, err := OpenRepo(ctx, dir)
	if err != nil {
		return nil, err
	}
	sub, err := filepath.Rel(repo.Dir, dir)
	if err != nil || strings.HasPrefix(sub, "..") {
		return nil, fmt.Errorf("%s is outside the git work tree %s", dir, repo.Dir)
	}
	sub = filepath.ToSlash(sub)
	rev := opts.Ref
	if rev == "" {
		rev = "HEAD"
	}
	commit, err := repo.Commit(ctx, rev)
	if err != nil {
		if rev == "HEAD" {
			return nil, fmt.Errorf("%s has no commit yet: commit the contract before releasing it", repo.Dir)
		}
		return nil, err
	}
	tags, err := repo.Tags(ctx, opts.TagPrefix, commit)
	if err != nil {
		return nil, err
	}
	r := &Release{repo: repo}
	if opts.Ref != "" {
		r.Commit = commit
		tags = slices.DeleteFunc(tags, func(t Tag) bool { return t.Commit == commit })
	}
	if len(tags) == 0 {
		shallow, err := repo.Shallow(ctx)
		if err != nil {
			return nil, err
		}
		if shallow {
			return nil, fmt.Errorf("%w: %s is a shallow clone and no tag %sv* is reachable from %s; fetch the history and tags with `git fetch --unshallow --tags` (in GitHub Actions, actions/checkout with fetch-depth: 0)",
				ErrShallow, repo.Dir, opts.TagPrefix, rev)
		}
	} else {
		r.Previous = &tags[0]
		if !repo.HasDir(ctx, "refs/tags/"+r.Previous.Name, sub) {
			return nil, fmt.Errorf("%w: tag %s has no directory %s: it was made before the module existed or for another module (check --tag-prefix)",
				ErrOutsideModule, r.Previous.Name, sub)
		}
	}

	current, err := loadCurrent(ctx, repo, dir, sub, opts.Ref)
	if err != nil {
		return nil, err
	}
	if r.Previous == nil {
		r.Next = opts.Initial
		if r.Next == (Version{}) {
			r.Next = Version{0, 1, 0}
		}
		r.Bump, r.Level = BumpInitial, LevelAdditive
		r.Changes = Initial(current)
		r.TagName = opts.TagPrefix + r.Next.String()
		r.TagExists = repo.HasTag(ctx, r.TagName)
		return r, nil
	}
	previous, err := load(ctx, repo, "tag "+r.Previous.Name, "tag="+r.Previous.Name, sub)
	if err != nil {
		return nil, err
	}
	r.Level, r.Changes, err = Compare(ctx, previous, current)
	if err != nil {
		return nil, err
	}
	r.Bump = BumpFor(r.Previous.Version, r.Level)
	r.Next = r.Previous.Version.Next(r.Bump)
	r.TagName = opts.TagPrefix + r.Next.String()
	r.TagExists = r.Bump != BumpNone && repo.HasTag(ctx, r.TagName)
	return r, nil
}

func loadCurrent(ctx context.Context, repo *Repo, dir, sub, ref string) (*input.Resolved, error) {
	if ref != "" {
		return load(ctx, repo, "ref "+ref, "ref="+ref, sub)
	}
	r, err := input.Load(ctx, dir, input.Options{})
	if err != nil {
		return nil, notCompiling("the work tree", err)
	}
	return r, nil
}

// load compiles the contract at a git revision, from git objects.
func load(ctx context.Context, repo *Repo, what, rev, sub string) (*input.Resolved, error) {
	raw := filepath.Join(repo.Dir, ".git") + "#" + rev
	if sub != "." {
		raw += ",subdir=" + sub
	}
	r, err := input.Load(ctx, raw, input.Options{Role: what})
	if err != nil {
		return nil, notCompiling(what, err)
	}
	return r, nil
}

// notCompiling names the side that failed; a compile error lists every
// problem after it.
func notCompiling(what string, err error) error {
	var set diag.Set
	if errors.As(err, &set) {
		return &CompileError{What: what, Set: set}
	}
	var ie *input.Error
	if errors.As(err, &ie) {
		return fmt.Errorf("%s: %w", what, ie.Err)
	}
	return err
}
