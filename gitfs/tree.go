package gitfs

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// entry is one file or directory of a tree.
type entry struct {
	name     string // base name; "." for the root
	mode     fs.FileMode
	oid      string // blob id; empty for directories
	size     int64
	children []*entry // directories only, sorted by name
}

// tree indexes every entry of a git tree by its slash-separated path.
type tree struct {
	entries map[string]*entry
}

// parseTree reads `git ls-tree -r -z --long` output:
// "<mode> SP <type> SP <oid> SP+ <size> TAB <path> NUL" per blob.
func parseTree(out []byte) (*tree, error) {
	t := &tree{entries: map[string]*entry{".": {name: ".", mode: fs.ModeDir | 0o555}}}
	for len(out) > 0 {
		rec, rest, ok := bytes.Cut(out, []byte{0})
		if !ok {
			return nil, fmt.Errorf("git ls-tree: truncated output")
		}
		out = rest
		meta, name, ok := bytes.Cut(rec, []byte{'\t'})
		if !ok {
			return nil, fmt.Errorf("git ls-tree: malformed line %q", rec)
		}
		fields := strings.Fields(string(meta))
		if len(fields) != 4 {
			return nil, fmt.Errorf("git ls-tree: malformed line %q", rec)
		}
		var mode fs.FileMode
		switch fields[0] {
		case "100644":
			mode = 0o444
		case "100755":
			mode = 0o555
		case "120000":
			mode = fs.ModeSymlink | 0o444
		default:
			// 160000: a submodule, whose files are not in this
			// repository's objects.
			continue
		}
		if fields[1] != "blob" {
			continue
		}
		size, err := strconv.ParseInt(fields[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("git ls-tree: malformed size in %q", rec)
		}
		p := string(name)
		if !fs.ValidPath(p) || p == "." {
			return nil, fmt.Errorf("git ls-tree: invalid path %q", p)
		}
		t.add(p, &entry{name: path.Base(p), mode: mode, oid: fields[2], size: size})
	}
	for _, e := range t.entries {
		if e.mode.IsDir() {
			slices.SortFunc(e.children, func(a, b *entry) int { return strings.Compare(a.name, b.name) })
		}
	}
	return t, nil
}

// add records a blob and creates its parent directories.
func (t *tree) add(p string, e *entry) {
	t.entries[p] = e
	for {
		dir := path.Dir(p)
		parent, ok := t.entries[dir]
		if ok {
			parent.children = append(parent.children, e)
			return
		}
		parent = &entry{name: path.Base(dir), mode: fs.ModeDir | 0o555}
		parent.children = append(parent.children, e)
		t.entries[dir] = parent
		p, e = dir, parent
	}
}
