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
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
	type staged struct{ tmp, dst, path string }
	var todo []staged
	var createdDirs []string
	suffix := ".protoctl-" + randomSuffix()
	for _, p := range slices.Concat(d.added, d.changed) {
		dst := filepath.Join(root, filepath.FromSlash(p))
		todo = append(todo, staged{tmp: dst + suffix, dst: dst, path: p})
	}
	rollback := func() {
		for _, s := range todo {
			_ = os.Remove(s.tmp)
		}
		for i := len(createdDirs) - 1; i >= 0; i-- {
			_ = os.Remove(createdDirs[i])
		}
	}
	made := map[string]bool{}
	for _, s := range todo {
		dir := filepath.Dir(s.dst)
		if made[dir] {
			continue
		}
		made[dir] = true
		dirs, err := mkdirAll(dir)
		createdDirs = append(createdDirs, dirs...)
		if err != nil {
			rollback()
			return fmt.Errorf("write %s: %w", s.path, err)
		}
	}
	// Stage every file next to its destination, then rename them all: a
	// failure while staging leaves every previous output as it was. Files
	// are written by several workers: creating thousands of files is
	// mostly waiting on the file system.
	if err := parallel(len(todo), func(i int) error {
		if err := os.WriteFile(todo[i].tmp, outputs[todo[i].path], 0o644); err != nil {
			return fmt.Errorf("write %s: %w", todo[i].path, err)
		}
		return nil
	}); err != nil {
		rollback()
		return err
	}
	if err := parallel(len(todo), func(i int) error {
		if err := os.Rename(todo[i].tmp, todo[i].dst); err != nil {
			return fmt.Errorf("replace %s: %w", todo[i].dst, err)
		}
		return nil
	}); err != nil {
		for _, s := range todo {
			_ = os.Remove(s.tmp) // the ones not renamed yet
		}
		return err
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

// parallel calls f(0..n-1) on a few workers and returns the first error
// by index; after an error, workers stop taking new indexes.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(n, 4*runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if errs[i] = f(i); errs[i] != nil {
					failed.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
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
