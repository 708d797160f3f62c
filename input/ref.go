package input

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Kind is the kind of an input.
type Kind int

// The kinds of input.
const (
	Dir Kind = iota + 1
	ImageFile
	Git
)

func (k Kind) String() string {
	switch k {
	case Dir:
		return "dir"
	case ImageFile:
		return "binpb"
	case Git:
		return "git"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Ref is a parsed input string.
type Ref struct {
	// Raw is the input as the user wrote it.
	Raw string
	// Kind is what Path is.
	Kind Kind
	// Path is the directory, the image file, or the git repository (the
	// directory that holds .git, or a bare repository).
	Path string
	// Branch, Tag and Rev select the commit of a git input; at most one is
	// set, and none means HEAD.
	Branch, Tag, Rev string
	// Subdir is the directory of a git tree that is the input root.
	Subdir string
}

// imageExts are the file name endings that mean an image without
// looking at the file.
var imageExts = []string{".binpb", ".bin", ".pb"}

// Parse reads an input string. It looks at the file system only to tell a
// directory from a file when the string does not say which it is.
func Parse(raw string) (Ref, error) {
	if raw == "" {
		raw = "."
	}
	p, opts, hasOpts := strings.Cut(raw, "#")
	ref := Ref{Raw: raw, Path: p}
	if p == "" {
		return Ref{}, errors.New("no path before '#'")
	}
	if strings.Contains(p, "://") || strings.HasPrefix(p, "git@") {
		return Ref{}, errors.New("remote inputs are not supported: clone the repository and give its local path, such as path/to/repo/.git#branch=main")
	}
	var format string
	if hasOpts {
		seen := map[string]bool{}
		for kv := range strings.SplitSeq(opts, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" || v == "" {
				return Ref{}, fmt.Errorf("invalid option %q: want key=value", kv)
			}
			if seen[k] {
				return Ref{}, fmt.Errorf("option %q given twice", k)
			}
			seen[k] = true
			switch k {
			case "format":
				format = v
			case "branch":
				ref.Branch = v
			case "tag":
				ref.Tag = v
			case "ref":
				ref.Rev = v
			case "subdir":
				sub := path.Clean(filepath.ToSlash(v))
				if path.IsAbs(sub) || sub == ".." || strings.HasPrefix(sub, "../") {
					return Ref{}, fmt.Errorf("subdir %q is outside the repository", v)
				}
				ref.Subdir = sub
			case "depth", "recurse_submodules":
				// Accepted for buf compatibility: the repository is read
				// in place, so there is nothing to clone.
			default:
				return Ref{}, fmt.Errorf("unknown option %q: use branch, tag, ref, subdir or format", k)
			}
		}
	}
	n := 0
	for _, v := range []string{ref.Branch, ref.Tag, ref.Rev} {
		if v != "" {
			n++
		}
	}
	if n > 1 {
		return Ref{}, errors.New("give only one of branch, tag and ref")
	}
	gitOpts := n > 0 || ref.Subdir != ""
	switch format {
	case "git":
		ref.Kind = Git
	case "dir":
		ref.Kind = Dir
	case "binpb", "bin":
		ref.Kind = ImageFile
	case "":
		ref.Kind = guessKind(p, gitOpts)
	default:
		return Ref{}, fmt.Errorf("unsupported format %q: use dir, git or binpb", format)
	}
	if gitOpts && ref.Kind != Git {
		return Ref{}, fmt.Errorf("branch, tag, ref and subdir apply to git inputs only, and %q is a %s input", p, ref.Kind)
	}
	if ref.Kind == Git {
		ref.Path = repoDir(p)
	}
	return ref, nil
}

// guessKind tells the kind from the path, as buf does: a name ending in
// .git is a repository, a directory is a directory, anything else a file.
func guessKind(p string, gitOpts bool) Kind {
	if filepath.Base(p) == ".git" || strings.HasSuffix(p, ".git") || gitOpts {
		return Git
	}
	if slices.Contains(imageExts, filepath.Ext(p)) {
		return ImageFile
	}
	if info, err := os.Stat(p); err == nil && !info.IsDir() {
		return ImageFile
	}
	return Dir
}

// repoDir turns "x/.git" into "x", so that git runs in the work tree's
// repository; a bare repository ("x.git") is used as it is.
func repoDir(p string) string {
	if filepath.Base(p) == ".git" {
		return filepath.Dir(p)
	}
	return p
}

// revs lists the revisions to try, in order, for git rev-parse.
func (r Ref) revs() []string {
	switch {
	case r.Branch != "":
		// A CI checkout often has the branch only as a remote-tracking ref.
		return []string{"refs/heads/" + r.Branch, "refs/remotes/origin/" + r.Branch}
	case r.Tag != "":
		return []string{"refs/tags/" + r.Tag}
	case r.Rev != "":
		return []string{r.Rev}
	}
	return []string{"HEAD"}
}

// refName is the revision as the user named it.
func (r Ref) refName() string {
	return cmp.Or(r.Branch, r.Tag, r.Rev, "HEAD")
}
