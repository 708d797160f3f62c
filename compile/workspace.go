package compile

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Module is one module root of a workspace: a directory relative to the
// workspace root, and directories under it that are left out.
type Module struct {
	// Path is the module root relative to the workspace root, slash
	// separated; "." for the workspace root itself.
	Path string
	// Includes, when set, are the only directories (relative to the
	// workspace root) whose files are part of the module.
	Includes []string
	// Excludes are directories relative to the workspace root whose files
	// are not part of the module.
	Excludes []string
}

// Workspace is a set of modules read from one file system.
type Workspace struct {
	// FS is rooted at the workspace root, the directory holding buf.yaml.
	FS fs.FS
	// Modules lists the module roots. Empty means one module at ".".
	Modules []Module
	// Name describes where FS comes from ("." or "git ref main"), for
	// messages.
	Name string
	// Files, when set, restricts CompileEncoded to these files
	// (workspace-relative paths) and what they import.
	Files []string
}

// Source is one .proto file of a workspace.
type Source struct {
	// ImportPath is the path other files import it by, relative to its
	// module root.
	ImportPath string
	// LocalPath is the path relative to the workspace root, the one printed
	// in messages (as buf prints them).
	LocalPath string
}

// Sources lists the .proto files of the workspace, sorted by import path.
// Two modules that hold the same import path are an error, as in buf.
func (w Workspace) Sources() ([]Source, error) {
	mods := w.Modules
	if len(mods) == 0 {
		mods = []Module{{Path: "."}}
	}
	seen := map[string]string{}
	var out []Source
	for _, m := range mods {
		root := path.Clean(m.Path)
		if strings.HasPrefix(root, "../") || root == ".." || path.IsAbs(root) {
			return nil, fmt.Errorf("module path %q is outside the workspace", m.Path)
		}
		excludes := make([]string, len(m.Excludes))
		for i, e := range m.Excludes {
			excludes[i] = path.Clean(e)
		}
		includes := make([]string, len(m.Includes))
		for i, e := range m.Includes {
			includes[i] = path.Clean(e)
		}
		info, err := fs.Stat(w.FS, root)
		if err != nil {
			return nil, fmt.Errorf("module %q: %w", m.Path, unwrapPathError(err))
		}
		if !info.IsDir() {
			return nil, fmt.Errorf("module %q: not a directory", m.Path)
		}
		err = fs.WalkDir(w.FS, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if slices.Contains(excludes, p) {
					return fs.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".proto") || !d.Type().IsRegular() {
				return nil
			}
			if len(includes) > 0 && !slices.ContainsFunc(includes, func(inc string) bool {
				return strings.HasPrefix(p, inc+"/")
			}) {
				return nil
			}
			imp := p
			if root != "." {
				imp = strings.TrimPrefix(p, root+"/")
			}
			if prev, ok := seen[imp]; ok {
				return fmt.Errorf("%s and %s have the same import path %q", prev, p, imp)
			}
			seen[imp] = p
			out = append(out, Source{ImportPath: imp, LocalPath: p})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("module %q: %w", m.Path, err)
		}
	}
	slices.SortFunc(out, func(a, b Source) int { return strings.Compare(a.ImportPath, b.ImportPath) })
	return out, nil
}

func unwrapPathError(err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
