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
			if err != nil || e.IsDir() {
				return err
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
	type staged struct{ tmp, dst string }
	var done []staged
	var createdDirs []string
	rollback := func() {
		for _, s := range done {
			_ = os.Remove(s.tmp)
		}
		for i := len(createdDirs) - 1; i >= 0; i-- {
			_ = os.Remove(createdDirs[i])
		}
	}
	suffix := ".protoctl-" + randomSuffix()
	for _, p := range slices.Concat(d.added, d.changed) {
		dst := filepath.Join(root, filepath.FromSlash(p))
		dirs, err := mkdirAll(filepath.Dir(dst))
		createdDirs = append(createdDirs, dirs...)
		if err != nil {
			rollback()
			return fmt.Errorf("write %s: %w", p, err)
		}
		tmp := dst + suffix
		if err := os.WriteFile(tmp, outputs[p], 0o644); err != nil {
			_ = os.Remove(tmp)
			rollback()
			return fmt.Errorf("write %s: %w", p, err)
		}
		done = append(done, staged{tmp, dst})
	}
	for i, s := range done {
		if err := os.Rename(s.tmp, s.dst); err != nil {
			for _, rest := range done[i:] {
				_ = os.Remove(rest.tmp)
			}
			return fmt.Errorf("replace %s: %w", s.dst, err)
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
