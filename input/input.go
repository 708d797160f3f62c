package input

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/protoctl/protoctl/compile"
	"github.com/protoctl/protoctl/diag"
	"github.com/protoctl/protoctl/gitfs"
)

// Options tune Load.
type Options struct {
	// Role names the input in messages: "input" when empty, "against
	// input" for the other side of a comparison.
	Role string
	// NeedSourceInfo makes an image file without source info an error:
	// a caller that prints places (breaking) cannot work without it.
	NeedSourceInfo bool
	// Config replaces the configuration found in the input (--config).
	Config *Config
	// Compile is passed to compile.Compile.
	Compile compile.Options
}

// Resolved is a loaded input: its image and the configuration it came
// with.
type Resolved struct {
	Ref   Ref
	Image *compile.Image
	// Config is the buf.yaml of the input (or --config); nil for an image
	// file or a directory without one.
	Config *Config

	// module is the input's module directory relative to the workspace
	// root when the input is one module of a larger workspace, else ".".
	module string
	// Local paths in the image are relative to the workspace root; they
	// are shown as prefix joined with the path relative to strip.
	prefix, strip string
}

// Display returns the path to show for a workspace-relative path, as buf
// shows it: relative to the input as the user wrote it.
func (r *Resolved) Display(local string) string {
	if local == "" {
		return ""
	}
	rel := local
	if r.strip != "." {
		if p, err := filepath.Rel(filepath.FromSlash(r.strip), filepath.FromSlash(local)); err == nil {
			rel = filepath.ToSlash(p)
		}
	}
	return path.Join(r.prefix, rel)
}

// Contains reports whether a workspace-relative path belongs to the input:
// always, unless the input is one module of a larger workspace.
func (r *Resolved) Contains(local string) bool {
	return r.module == "." || local == r.module || strings.HasPrefix(local, r.module+"/")
}

// Error is a failure to load an input. It names the input and the side.
type Error struct {
	Role  string
	Input string
	Err   error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %q: %v", e.Role, e.Input, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Load parses raw (see the package comment) and compiles or reads it.
func Load(ctx context.Context, raw string, opts Options) (*Resolved, error) {
	role := opts.Role
	if role == "" {
		role = "input"
	}
	if raw == "" {
		raw = "."
	}
	ref, err := Parse(raw)
	if err != nil {
		return nil, &Error{Role: role, Input: raw, Err: err}
	}
	var r *Resolved
	switch ref.Kind {
	case Dir:
		r, err = loadDir(ctx, ref, opts)
	case Git:
		r, err = loadGit(ctx, ref, opts)
	case ImageFile:
		r, err = loadImage(ref, opts)
	}
	if err != nil {
		return nil, &Error{Role: role, Input: raw, Err: err}
	}
	return r, nil
}

// loadDir compiles a directory: the workspace that holds it, targeting the
// directory's module when the directory is one module of the workspace.
func loadDir(ctx context.Context, ref Ref, opts Options) (*Resolved, error) {
	info, err := os.Stat(ref.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errors.New("no such file or directory")
		}
		return nil, unwrapPathError(err)
	}
	if !info.IsDir() {
		return nil, errors.New("not a directory")
	}
	abs, err := filepath.Abs(ref.Path)
	if err != nil {
		return nil, err
	}
	root, module, cfg := abs, ".", opts.Config
	if cfg == nil {
		root, module, cfg, err = findWorkspace(abs)
		if err != nil {
			return nil, err
		}
	}
	prefix := filepath.ToSlash(filepath.Clean(ref.Path))
	return compileTree(ctx, ref, os.DirFS(root), cfg, module, prefix, module, opts)
}

// findWorkspace walks up from dir to the nearest buf.yaml (or
// buf.work.yaml), stopping at the root of a git repository. When the
// configuration found above dir lists dir as a module, that workspace is
// used with dir's module as the target; dir inside a module is an error,
// as in buf; otherwise dir stands alone.
func findWorkspace(dir string) (root, module string, cfg *Config, err error) {
	for cur := dir; ; {
		c, err := readConfig(os.DirFS(cur), cur)
		if err != nil {
			return "", "", nil, err
		}
		if c != nil {
			if cur == dir {
				return dir, ".", c, nil
			}
			rel, err := filepath.Rel(cur, dir)
			if err != nil {
				return "", "", nil, err
			}
			m, err := moduleOf(c, filepath.ToSlash(rel))
			if err != nil {
				return "", "", nil, err
			}
			if m == "" {
				return dir, ".", nil, nil
			}
			return cur, m, c, nil
		}
		if _, err := os.Stat(filepath.Join(cur, ".git")); err == nil {
			return dir, ".", nil, nil
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return dir, ".", nil, nil
		}
		cur = parent
	}
}

// moduleOf returns rel when it is a module root of cfg, "" when it is in
// no module, and an error when it is inside one.
func moduleOf(cfg *Config, rel string) (string, error) {
	mods := cfg.Modules
	if len(mods) == 0 {
		mods = []Module{{Path: "."}}
	}
	for _, m := range mods {
		mp := path.Clean(m.Path)
		if mp == rel {
			return rel, nil
		}
		if mp == "." || strings.HasPrefix(rel, mp+"/") {
			return "", fmt.Errorf("directory is inside module %q of the workspace configured by %s: give the workspace or the module directory as the input, and select files with --path", mp, cfg.File)
		}
	}
	return "", nil
}

