// Package workspace finds the buf workspace a command runs in and loads
// what every command needs from it: buf.yaml, protoctl.yaml, the lock and
// the toolchain.
package workspace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/protoctl/protoctl/bufconfig"
	"github.com/protoctl/protoctl/codegen"
	"github.com/protoctl/protoctl/compile"
)

// Workspace is a buf workspace on disk.
type Workspace struct {
	// Root is the absolute path of the directory holding buf.yaml.
	Root string
	// Buf is the parsed buf.yaml.
	Buf *bufconfig.BufYAML
}

// Root returns the workspace root for dir: the nearest directory at or
// above dir that holds buf.yaml.
func Root(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "buf.yaml")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no buf.yaml in %s or any parent directory: protoctl works in a buf v2 workspace", abs)
		}
	}
}

// Find loads the workspace that holds dir.
func Find(dir string) (*Workspace, error) {
	root, err := Root(dir)
	if err != nil {
		return nil, err
	}
	buf, err := bufconfig.ReadBufYAML(os.DirFS(root), "buf.yaml")
	if err != nil {
		return nil, err
	}
	if buf.HasDeps() {
		return nil, fmt.Errorf("%s: deps on Buf Schema Registry modules are not supported: protoctl runs offline; vendor the dependency's .proto files into a module of this workspace", buf.Deps[0].Pos)
	}
	return &Workspace{Root: root, Buf: buf}, nil
}

// Modules returns the workspace's modules for the compiler.
func (w *Workspace) Modules() []compile.Module {
	var mods []compile.Module
	for _, m := range w.Buf.Modules {
		mods = append(mods, compile.Module{Path: m.Path, Includes: m.Includes, Excludes: m.Excludes})
	}
	return mods
}

// Compile compiles the workspace as it is on disk.
func (w *Workspace) Compile(ctx context.Context, opts compile.Options) (*compile.Image, error) {
	return compile.Compile(ctx, compile.Workspace{FS: os.DirFS(w.Root), Modules: w.Modules(), Name: w.Root}, opts)
}

// Lock reads protoctl.lock.
func (w *Workspace) Lock() (*codegen.Lock, error) {
	return codegen.ReadLock(filepath.Join(w.Root, codegen.LockFileName))
}

// Toolchain returns the toolchain of the workspace's lock, installing into
// protoctl's cache; log receives install progress.
func (w *Workspace) Toolchain(log io.Writer) (*codegen.Toolchain, error) {
	lock, err := w.Lock()
	if err != nil {
		return nil, err
	}
	dir, err := codegen.CacheDir()
	if err != nil {
		return nil, err
	}
	return &codegen.Toolchain{Lock: lock, Dir: dir, Log: log}, nil
}

// Python returns the interpreter a command runs Python with: the one
// named (a --python flag), else the managed environment's from the lock,
// installed on first use; log receives install progress.
func (w *Workspace) Python(ctx context.Context, named string, log io.Writer) (string, error) {
	if named != "" {
		return named, nil
	}
	tc, err := w.Toolchain(log)
	if err != nil {
		return "", err
	}
	env, err := tc.Python(ctx)
	if err != nil {
		return "", err
	}
	return env.Python, nil
}

// ReadOptional reads a file of the workspace, returning nil when it does
// not exist.
func (w *Workspace) ReadOptional(name string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(w.Root, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}
