package codegen

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"
)

// The Python builtins run in one protoc process per bucket. Small buckets
// keep a one-file change cheap (only its bucket runs again), but every
// process pays interpreter start-up and loads its import closure, which on
// a cold run of a large workspace costs more than the generation itself.
// So buckets stay the unit of caching, and the buckets that missed the
// cache are merged into one protoc run per worker: a cold run starts as
// few processes as there are cores, a one-file change still runs one
// small bucket. The merged run's outputs are split back into buckets by
// the file each output was generated from, which protoc's builtins name
// predictably (a/b-c.proto -> a/b_c_pb2.py, _pb2.pyi, _pb2_grpc.py).

// coalesce replaces the builtin jobs among jobs that the cache cannot
// answer, when there are more of them than workers, by at most workers
// merged jobs; the merged jobs keep the original ones as parts. Jobs that
// the cache answers, or that started early, are left alone.
func (g *generator) coalesce(jobs []*job, early *earlyJobs, workers int) []*job {
	groups := map[string][]*job{}
	var order []string
	for _, j := range jobs {
		if g.cfg.Plugins[j.plugins[0]].Builtin == "" {
			continue
		}
		if _, ok := early.pending[j.key]; ok {
			continue
		}
		if g.cache.has(j) {
			continue
		}
		k := fmt.Sprint(j.plugins)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], j)
	}
	merged := map[*job]bool{}
	var out []*job
	for _, k := range order {
		misses := groups[k]
		if len(misses) <= workers || !attributable(misses) {
			continue
		}
		// Longest processing time first: each bucket goes to the merged
		// job with the least work so far.
		slices.SortStableFunc(misses, func(a, b *job) int { return cmp.Compare(b.cost, a.cost) })
		parts := make([][]*job, workers)
		load := make([]int, workers)
		for _, m := range misses {
			i := 0
			for w := range load {
				if load[w] < load[i] {
					i = w
				}
			}
			parts[i] = append(parts[i], m)
			load[i] += m.cost
			merged[m] = true
		}
		for i, ps := range parts {
			if len(ps) == 0 {
				continue
			}
			mj := &job{im: ps[0].im, plugins: ps[0].plugins, cost: load[i], parts: ps}
			dirs := 0
			for _, p := range ps {
				mj.files = append(mj.files, p.files...)
				dirs += len(byDir(p.files))
			}
			slices.Sort(mj.files)
			mj.key = "merged:" + ps[0].key
			mj.label = fmt.Sprintf("%s and %d more directories", ps[0].label, dirs-1)
			out = append(out, mj)
		}
	}
	if len(merged) == 0 {
		return jobs
	}
	for _, j := range jobs {
		if !merged[j] {
			out = append(out, j)
		}
	}
	slices.SortStableFunc(out, func(a, b *job) int { return cmp.Compare(b.cost, a.cost) })
	return out
}

// attributable reports whether every file of the jobs maps to a distinct
// output stem, so that outputs can be split back by file.
func attributable(jobs []*job) bool {
	seen := map[string]bool{}
	for _, j := range jobs {
		for _, f := range j.files {
			s := pythonStem(f)
			if seen[s] {
				return false
			}
			seen[s] = true
		}
	}
	return true
}

// pythonStem is the output path, without suffix, that protoc's Python
// generators derive from a .proto file name: the module name with dots
// as directories.
func pythonStem(file string) string {
	s := strings.TrimSuffix(file, ".proto")
	s = strings.ReplaceAll(s, "-", "_")
	return strings.ReplaceAll(s, ".", "/")
}

// split divides the outputs of a merged job among its parts by the file
// each output was generated from. It fails when an output matches no file
// of the job, or when a part would get none of its outputs; the outputs
// are then used as they are, only not cached.
func (j *job) split(files []genFile) ([][]genFile, error) {
	owner := map[string]int{}
	for i, p := range j.parts {
		for _, f := range p.files {
			owner[pythonStem(f)] = i
		}
	}
	out := make([][]genFile, len(j.parts))
	for _, f := range files {
		stem, ok := outputStem(f.name)
		i, known := owner[stem]
		if !ok || !known {
			return nil, fmt.Errorf("output %s matches none of the job's files", f.name)
		}
		out[i] = append(out[i], f)
	}
	for i, p := range j.parts {
		if len(out[i]) == 0 && len(p.files) > 0 {
			return nil, fmt.Errorf("no output for %s", path.Dir(p.files[0]))
		}
	}
	return out, nil
}

// outputStem strips the suffixes protoc's Python generators append.
func outputStem(name string) (string, bool) {
	for _, suffix := range []string{"_pb2_grpc.pyi", "_pb2_grpc.py", "_pb2.pyi", "_pb2.py"} {
		if s, ok := strings.CutSuffix(name, suffix); ok {
			return s, true
		}
	}
	return "", false
}
