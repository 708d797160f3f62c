package codegen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/protoctl/protoctl/compile"
)

// Options tune one run of Generate.
type Options struct {
	// Root is the workspace root on disk; outputs are relative to it.
	Root string
	// Check computes the outputs and reports how they differ from the disk
	// without writing anything.
	Check bool
	// NoCache ignores and does not fill the generation cache.
	NoCache bool
	// Jobs bounds how many plugin processes run at once (GOMAXPROCS when 0).
	Jobs int
	// Log receives progress and warnings; nil discards.
	Log io.Writer
	// InputDigest identifies everything the outputs depend on (sources,
	// config, lock, protoctl's version). When it matches the last run's and
	// the outputs on disk are untouched, Generate returns at once.
	InputDigest string
	// Compile produces the image; it is only called when the fast path
	// does not apply.
	Compile func(ctx context.Context) (*compile.Encoded, error)
	// Head, when set, compiles a part of the workspace that is worth
	// starting early (the directory of a giant file): its plugin runs start
	// while the rest compiles, and the full plan picks up their results.
	Head func(ctx context.Context) (*compile.Encoded, error)
	// FullSourceInfo gives protoc's python, pyi and grpc_python builtins
	// every generated file's whole source info instead of that of its
	// services and methods only: slower, with the same output (tests
	// compare the two).
	FullSourceInfo bool
}

// Result says what a run did (or, in check mode, would do).
type Result struct {
	Added, Changed, Removed []string
	Unchanged               int
	// UpToDate is true when the fast path found nothing to do without
	// compiling.
	UpToDate bool
	// Jobs counts plugin invocations; Cached counts those answered from
	// the cache.
	Jobs, Cached int
	// Processes counts the generator processes started: fewer than the
	// jobs that ran when Python buckets were merged into one protoc run.
	Processes int
}

// Drift reports whether anything differs.
func (r *Result) Drift() bool { return len(r.Added)+len(r.Changed)+len(r.Removed) > 0 }

type generator struct {
	cfg   *Config
	tc    *Toolchain
	im    *image
	cache *genCache
	opts  Options
	// processes counts generator processes started.
	processes atomic.Int64
}

// Generate runs the template's plugins over the image and writes (or
// checks) their outputs. Nothing is written unless every plugin succeeds.
func Generate(ctx context.Context, cfg Config, tc *Toolchain, opts Options) (*Result, error) {
	if err := cfg.validate(tc.Lock); err != nil {
		return nil, err
	}
	if opts.Log != nil {
		opts.Log = &syncWriter{w: opts.Log}
	}
	st := newStateStore(tc.Dir, opts.Root)
	prev := st.load()
	if opts.InputDigest != "" && !opts.NoCache && prev.upToDate(opts.Root, opts.InputDigest) {
		return &Result{UpToDate: true, Unchanged: len(prev.Files)}, nil
	}
	g := &generator{cfg: &cfg, tc: tc, opts: opts}
	if !opts.NoCache {
		g.cache = &genCache{dir: path.Join(tc.Dir, "gen"), log: opts.Log}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	early := g.startHead(ctx)
	defer early.wait()
	img, err := opts.Compile(ctx)
	if err != nil {
		return nil, err
	}
	im, err := prepare(img, cfg.Managed)
	if err != nil {
		return nil, err
	}
	g.im = im
	jobs := im.plan(g.cfg, g.toolID)
	files, cached, err := g.runAll(ctx, jobs, early)
	processes := int(g.processes.Load())
	if err != nil {
		return nil, err
	}
	outputs, err := g.assemble(files)
	if err != nil {
		return nil, err
	}
	var cleanDirs []string
	if cfg.Clean {
		for _, p := range cfg.Plugins {
			cleanDirs = append(cleanDirs, p.Out)
		}
	}
	d, err := diffOutputs(opts.Root, outputs, cleanDirs, prev)
	if err != nil {
		return nil, err
	}
	res := &Result{Added: d.added, Changed: d.changed, Removed: d.removed, Unchanged: d.unchanged, Jobs: len(jobs), Cached: cached, Processes: processes}
	if opts.Check {
		if !res.Drift() && opts.InputDigest != "" {
			st.save(opts.Root, opts.InputDigest, outputs, cleanDirs)
		}
		return res, nil
	}
	if err := apply(opts.Root, outputs, d, cleanDirs); err != nil {
		return nil, err
	}
	if opts.InputDigest != "" {
		st.save(opts.Root, opts.InputDigest, outputs, cleanDirs)
	}
	return res, nil
}

// toolID identifies the exact generator a plugin runs, for cache keys.
func (g *generator) toolID(p Plugin) string {
	if pin, ok := g.tc.Lock.GoPlugin(p.Local); ok {
		return pin.Package + "@" + pin.Version + " " + pin.Sum
	}
	return "python " + g.tc.Lock.Python.digest()
}

// runAll runs the jobs in parallel, largest first, answering what it can
// from the cache. The first failure cancels the rest.
func (g *generator) runAll(ctx context.Context, jobs []*job, early *earlyJobs) ([]genFile, int, error) {
	workers := g.opts.Jobs
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs = g.coalesce(jobs, early, workers)
	results := make([][]genFile, len(jobs))
	var (
		mu       sync.Mutex
		firstErr error
		cached   int
		wg       sync.WaitGroup
	)
	next := make(chan int)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil && ctx.Err() == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := jobs[i]
				if j.parts != nil {
					files, err := g.run(ctx, j)
					if err != nil {
						fail(err)
						continue
					}
					if split, err := j.split(files); err == nil {
						for k, p := range j.parts {
							g.cache.put(p, split[k])
						}
					}
					results[i] = files
					continue
				}
				if files, err, ok := early.result(j.key); ok {
					if err != nil {
						fail(err)
						continue
					}
					results[i] = files
					continue
				}
				if files, ok := g.cache.get(j); ok {
					results[i] = files
					mu.Lock()
					cached++
					mu.Unlock()
					continue
				}
				files, err := g.run(ctx, j)
				if err != nil {
					fail(err)
					continue
				}
				g.cache.put(j, files)
				results[i] = files
			}
		}()
	}
	// Jobs started early come last: until then, their results are on their
	// way and the workers have other jobs to run.
	order := make([]int, 0, len(jobs))
	var later []int
	for i, j := range jobs {
		if _, ok := early.pending[j.key]; ok {
			later = append(later, i)
			continue
		}
		order = append(order, i)
	}
	order = append(order, later...)
