package codegen

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// genCache is a content-addressed store of plugin results: a job key maps
// to a list of (plugin, name, content hash), and contents are stored once
// by hash. An entry that fails to verify is reported and dropped, and the
// job runs again.
type genCache struct {
	dir string
	log io.Writer
}

type cacheEntry struct {
	Files []cacheFile `json:"files"`
}

type cacheFile struct {
	Plugin int    `json:"plugin"` // position within the job's plugins
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

func (c *genCache) jobPath(key string) string {
	return filepath.Join(c.dir, "jobs", key[:2], key+".json")
}

func (c *genCache) blobPath(sum string) string {
	return filepath.Join(c.dir, "blobs", sum[:2], sum)
}

func (c *genCache) warn(key, msg string) {
	if c.log != nil {
		fmt.Fprintf(c.log, "protoctl: warning: generation cache entry %s is corrupt (%s); regenerating\n", c.jobPath(key), msg)
	}
	_ = os.Remove(c.jobPath(key))
}

// has reports whether the cache has an entry for the job, without reading
// or verifying it.
func (c *genCache) has(j *job) bool {
	if c == nil {
		return false
	}
	_, err := os.Stat(c.jobPath(j.key))
	return err == nil
}

func (c *genCache) get(j *job) ([]genFile, bool) {
	if c == nil {
		return nil, false
	}
	data, err := os.ReadFile(c.jobPath(j.key))
	if err != nil {
		return nil, false
	}
	var e cacheEntry
	if err := json.Unmarshal(data, &e); err != nil {
		c.warn(j.key, "unreadable index")
		return nil, false
	}
	out := make([]genFile, 0, len(e.Files))
	for _, f := range e.Files {
		if f.Plugin < 0 || f.Plugin >= len(j.plugins) || len(f.SHA256) != 64 {
			c.warn(j.key, "bad index entry")
			return nil, false
		}
		content, err := os.ReadFile(c.blobPath(f.SHA256))
		if err != nil {
			c.warn(j.key, "missing blob "+f.SHA256)
			return nil, false
		}
		sum := sha256.Sum256(content)
		if hex.EncodeToString(sum[:]) != f.SHA256 {
			_ = os.Remove(c.blobPath(f.SHA256))
			c.warn(j.key, "blob "+f.SHA256+" does not match its hash")
			return nil, false
		}
		out = append(out, genFile{plugin: j.plugins[f.Plugin], name: f.Name, content: content})
	}
	return out, true
}

func (c *genCache) put(j *job, files []genFile) {
	if c == nil {
		return
	}
	e := cacheEntry{Files: make([]cacheFile, 0, len(files))}
	for _, f := range files {
		sum := sha256.Sum256(f.content)
		s := hex.EncodeToString(sum[:])
		if _, err := os.Stat(c.blobPath(s)); err != nil {
			if err := writeAtomic(c.blobPath(s), f.content); err != nil {
				return // a cache that cannot be written is only slower
			}
		}
		pos := 0
		for i, pi := range j.plugins {
			if pi == f.plugin {
				pos = i
			}
		}
		e.Files = append(e.Files, cacheFile{Plugin: pos, Name: f.name, SHA256: s})
	}
	data, err := json.Marshal(e)
	if err != nil {
		return
	}
	_ = writeAtomic(c.jobPath(j.key), data)
}

// writeAtomic writes data to a temporary file next to path and renames it
// into place, so readers see the old content or the new, never a part.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(dir, ".tmp-"+randomSuffix())
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

func randomSuffix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
