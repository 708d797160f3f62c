package codegen

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"path"
	"runtime"
	"slices"
	"strings"

	"github.com/protoctl/protoctl/compile"
)

// image is the compiled workspace prepared for generation: managed mode
// applied, and a digest of each file together with everything it imports.
type image struct {
	files    []compile.EncodedFile
	index    map[string]int
	encoded  [][]byte
	closure  []string // closure digest per file
	editions map[string]bool
}

func prepare(enc *compile.Encoded, managed func(importPath, protoPackage, localPath string) ManagedFile) (*image, error) {
	n := len(enc.Files)
	im := &image{files: enc.Files, index: make(map[string]int, n), editions: map[string]bool{},
		encoded: make([][]byte, n), closure: make([]string, n)}
	for i, f := range enc.Files {
		im.index[f.Name] = i
		if f.Syntax == "editions" {
			im.editions[f.Name] = true
		}
		b := f.Bytes
		if managed != nil && f.Target() {
			var err error
			if b, err = managed(f.Name, f.Package, f.LocalPath).apply(b); err != nil {
				return nil, fmt.Errorf("%s: managed mode: %v", f.Name, err)
			}
		}
		im.encoded[i] = b
		// Files come in dependency order, so every import's closure digest
		// is known by now.
		h := sha256.New()
		sum := sha256.Sum256(b)
		h.Write(sum[:])
		for _, dep := range f.Deps {
			j, ok := im.index[dep]
			if !ok {
				return nil, fmt.Errorf("%s imports %s, which the image does not have", f.Name, dep)
			}
			h.Write([]byte(im.closure[j]))
		}
		im.closure[i] = hex.EncodeToString(h.Sum(nil))
	}
	return im, nil
}

// deps returns the indexes of the files in the import closure of names, in
// image (dependency) order.
func (im *image) deps(names []string) []int {
	seen := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		if seen[i] {
			return
		}
		seen[i] = true
		for _, d := range im.files[i].Deps {
			visit(im.index[d])
		}
	}
	for _, n := range names {
		visit(im.index[n])
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

// job is one invocation: a local plugin, or the Python builtins that share
// one protoc run, over a set of files.
type job struct {
	im      *image
	plugins []int // indexes into Config.Plugins
	files   []string
	cost    int
	key     string
	label   string
	// parts, for a merged job (see coalesce), are the jobs it runs at once.
	parts []*job
}

func isWKT(name string) bool { return strings.HasPrefix(name, "google/protobuf/") }

// filesFor lists the files a plugin generates for, sorted.
func (im *image) filesFor(p Plugin) []string {
	var out []string
	for _, f := range im.files {
		n := f.Name
		switch {
		case f.Target():
		case p.IncludeImports && (!isWKT(n) || p.IncludeWKT):
		default:
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// buckets is how many shards the directories of a mergeable plugin are
// spread over: enough to keep every core busy and to keep a one-file
// change from regenerating much, few enough that each plugin process
// amortizes its start-up.
func buckets() int { return max(8, 4*runtime.GOMAXPROCS(0)) }

// plan splits each plugin's files into jobs. Directories of a mergeable
// plugin go to stable buckets (by a hash of the directory), so a change
// to one file only invalidates its bucket; a directory larger than a fair
// share gets a bucket of its own. Python builtins with the same files
// share one protoc run.
func (im *image) plan(cfg *Config, toolID func(Plugin) string) []*job {
	var jobs []*job
	builtinJobs := map[string]*job{}
	for pi, p := range cfg.Plugins {
		files := im.filesFor(p)
		if len(files) == 0 {
			continue
		}
		var groups [][]string
		switch {
		case p.Strategy == "all":
			groups = [][]string{files}
		case !p.mergeable():
			groups = byDir(files)
		default:
			groups = im.bucketize(byDir(files))
		}
		for _, g := range groups {
			if p.Builtin != "" {
				k := p.Strategy + "\x00" + strings.Join(g, "\x00")
				if j, ok := builtinJobs[k]; ok {
					j.plugins = append(j.plugins, pi)
					continue
				}
				j := &job{plugins: []int{pi}, files: g}
				builtinJobs[k] = j
				jobs = append(jobs, j)
				continue
			}
			jobs = append(jobs, &job{plugins: []int{pi}, files: g})
		}
	}
	for _, j := range jobs {
		j.im = im
		for _, f := range j.files {
			j.cost += len(im.encoded[im.index[f]])
		}
		j.key = im.jobKey(cfg, j, toolID)
		names := make([]string, len(j.plugins))
		for i, pi := range j.plugins {
			names[i] = cfg.Plugins[pi].Name()
		}
		dirs := byDir(j.files)
		label := path.Dir(j.files[0])
		if len(dirs) > 1 {
			label = fmt.Sprintf("%s and %d more directories", label, len(dirs)-1)
		}
		j.label = strings.Join(names, ", ") + " on " + label
	}
	// Largest first: the longest job sets the critical path.
	slices.SortStableFunc(jobs, func(a, b *job) int { return cmp.Compare(b.cost, a.cost) })
	return jobs
}

func byDir(files []string) [][]string {
	var groups [][]string
	for _, f := range files {
		d := path.Dir(f)
		if n := len(groups); n > 0 && path.Dir(groups[n-1][0]) == d {
			groups[n-1] = append(groups[n-1], f)
			continue
		}
		groups = append(groups, []string{f})
	}
	return groups
}

func (im *image) bucketize(dirs [][]string) [][]string {
	n := buckets()
	if len(dirs) <= n {
		return dirs
	}
	size := func(g []string) int {
		s := 0
		for _, f := range g {
			s += len(im.encoded[im.index[f]])
		}
		return s
	}
	total := 0
	for _, g := range dirs {
		total += size(g)
	}
	fair := total / n
	var out [][]string
	shared := make([][]string, n)
	for _, g := range dirs {
		if size(g) >= fair {
			out = append(out, g)
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(path.Dir(g[0])))
		b := h.Sum32() % uint32(n)
		shared[b] = append(shared[b], g...)
	}
	for _, g := range shared {
		if len(g) > 0 {
			slices.Sort(g)
			out = append(out, g)
		}
	}
	return out
}

// jobKey identifies a job by everything its output can depend on: the
// tool, the options, the strategy, and each file with its import closure.
func (im *image) jobKey(cfg *Config, j *job, toolID func(Plugin) string) string {
	h := sha256.New()
	h.Write([]byte("protoctl-gen-job-v1\x00"))
	for _, pi := range j.plugins {
		p := cfg.Plugins[pi]
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", p.Name(), toolID(p), strings.Join(p.Opt, ","), p.Strategy)
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(j.files)))
	h.Write(n[:])
	for _, f := range j.files {
		fmt.Fprintf(h, "%s\x00%s\x00", f, im.closure[im.index[f]])
	}
	return hex.EncodeToString(h.Sum(nil))
}
