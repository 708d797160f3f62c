package release

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// TagOptions are the checks Tag runs before it writes the tag.
type TagOptions struct {
	// StaleGenerated, when set, returns the generated files that are out
	// of date (the `protoctl gen --check` result); any refuses the tag.
	StaleGenerated func(ctx context.Context) ([]string, error)
}

// Tag writes the release as an annotated tag whose message is the
// changelog. It refuses when there is nothing to release, when the
// release is of the work tree and the tree is dirty or HEAD is detached,
// when generated code is stale, and when the tag exists.
func (r *Release) Tag(ctx context.Context, opts TagOptions) error {
	if r.Bump == BumpNone {
		return errors.New("nothing to tag: " + r.Summary())
	}
	if r.TagExists || r.repo.HasTag(ctx, r.TagName) {
		return fmt.Errorf("tag %s already exists: the contract changed since it was made without a new version; delete the tag or release from its commit", r.TagName)
	}
	commit := r.Commit
	if commit == "" {
		branch, err := r.repo.Branch(ctx)
		if err != nil {
			return err
		}
		if branch == "" {
			return errors.New("HEAD is detached: check out the branch to release (git switch <branch>) before tagging")
		}
		dirty, err := r.repo.Dirty(ctx)
		if err != nil {
			return err
		}
		if len(dirty) > 0 {
			return fmt.Errorf("the work tree has uncommitted changes (%s): commit or discard them before tagging", list(dirty))
		}
		commit = "HEAD"
	}
	if opts.StaleGenerated != nil {
		stale, err := opts.StaleGenerated(ctx)
		if err != nil {
			return fmt.Errorf("checking generated code: %w", err)
		}
		if len(stale) > 0 {
			return fmt.Errorf("generated code is out of date (%s): run `protoctl gen` and commit the result before tagging", list(stale))
		}
	}
	return r.repo.CreateTag(ctx, r.TagName, commit, r.Changelog())
}

// list shows up to three names and how many more there are.
func list(names []string) string {
	if len(names) <= 3 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:3], ", "), len(names)-3)
}
