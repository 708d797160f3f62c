package codegen

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// genCache stores plugin results: a job key maps to one entry file that
// holds an index (plugin, name, size and hash of every output) followed by
// the outputs' contents. One file per job, not per output: a cold run of
// a large workspace creates thousands of outputs, and creating files is
// what costs. An entry that fails to verify is reported and dropped, and
// the job runs again.
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
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

func (c *genCache) jobPath(key string) string {
	return filepath.Join(c.dir, "entries", key[:2], key)
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
	if len(data) < 4 {
		c.warn(j.key, "truncated")
		return nil, false
	}
	n := binary.LittleEndian.Uint32(data)
	if uint64(n)+4 > uint64(len(data)) {
		c.warn(j.key, "truncated index")
		return nil, false
	}
	var e cacheEntry
	if err := json.Unmarshal(data[4:4+n], &e); err != nil {
		c.warn(j.key, "unreadable index")
		return nil, false
	}
	rest := data[4+n:]
	out := make([]genFile, 0, len(e.Files))
	for _, f := range e.Files {
		if f.Plugin < 0 || f.Plugin >= len(j.plugins) || f.Size < 0 || f.Size > len(rest) {
			c.warn(j.key, "bad index entry")
			return nil, false
		}
		content := rest[:f.Size:f.Size]
		rest = rest[f.Size:]
		sum := sha256.Sum256(content)
		if hex.EncodeToString(sum[:]) != f.SHA256 {
			c.warn(j.key, f.Name+" does not match its hash")
			return nil, false
		}
		out = append(out, genFile{plugin: j.plugins[f.Plugin], name: f.Name, content: content})
	}
	if len(rest) != 0 {
		c.warn(j.key, "trailing bytes")
		return nil, false
	}
	return out, true
}

func (c *genCache) put(j *job, files []genFile) {
	if c == nil {
		return
	}
	e := cacheEntry{Files: make([]cacheFile, 0, len(files))}
	size := 0
	for _, f := range files {
		sum := sha256.Sum256(f.content)
		pos := 0
		for i, pi := range j.plugins {
			if pi == f.plugin {
				pos = i
			}
		}
		e.Files = append(e.Files, cacheFile{Plugin: pos, Name: f.name, Size: len(f.content), SHA256: hex.EncodeToString(sum[:])})
		size += len(f.content)
	}
	index, err := json.Marshal(e)
	if err != nil {
		return
	}
	buf := make([]byte, 4, 4+len(index)+size)
	binary.LittleEndian.PutUint32(buf, uint32(len(index)))
	buf = append(buf, index...)
	for _, f := range files {
		buf = append(buf, f.content...)
	}
	_ = writeAtomic(c.jobPath(j.key), buf) // a cache that cannot be written is only slower
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
