// Package gen is `protoctl gen`: compile the workspace once and run the
// generators of buf.gen.yaml, pinned by protoctl.lock, writing only what
// changed; with --check, report drift instead (the CI check).
package gen

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/protoctl/protoctl/bufconfig"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/exit"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/version"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/workspace"
	"github.com/protoctl/protoctl/codegen"
	"github.com/protoctl/protoctl/compile"
	"github.com/protoctl/protoctl/diag"
)

const (
	flagTemplate    = "template"
	flagCheck       = "check"
	flagNoCache     = "no-cache"
	flagTimeout     = "timeout"
	flagErrorFormat = "error-format"
	flagJobs        = "jobs"
)

type flags struct {
	template    string
	check       bool
	noCache     bool
	timeout     time.Duration
	errorFormat string
	jobs        int
}

func (f *flags) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.template, flagTemplate, "buf.gen.yaml", "generation template, relative to the workspace root")
	fs.BoolVar(&f.check, flagCheck, false, "write nothing; list every file that would be added, changed or removed and exit 100 if any")
	fs.BoolVar(&f.noCache, flagNoCache, false, "ignore and do not fill the generation cache")
	fs.DurationVar(&f.timeout, flagTimeout, 0, "bound on one plugin invocation (default: protoctl.yaml gen.timeout, else 2m)")
	fs.StringVar(&f.errorFormat, flagErrorFormat, "text", "format of --check findings: "+strings.Join(diag.Formats, ", "))
	fs.IntVar(&f.jobs, flagJobs, 0, "plugin processes run at once (default: number of CPUs)")
}

// NewCommand returns `protoctl gen`.
func NewCommand() *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Generate Go and Python code with the pinned generators",
		Long: "Compiles the workspace once and runs every plugin of buf.gen.yaml with the generator\n" +
			"protoctl.lock pins (installed on first use into protoctl's cache). Outputs are written\n" +
			"only if every plugin succeeds, and only files whose content changed are rewritten.\n" +
			"With --check nothing is written: every file that would be added, changed or removed\n" +
			"is listed and the exit code is 100 (drift), as CI needs.",
		Example: "  protoctl gen\n  protoctl gen --check --error-format github-actions",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), cmd, f)
		},
	}
	f.bind(cmd)
	return cmd
}

func run(ctx context.Context, cmd *cobra.Command, f *flags) error {
	start := time.Now()
	if os.Getenv("GOGC") == "" {
		// Compiling a large workspace with source info keeps most of the
		// heap live until its descriptors are encoded; collecting at 50%
		// growth instead of 100% keeps the peak below buf's for a few
		// percent of CPU (docs/benchmarks.md).
		debug.SetGCPercent(50)
	}
	ws, err := workspace.Find(".")
	if err != nil {
		return err
	}
	root := os.DirFS(ws.Root)
	tmpl, err := bufconfig.ReadBufGenYAML(root, f.template)
	if err != nil {
		return err
	}
	settings, err := bufconfig.ReadProtoctlYAML(root, "protoctl.yaml")
	if err != nil {
		return err
	}
	cfg, err := Config(tmpl, settings, ws.Buf.Modules...)
	if err != nil {
		return err
	}
	if f.timeout > 0 {
		cfg.Timeout = f.timeout
	}
	tc, err := ws.Toolchain(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	digest, sizes, err := inputDigest(ws, f.template)
	if err != nil {
		return err
	}
	cache := &compile.Cache{}
	if !f.noCache {
		cache.Dir = filepath.Join(tc.Dir, "compile")
	}
	res, err := codegen.Generate(ctx, cfg, tc, codegen.Options{
		Root:        ws.Root,
		Check:       f.check,
		NoCache:     f.noCache,
		Jobs:        f.jobs,
		Log:         cmd.ErrOrStderr(),
		InputDigest: digest,
		Compile: func(ctx context.Context) (*compile.Encoded, error) {
			return compile.CompileEncoded(ctx, compile.Workspace{FS: os.DirFS(ws.Root), Modules: ws.Modules(), Name: ws.Root}, cache)
		},
		Head: head(ws, cache, sizes),
	})
	if err != nil {
		return err
	}
	elapsed := time.Since(start).Round(time.Millisecond)
	if f.check {
		if !res.Drift() {
			fmt.Fprintf(cmd.ErrOrStderr(), "protoctl: generated code is up to date (%d files, %s)\n", res.Unchanged, elapsed)
			return nil
		}
		if err := diag.Print(cmd.OutOrStdout(), f.errorFormat, driftFindings(res)); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "protoctl: generated code is out of date: %d to add, %d to change, %d to remove; run `protoctl gen`\n",
			len(res.Added), len(res.Changed), len(res.Removed))
		return &exit.Error{Code: exit.Findings}
	}
	if res.UpToDate {
		fmt.Fprintf(cmd.ErrOrStderr(), "protoctl: up to date (%d files, %s)\n", res.Unchanged, elapsed)
		return nil
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "protoctl: %d added, %d changed, %d removed, %d unchanged; %d plugin runs in %d processes, %d from cache (%s)\n",
		len(res.Added), len(res.Changed), len(res.Removed), res.Unchanged, res.Jobs-res.Cached, res.Processes, res.Cached, elapsed)
	return nil
}