// loadGit compiles the tree of a commit, read from git objects.
func loadGit(ctx context.Context, ref Ref, opts Options) (*Resolved, error) {
	var tree *gitfs.FS
	var err error
	for _, rev := range ref.revs() {
		tree, err = gitfs.Open(ctx, ref.Path, rev)
		if !errors.Is(err, gitfs.ErrUnknownRef) {
			break
		}
	}
	if err != nil {
		if re := (*gitfs.RefError)(nil); errors.As(err, &re) {
			// Name the ref as the user wrote it, not the refs/heads/
			// spelling that was tried.
			re.Ref = ref.refName()
		}
		return nil, err
	}
	defer tree.Close()
	sub := cmp.Or(ref.Subdir, ".")
	// Find the workspace as for a directory, within the tree.
	root, module, cfg := sub, ".", opts.Config
	if cfg == nil {
		root, module, cfg, err = findTreeWorkspace(tree, sub)
		if err != nil {
			return nil, err
		}
	}
	fsys, err := tree.Sub(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("subdir %q does not exist at git ref %q", sub, ref.refName())
		}
		return nil, fmt.Errorf("subdir %q at git ref %q: %w", sub, ref.refName(), unwrapPathError(err))
	}
	// Shown relative to the repository root, as buf shows them.
	return compileTree(ctx, ref, fsys, cfg, module, root, ".", opts)
}

// findTreeWorkspace is findWorkspace within a git tree.
func findTreeWorkspace(tree fs.FS, dir string) (root, module string, cfg *Config, err error) {
	info, err := fs.Stat(tree, dir)
	if err != nil {
		return "", "", nil, fmt.Errorf("subdir %q does not exist in the git tree", dir)
	}
	if !info.IsDir() {
		return "", "", nil, fmt.Errorf("subdir %q is not a directory in the git tree", dir)
	}
	for cur := dir; ; cur = path.Dir(cur) {
		sub, err := fs.Sub(tree, cur)
		if err != nil {
			return "", "", nil, err
		}
		c, err := readConfig(sub, cur)
		if err != nil {
			return "", "", nil, err
		}
		if c != nil {
			if cur == dir {
				return dir, ".", c, nil
			}
			rel := strings.TrimPrefix(dir, cur+"/")
			if cur == "." {
				rel = dir
			}
			m, err := moduleOf(c, rel)
			if err != nil {
				return "", "", nil, err
			}
			if m == "" {
				return dir, ".", nil, nil
			}
			return cur, m, c, nil
		}
		if cur == "." {
			return dir, ".", nil, nil
		}
	}
}

// compileTree compiles the workspace at the root of fsys.
func compileTree(ctx context.Context, ref Ref, fsys fs.FS, cfg *Config, module, prefix, strip string, opts Options) (*Resolved, error) {
	ws := compile.Workspace{FS: fsys, Name: ref.Raw, Modules: cfg.compileModules()}
	r := &Resolved{Ref: ref, Config: cfg, module: module, prefix: prefix, strip: strip}
	img, err := compile.Compile(ctx, ws, opts.Compile)
	if err != nil {
		var set diag.Set
		if errors.As(err, &set) {
			return nil, r.displaySet(set)
		}
		return nil, err
	}
	r.Image = img
	return r, nil
}

// displaySet rewrites the paths of findings for display.
func (r *Resolved) displaySet(set diag.Set) diag.Set {
	out := make([]diag.Finding, len(set))
	for i, f := range set {
		f.Path = r.Display(f.Path)
		out[i] = f
	}
	return diag.NewSet(out...)
}

// loadImage reads an image file.
func loadImage(ref Ref, opts Options) (*Resolved, error) {
	data, err := os.ReadFile(ref.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errors.New("no such file or directory")
		}
		return nil, unwrapPathError(err)
	}
	img, err := ReadImage(data)
	if err != nil {
		return nil, err
	}
	if opts.NeedSourceInfo && !img.HasSourceInfo() {
		return nil, fmt.Errorf("%w: findings need file locations; build the image with `buf build -o %s` "+
			"or `protoc --include_imports --include_source_info --descriptor_set_out=%s`", compile.ErrNoSourceInfo, ref.Path, ref.Path)
	}
	return &Resolved{Ref: ref, Image: img, Config: opts.Config, module: ".", prefix: ".", strip: "."}, nil
}

// ReadImage decodes an image file's bytes: a FileDescriptorSet as written
// by `buf build -o` or `protoc --descriptor_set_out`. It never panics,
// whatever the bytes.
func ReadImage(data []byte) (img *compile.Image, err error) {
	defer func() {
		// The decoder and protodesc are meant not to panic (FuzzReadImage
		// holds them to it), but an image file is untrusted input: a bug
		// there must still come out as an error naming the file.
		if v := recover(); v != nil {
			img, err = nil, fmt.Errorf("invalid image: %v", v)
		}
	}()
	return decodeImage(data)
}

func decodeImage(data []byte) (*compile.Image, error) {
	if len(data) == 0 {
		return nil, errors.New("empty file: not an image")
	}
	img, err := compile.ReadImage(data)
	if err != nil {
		// protobuf-go spells some messages with a no-break space on
		// purpose; users read them as plain text.
		return nil, errors.New(strings.ReplaceAll(err.Error(), "\u00a0", " "))
	}
	return img, nil
}
