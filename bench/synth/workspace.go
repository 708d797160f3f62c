package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// moduleDir is the module root inside a synthesized workspace.
const moduleDir = "proto"

// changeMarker marks the file that -change-one edits.
const changeMarker = "// bench: -change-one edits this file."

const bufYAML = `version: v2
modules:
  - path: proto
`

// workspace is a synthesized workspace in memory: slash paths relative to
// the workspace root, mapped to file contents.
type workspace map[string][]byte

func (w workspace) paths() []string {
	ps := make([]string, 0, len(w))
	for p := range w {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

// synthesize builds the whole workspace for cfg.
func synthesize(cfg config) (workspace, error) {
	r := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	files, p, err := plan(cfg, r)
	if err != nil {
		return nil, err
	}
	ws := workspace{"buf.yaml": []byte(bufYAML)}
	var regular []string
	for _, f := range files {
		rd := newRenderer(r, f)
		var text string
		if f.giant {
			text = rd.giantFile(p, cfg.Seed, int(cfg.GiantMB*(1<<20)))
		} else {
			text = rd.file(cfg.Seed)
			regular = append(regular, moduleDir+"/"+f.path())
		}
		ws[moduleDir+"/"+f.path()] = []byte(text)
	}
	// The -change-one target: the regular file of median size.
	slices.SortStableFunc(regular, func(a, b string) int { return len(ws[a]) - len(ws[b]) })
	target := regular[len(regular)/2]
	text := ws[target]
	nl := bytes.IndexByte(text, '\n') + 1
	ws[target] = slices.Concat(text[:nl], []byte(changeMarker+"\n"), text[nl:])
	return ws, nil
}

// write stores ws under dir, which must not hold a workspace already.
func (w workspace) write(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, moduleDir)); err == nil {
		return fmt.Errorf("%s: already holds a %s directory; choose an empty output directory", dir, moduleDir)
	}
	for _, p := range w.paths() {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, w[p], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// readWorkspace loads buf.yaml and every .proto file under dir.
func readWorkspace(dir string) (workspace, error) {
	ws := workspace{}
	root := os.DirFS(dir)
	yaml, err := fs.ReadFile(root, "buf.yaml")
	if err != nil {
		return nil, fmt.Errorf("%s: not a workspace: %w", dir, err)
	}
	ws["buf.yaml"] = yaml
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasSuffix(p, ".proto") {
			data, err := fs.ReadFile(root, p)
			if err != nil {
				return err
			}
			ws[p] = data
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return ws, nil
}
