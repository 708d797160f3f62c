package codegen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
)

// state records the outcome of the last successful run in a workspace, so
// that a run whose inputs did not change and whose outputs were not
// touched can stop before compiling anything.
type state struct {
	Input string               `json:"input"`
	Files map[string]fileStamp `json:"files"`
	Clean []string             `json:"clean,omitempty"`
}

type fileStamp struct {
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_ns"`
	SHA256  string `json:"sha256"`
}

type stateStore struct{ path string }

func newStateStore(cacheDir, root string) stateStore {
	abs, err := filepath.Abs(root)
	if err != nil {
		abs = root
	}
	sum := sha256.Sum256([]byte(abs))
	return stateStore{path: filepath.Join(cacheDir, "state", hex.EncodeToString(sum[:12])+".json")}
}

func (s stateStore) load() *state {
	data, err := os.ReadFile(s.path)
	if err != nil {
		return &state{}
	}
	var st state
	if json.Unmarshal(data, &st) != nil {
		return &state{}
	}
	return &st
}

func (s stateStore) save(root, input string, outputs map[string][]byte, clean []string) {
	st := state{Input: input, Files: make(map[string]fileStamp, len(outputs)), Clean: clean}
	for p, content := range outputs {
		info, err := os.Stat(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			return
		}
		sum := sha256.Sum256(content)
		st.Files[p] = fileStamp{Size: info.Size(), ModTime: info.ModTime().UnixNano(), SHA256: hex.EncodeToString(sum[:])}
	}
	data, err := json.Marshal(st)
	if err != nil {
		return
	}
	_ = writeAtomic(s.path, data)
}

// upToDate reports whether the last run had the same inputs and every
// output it wrote is still on disk as it left it (size and mtime), with no
// stray file in a clean output directory.
func (st *state) upToDate(root, input string) bool {
	if st.Input == "" || st.Input != input {
		return false
	}
	for p, stamp := range st.Files {
		info, err := os.Stat(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil || info.Size() != stamp.Size || info.ModTime().UnixNano() != stamp.ModTime {
			return false
		}
	}
	for _, dir := range st.Clean {
		stray := false
		_ = filepath.WalkDir(filepath.Join(root, filepath.FromSlash(dir)), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || stray {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			if _, ok := st.Files[filepath.ToSlash(rel)]; !ok {
				stray = true
			}
			return nil
		})
		if stray {
			return false
		}
	}
	return true
}

// known returns the recorded hash of p if its size and mtime still match.
func (st *state) known(root, p string, info fs.FileInfo) (string, bool) {
	stamp, ok := st.Files[p]
	if !ok || info.Size() != stamp.Size || info.ModTime().UnixNano() != stamp.ModTime {
		return "", false
	}
	return stamp.SHA256, true
}
