package gitfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"time"
)

// FS is the tree of one commit (or a directory of it). It implements
// fs.FS, fs.ReadFileFS, fs.ReadDirFS, fs.StatFS and fs.SubFS, and is safe
// for concurrent use.
type FS struct {
	// Commit is the full hash of the commit the tree belongs to; empty when
	// the revision named a tree directly.
	Commit string
	// Tree is the full hash of the root tree.
	Tree string

	tree   *tree
	prefix string // "." or the directory of the tree this FS is rooted at
	h      *handle
}

// handle is shared by an FS and its sub-trees; when the last of them is
// garbage collected, the git process is ended.
type handle struct {
	blobs *catFile
}

// Open resolves rev in the repository that holds repoDir and returns its
// tree. rev is anything `git rev-parse` accepts: a branch, a tag (an
// annotated tag is peeled to its commit), a commit hash, HEAD~1,
// main^{tree}. The error names the revision and the repository, and tells
// a shallow clone apart from a revision that does not exist.
func Open(ctx context.Context, repoDir, rev string) (*FS, error) {
	r := repo{dir: absDir(repoDir)}
	commit, treeID, err := r.resolve(ctx, rev)
	if err != nil {
		return nil, err
	}
	out, err := r.git(ctx, "ls-tree", "-r", "-z", "--long", "--full-tree", treeID)
	if err != nil {
		return nil, fmt.Errorf("listing git ref %q in %s: %w", rev, r.dir, err)
	}
	t, err := parseTree(out)
	if err != nil {
		return nil, fmt.Errorf("listing git ref %q in %s: %w", rev, r.dir, err)
	}
	h := &handle{blobs: &catFile{repo: r}}
	runtime.AddCleanup(h, func(c *catFile) { c.close() }, h.blobs)
	return &FS{Commit: commit, Tree: treeID, tree: t, prefix: ".", h: h}, nil
}

// Close ends the git process that serves file contents. Sub-trees made
// with Sub share it and stop working too.
func (f *FS) Close() error {
	return f.h.blobs.close()
}

func (f *FS) full(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return path.Join(f.prefix, name), nil
}

func (f *FS) lookup(op, name string) (*entry, error) {
	p, err := f.full(op, name)
	if err != nil {
		return nil, err
	}
	e, ok := f.tree.entries[p]
	if !ok {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return e, nil
}

// Open opens the named file or directory.
func (f *FS) Open(name string) (fs.File, error) {
	e, err := f.lookup("open", name)
	if err != nil {
		return nil, err
	}
	if e.mode.IsDir() {
		return &dir{info: info{e}}, nil
	}
	data, err := f.h.blobs.read(e.oid, e.size)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &file{info: info{e}, data: data}, nil
}

// ReadFile returns the content of the named file.
func (f *FS) ReadFile(name string) ([]byte, error) {
	e, err := f.lookup("read", name)
	if err != nil {
		return nil, err
	}
	if e.mode.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	data, err := f.h.blobs.read(e.oid, e.size)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}

// ReadDir lists the named directory, sorted by name, without reading any
// file.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	e, err := f.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if !e.mode.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return dirEntries(e.children), nil
}

// Stat describes the named file without reading it.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	e, err := f.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	return info{e}, nil
}

// Sub returns the FS rooted at dir, sharing this one's git process. dir
// must be a directory of the tree.
func (f *FS) Sub(dir string) (fs.FS, error) {
	e, err := f.lookup("sub", dir)
	if err != nil {
		return nil, err
	}
	if !e.mode.IsDir() {
		return nil, &fs.PathError{Op: "sub", Path: dir, Err: errors.New("not a directory")}
	}
	p, _ := f.full("sub", dir)
	return &FS{Commit: f.Commit, Tree: f.Tree, tree: f.tree, prefix: p, h: f.h}, nil
}

func dirEntries(children []*entry) []fs.DirEntry {
	out := make([]fs.DirEntry, len(children))
	for i, c := range children {
		out[i] = info{c}
	}
	return out
}

// info is both the fs.FileInfo and the fs.DirEntry of an entry.
type info struct{ e *entry }

func (i info) Name() string               { return i.e.name }
func (i info) Size() int64                { return i.e.size }
func (i info) Mode() fs.FileMode          { return i.e.mode }
func (i info) Type() fs.FileMode          { return i.e.mode.Type() }
func (i info) ModTime() time.Time         { return time.Time{} }
func (i info) IsDir() bool                { return i.e.mode.IsDir() }
func (i info) Sys() any                   { return nil }
func (i info) Info() (fs.FileInfo, error) { return i, nil }
func (i info) String() string             { return fs.FormatFileInfo(i) }

// file is an open blob, read whole when opened.
type file struct {
	info
	data []byte
	off  int
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *file) Close() error               { return nil }

func (f *file) Read(p []byte) (int, error) {
	if f.off >= len(f.data) {
		return 0, io.EOF
	}
	n := copy(p, f.data[f.off:])
	f.off += n
	return n, nil
}

// dir is an open directory.
type dir struct {
	info
	off int
}

func (d *dir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dir) Close() error               { return nil }

func (d *dir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.e.name, Err: errors.New("is a directory")}
}

// ReadDir follows fs.ReadDirFile: n <= 0 returns the rest at once.
func (d *dir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.e.children[d.off:]
	if n <= 0 {
		d.off += len(rest)
		return dirEntries(rest), nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	rest = rest[:min(n, len(rest))]
	d.off += len(rest)
	return dirEntries(rest), nil
}

var _ interface {
	fs.ReadFileFS
	fs.ReadDirFS
	fs.StatFS
	fs.SubFS
} = (*FS)(nil)