func driftFindings(res *codegen.Result) diag.Set {
	var out []diag.Finding
	add := func(paths []string, kind, msg string) {
		for _, p := range paths {
			out = append(out, diag.Finding{Path: p, Type: kind, Message: msg})
		}
	}
	add(res.Added, "ADDED", "generated file is missing: run protoctl gen")
	add(res.Changed, "CHANGED", "generated file is out of date: run protoctl gen")
	add(res.Removed, "REMOVED", "stale file in a clean output directory: run protoctl gen")
	return diag.NewSet(out...)
}

// Config resolves buf.gen.yaml and protoctl.yaml into a generation
// config (see codegen.ConfigFrom).
func Config(tmpl *bufconfig.BufGenYAML, settings *bufconfig.ProtoctlYAML, modules ...bufconfig.Module) (codegen.Config, error) {
	return codegen.ConfigFrom(tmpl, settings, modules)
}

// head picks the directory of a giant file (one holding more source than
// a plan bucket's fair share) so its plugin runs can start while the rest
// of the workspace compiles. Nil when there is none.
func head(ws *workspace.Workspace, cache *compile.Cache, sizes map[string]int) func(context.Context) (*compile.Encoded, error) {
	dirs := map[string]int{}
	total := 0
	for p, n := range sizes {
		dirs[filepath.Dir(p)] += n
		total += n
	}
	best, bestSize := "", 0
	for d, n := range dirs {
		if n > bestSize || (n == bestSize && d < best) {
			best, bestSize = d, n
		}
	}
	if total == 0 || bestSize*8 < total {
		return nil
	}
	var files []string
	for p := range sizes {
		if filepath.Dir(p) == best {
			files = append(files, p)
		}
	}
	return func(ctx context.Context) (*compile.Encoded, error) {
		return compile.CompileEncoded(ctx, compile.Workspace{FS: os.DirFS(ws.Root), Modules: ws.Modules(), Name: ws.Root, Files: files}, cache)
	}
}

// inputDigest hashes everything generated code depends on: protoctl's
// version, the config files, the lock and every .proto of the workspace.
// It also returns the size of each source, by workspace-relative path.
func inputDigest(ws *workspace.Workspace, template string) (string, map[string]int, error) {
	parts := map[string][]byte{"protoctl-version": []byte(version.Version), "protoctl-build": buildID()}
	for _, name := range []string{"buf.yaml", template, "protoctl.yaml", codegen.LockFileName} {
		data, err := ws.ReadOptional(name)
		if err != nil {
			return "", nil, err
		}
		parts["config:"+name] = data
	}
	srcs, err := compile.Workspace{FS: os.DirFS(ws.Root), Modules: ws.Modules()}.Sources()
	if err != nil {
		return "", nil, err
	}
	sizes := make(map[string]int, len(srcs))
	for _, s := range srcs {
		data, err := fs.ReadFile(os.DirFS(ws.Root), s.LocalPath)
		if err != nil {
			return "", nil, err
		}
		parts["source:"+s.LocalPath] = data
		sizes[s.LocalPath] = len(data)
	}
	return codegen.InputDigest(parts), sizes, nil
}

// buildID identifies the running protoctl binary (path, size, mtime), so
// that a rebuilt protoctl (same version, other code) never trusts the last
// run's state; cheaper than hashing the binary on every run.
func buildID() []byte {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	info, err := os.Stat(exe)
	if err != nil {
		return nil
	}
	return fmt.Appendf(nil, "%s %d %d", exe, info.Size(), info.ModTime().UnixNano())
}
