package codegen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// diff is how the generated outputs differ from the disk.
type diff struct {
	added, changed, removed []string
	unchanged               int
}

// diffOutputs compares outputs with the files on disk. A file whose size
// and mtime match what the last run recorded is compared by hash without
// being read. In each clean directory, files that are not outputs are
// stale and listed as removed.
func diffOutputs(root string, outputs map[string][]byte, cleanDirs []string, prev *state) (diff, error) {
	var d diff
	for p, content := range outputs {
		full := filepath.Join(root, filepath.FromSlash(p))
		info, err := os.Stat(full)
		if errors.Is(err, fs.ErrNotExist) {
			d.added = append(d.added, p)
			continue
		}
		if err != nil {
			return d, err
		}
		if !info.Mode().IsRegular() {
			return d, fmt.Errorf("%s: exists and is not a regular file", p)
		}
		if info.Size() != int64(len(content)) {
			d.changed = append(d.changed, p)
			continue
		}
		if sum, ok := prev.known(root, p, info); ok {
			got := sha256.Sum256(content)
			if hex.EncodeToString(got[:]) == sum {
				d.unchanged++
			} else {
				d.changed = append(d.changed, p)
			}
			continue
		}
		old, err := os.ReadFile(full)
		if err != nil {
			return d, err
		}
		if bytes.Equal(old, content) {
			d.unchanged++
		} else {
			d.changed = append(d.changed, p)
		}
	}
	seen := map[string]bool{}
	for _, dir := range cleanDirs {
		base := filepath.Join(root, filepath.FromSlash(dir))
		err := filepath.WalkDir(base, func(p string, e fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil {
				return err
			}
			if e.IsDir() {
				// Python writes bytecode caches beside the modules it
				// imports; they are not outputs and not stale.
				if e.Name() == "__pycache__" {
					return fs.SkipDir
				}
				return nil
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if _, ok := outputs[rel]; !ok && !seen[rel] {
				seen[rel] = true
				d.removed = append(d.removed, rel)
			}
			return nil
		})
		if err != nil {
			return d, err
		}
	}
	slices.Sort(d.added)
	slices.Sort(d.changed)
	slices.Sort(d.removed)
	return d, nil
}

// apply writes the difference. Every new content is first written to a
// temporary file beside its target; only when all of them are on disk are
// they renamed into place, so a failure while writing leaves every
// previous output as it was. Stale files go last, and the directories
// they leave empty with them.
func apply(root string, outputs map[string][]byte, d diff, cleanDirs []string) error {
	// A changed file is staged beside its destination and renamed over
	// it once every file is written, so a failure leaves its previous
	// content. An added file has no previous content: it is created in
	// place (exclusively), and removed again if the run fails. Creating a
	// file is what costs on a large run, and staging doubled it.
	type write struct {
		dst, path string
		tmp       string // "" for an added file, created in place
	}
	var todo []write
	var createdDirs []string
	suffix := ".protoctl-" + randomSuffix()
	for _, p := range d.added {
		todo = append(todo, write{dst: filepath.Join(root, filepath.FromSlash(p)), path: p})
	}
	for _, p := range d.changed {
		dst := filepath.Join(root, filepath.FromSlash(p))
		todo = append(todo, write{dst: dst, path: p, tmp: dst + suffix})
	}
	created := make([]bool, len(todo))
	rollback := func() {
		for i, w := range todo {
			switch {
			case w.tmp != "":
				_ = os.Remove(w.tmp)
			case created[i]:
				_ = os.Remove(w.dst)
			}
		}
		for i := len(createdDirs) - 1; i >= 0; i-- {
			_ = os.Remove(createdDirs[i])
		}
	}
	made := map[string]bool{}
	for _, w := range todo {
		dir := filepath.Dir(w.dst)
		if made[dir] {
			continue
		}
		made[dir] = true
		dirs, err := mkdirAll(dir)
		createdDirs = append(createdDirs, dirs...)
		if err != nil {
			rollback()
			return fmt.Errorf("write %s: %w", w.path, err)
		}
	}
	for i := range todo {
		w := &todo[i]
		name, flag := w.tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC
		if name == "" {
			name, flag = w.dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL
		}
		f, err := os.OpenFile(name, flag, 0o644)
		if errors.Is(err, fs.ErrExist) && w.tmp == "" {
			// Appeared since the diff: stage it like a changed file.
			w.tmp = w.dst + suffix
			name = w.tmp
			f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		}
		if err != nil {
			rollback()
			return fmt.Errorf("write %s: %w", w.path, err)
		}
		created[i] = true
		_, err = f.Write(outputs[w.path])
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			rollback()
			return fmt.Errorf("write %s: %w", w.path, err)
		}
	}
	for i, w := range todo {
		if w.tmp == "" {
			continue
		}
		if err := os.Rename(w.tmp, w.dst); err != nil {
			for _, rest := range todo[i:] {
				if rest.tmp != "" {
					_ = os.Remove(rest.tmp)
				}
			}
			return fmt.Errorf("replace %s: %w", w.dst, err)
		}
	}
	for _, p := range d.removed {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale %s: %w", p, err)
		}
		// Remove the directories this leaves empty, up to the clean
		// output directory that held the file.
		for _, c := range cleanDirs {
			if !under(p, c) {
				continue
			}
			stop := filepath.Join(root, filepath.FromSlash(c))
			for dir := filepath.Dir(full); strings.HasPrefix(dir, stop+string(filepath.Separator)); dir = filepath.Dir(dir) {
				if os.Remove(dir) != nil {
					break
				}
			}
			break
		}
	}
	return nil
}

// mkdirAll creates dir and its missing parents and returns the ones it
// created, outermost first.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	slices.Reverse(missing)
	for i, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return missing[:i], err
		}
	}
	return missing, nil
}