feed:
	for _, i := range order {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, 0, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	var all []genFile
	for _, r := range results {
		all = append(all, r...)
	}
	return all, cached, nil
}

// run runs one job.
func (g *generator) run(ctx context.Context, j *job) ([]genFile, error) {
	g.processes.Add(1)
	if g.cfg.Plugins[j.plugins[0]].Builtin != "" {
		return g.runBuiltins(ctx, j)
	}
	return g.runLocal(ctx, j)
}

// earlyJobs are plugin runs started from the head of the workspace before
// the whole of it was compiled. Their keys are the keys the full plan
// gives the same jobs, so the full plan waits for them instead of running
// them again.
type earlyJobs struct {
	wg      sync.WaitGroup
	pending map[string]*earlyJob
}

type earlyJob struct {
	done  chan struct{}
	files []genFile
	err   error
}

// startHead compiles the head and starts the jobs of its directories that
// the cache cannot answer, one at a time, in the background.
func (g *generator) startHead(ctx context.Context) *earlyJobs {
	e := &earlyJobs{pending: map[string]*earlyJob{}}
	if g.opts.Head == nil {
		return e
	}
	enc, err := g.opts.Head(ctx)
	if err != nil {
		return e // the full compile reports it
	}
	him, err := prepare(enc, g.cfg.Managed)
	if err != nil {
		return e
	}
	var todo []*job
	for _, j := range him.plan(g.cfg, g.toolID) {
		if _, ok := g.cache.get(j); ok {
			continue
		}
		ej := &earlyJob{done: make(chan struct{})}
		e.pending[j.key] = ej
		todo = append(todo, j)
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for _, j := range todo {
			ej := e.pending[j.key]
			if ctx.Err() == nil {
				ej.files, ej.err = g.run(ctx, j)
				if ej.err == nil {
					g.cache.put(j, ej.files)
				}
			} else {
				ej.err = ctx.Err()
			}
			close(ej.done)
		}
	}()
	return e
}

// result waits for an early job with the key, if there is one.
func (e *earlyJobs) result(key string) ([]genFile, error, bool) {
	ej, ok := e.pending[key]
	if !ok {
		return nil, nil, false
	}
	<-ej.done
	return ej.files, ej.err, true
}

func (e *earlyJobs) wait() { e.wg.Wait() }

// assemble places every file under its plugin's out, rejecting names that
// are absolute or escape out, and files written twice.
func (g *generator) assemble(files []genFile) (map[string][]byte, error) {
	out := map[string][]byte{}
	owner := map[string]string{}
	for _, f := range files {
		p := g.cfg.Plugins[f.plugin]
		full, err := outputPath(p.Out, f.name)
		if err != nil {
			return nil, &PluginError{Plugin: p.Name(), Job: "output " + p.Out, Msg: err.Error()}
		}
		if prev, dup := owner[full]; dup {
			return nil, &PluginError{Plugin: p.Name(), Job: "output " + p.Out, Msg: fmt.Sprintf("%s is also generated by %s", full, prev)}
		}
		owner[full] = p.Name()
		out[full] = f.content
	}
	if err := g.python(out, owner); err != nil {
		return nil, err
	}
	return out, nil
}

// outputPath joins a plugin's file name to its out directory, refusing
// anything that would land outside out.
func outputPath(out, name string) (string, error) {
	switch {
	case name == "":
		return "", fmt.Errorf("a file has an empty name")
	case strings.ContainsRune(name, 0):
		return "", fmt.Errorf("file name %q contains a NUL byte", name)
	case strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) || (len(name) > 1 && name[1] == ':'):
		return "", fmt.Errorf("file name %q is absolute", name)
	case strings.Contains(name, `\`):
		return "", fmt.Errorf("file name %q contains a backslash", name)
	}
	clean := path.Clean(name)
	if clean == ".." || strings.HasPrefix(clean, "../") || clean == "." {
		return "", fmt.Errorf("file name %q escapes the output directory %s", name, out)
	}
	return path.Join(out, clean), nil
}

// InputDigest hashes everything the outputs of a run depend on. parts are
// named byte strings (config files, the lock, protoctl's version); sources
// are the workspace's .proto files by path.
func InputDigest(parts map[string][]byte) string {
	keys := make([]string, 0, len(parts))
	for k := range parts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%d:%s%d:", len(k), k, len(parts[k]))
		h.Write(parts[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// syncWriter serializes writes from the workers to one log.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
