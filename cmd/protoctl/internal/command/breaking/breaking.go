// Package breaking is the `protoctl breaking` command: compare an input
// with an earlier version of it and report the changes that break the
// people who use it, as `buf breaking` does, with the same inputs, flags,
// configuration, messages, formats and exit codes (0 clean, 100 when
// breaking changes were printed, 1 for any other failure).
//
// The command only wires library calls: package input resolves and
// compiles both sides (concurrently), package compat runs the rules, and
// package diag prints the findings. Its own logic is the part buf does in
// its command too: choosing the configuration, filtering by --path, and
// showing paths relative to the input as the user wrote it.
package breaking

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/protoctl/protoctl/cmd/protoctl/internal/exit"
	"github.com/protoctl/protoctl/diag"
	"github.com/protoctl/protoctl/input"
)

// Flag names.
const (
	flagAgainst       = "against"
	flagConfig        = "config"
	flagAgainstConfig = "against-config"
	flagErrorFormat   = "error-format"
	flagListRules     = "list-rules"
	flagFormat        = "format"
	flagExplain       = "explain"
	flagSummaryJSON   = "summary-json"
	flagExcludeImport = "exclude-imports"
	flagPath          = "path"
	flagExcludePath   = "exclude-path"
)

// flags are the command's options.
type flags struct {
	Against        string
	Config         string
	AgainstConfig  string
	ErrorFormat    string
	ListRules      bool
	Format         string
	Explain        bool
	SummaryJSON    string
	ExcludeImports bool
	Paths          []string
	ExcludePaths   []string
}

func (f *flags) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.Against, flagAgainst, "", `the input to compare with, such as ".git#branch=main", ".git#tag=v1.0.0", ".git#ref=HEAD~1,subdir=proto" or image.binpb (required)`)
	fs.StringVar(&f.Config, flagConfig, "", "the buf.yaml file or data that configures the input")
	fs.StringVar(&f.AgainstConfig, flagAgainstConfig, "", "the buf.yaml file or data that configures the against input")
	fs.StringVar(&f.ErrorFormat, flagErrorFormat, "text", "the format of the findings: "+strings.Join(diag.Formats, ", "))
	fs.BoolVar(&f.ListRules, flagListRules, false, "list the breaking rules and exit")
	fs.StringVar(&f.Format, flagFormat, "text", "the format of --list-rules: text or json")
	fs.BoolVar(&f.Explain, flagExplain, false, "explain under each finding who it breaks (wire, JSON, Go, Python); text format only")
	fs.StringVar(&f.SummaryJSON, flagSummaryJSON, "", "write a JSON summary of what was added, removed and changed to this file")
	fs.BoolVar(&f.ExcludeImports, flagExcludeImport, false, "exclude imports from breaking change detection")
	fs.StringSliceVar(&f.Paths, flagPath, nil, "limit to these files or directories (repeatable)")
	fs.StringSliceVar(&f.ExcludePaths, flagExcludePath, nil, "exclude these files or directories (repeatable)")
}

func (f *flags) validate() error {
	if !slices.Contains(diag.Formats, f.ErrorFormat) {
		return fmt.Errorf("--%s: unknown format %q: use one of %s", flagErrorFormat, f.ErrorFormat, strings.Join(diag.Formats, ", "))
	}
	if f.Format != "text" && f.Format != "json" {
		return fmt.Errorf("--%s: unknown format %q: use text or json", flagFormat, f.Format)
	}
	if f.ListRules {
		return nil
	}
	if f.Against == "" {
		return fmt.Errorf("--%s is required: the input to compare with, such as .git#branch=main", flagAgainst)
	}
	return nil
}

// NewCommand returns `protoctl breaking`.
func NewCommand() *cobra.Command {
	return newCommand(compatChecker{})
}

func newCommand(c checker) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "breaking [INPUT] --against INPUT",
		Short: "Report changes that break the users of the contract, as buf breaking does",
		Long: `Compare INPUT (default ".") with --against and print every breaking change.

Inputs are written as for buf: a directory (a buf workspace, or one module
of it), an image file (buf build -o, protoc --descriptor_set_out), or a git
revision of a local repository read without touching the work tree:
.git#branch=main, .git#tag=v1.0.0, .git#ref=HEAD~1, .git#ref=abc123,subdir=proto.

The rules come from the breaking section of the input's buf.yaml (or
--config). Exit status: 0 when nothing breaks, 100 when breaking changes
were printed, 1 for any other failure.`,
		Args:          cobra.MaximumNArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			in := "."
			if len(args) == 1 {
				in = args[0]
			}
			return run(cmd.Context(), c, cmd.OutOrStdout(), cmd.ErrOrStderr(), in, f)
		},
	}
	f.bind(cmd)
	return cmd
}

func run(ctx context.Context, c checker, stdout, stderr io.Writer, in string, f *flags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if f.ListRules {
		return listRules(stdout, c, f.Format)
	}
	var cfg, againstCfg *input.Config
	var err error
	if f.Config != "" {
		if cfg, err = input.ParseConfigFlag(f.Config); err != nil {
			return err
		}
	}
	if f.AgainstConfig != "" {
		if againstCfg, err = input.ParseConfigFlag(f.AgainstConfig); err != nil {
			return err
		}
	}
	current, previous, err := loadBoth(ctx, in, f.Against, cfg, againstCfg)
	if err != nil {
		return err
	}
	set, warnings, err := check(ctx, c, previous, current, f)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if f.SummaryJSON != "" {
		if err := writeSummary(f.SummaryJSON, c, previous, current); err != nil {
			return err
		}
	}
	if f.ErrorFormat == "text" && f.Explain {
		err = printExplained(stdout, c, set)
	} else {
		err = diag.Print(stdout, f.ErrorFormat, set)
	}
	if err != nil {
		return err
	}
	if len(set) > 0 {
		return &exit.Error{Code: exit.Findings}
	}
	return nil
}

// loadBoth compiles the input and the against input concurrently. The
// input needs source info: findings point into its files.
func loadBoth(ctx context.Context, in, against string, cfg, againstCfg *input.Config) (current, previous *input.Resolved, err error) {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		current, err = input.Load(gctx, in, input.Options{NeedSourceInfo: true, Config: cfg})
		return err
	})
	g.Go(func() error {
		var err error
		previous, err = input.Load(gctx, against, input.Options{Role: "against input", Config: againstCfg})
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return current, previous, nil
}

// check runs the rules module by module (each module of a buf.yaml may
// configure its own), keeps the findings the flags select, and rewrites
// their paths for display.
func check(ctx context.Context, c checker, previous, current *input.Resolved, f *flags) (diag.Set, []string, error) {
	var all []diag.Finding
	var warnings []string
	for _, g := range current.BreakingGroups() {
		if g.Breaking.Disabled || g.Breaking.DisableBuiltin {
			// An ignore entry names the whole module, or only plugins
			// would run (protoctl has none): buf checks nothing here.
			continue
		}
		set, warns, err := c.Check(ctx, previous.Image, current.Image, g.Breaking)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", configName(current), err)
		}
		for _, w := range warns {
			if !slices.Contains(warnings, w) {
				warnings = append(warnings, w)
			}
		}
		for _, fd := range set {
			if g.Owns(fd.Path) {
				all = append(all, fd)
			}
		}
	}
	if len(f.Paths) > 0 || len(f.ExcludePaths) > 0 {
		if !slices.ContainsFunc(current.Image.Targets(), func(t string) bool {
			local := current.Image.LocalPath(t)
			return current.Contains(local) && selected(f.Paths, f.ExcludePaths, local, current.Display(local))
		}) {
			return nil, nil, errors.New("no .proto files were targeted: --path names no file of the input, or --exclude-path excludes them all")
		}
	}
	var kept []diag.Finding
	for _, fd := range all {
		if fd.Path == "" {
			if deletedSelected(previous, current, fd, f.Paths, f.ExcludePaths) {
				kept = append(kept, fd)
			}
			continue
		}
		local := localPath(current, fd.Path)
		if !current.Contains(local) {
			continue
		}
		if f.ExcludeImports && !isTargetLocal(current, local) {
			continue
		}
		display := current.Display(local)
		if !selected(f.Paths, f.ExcludePaths, local, display) {
			continue
		}
		fd.Path = display
		kept = append(kept, fd)
	}
	return diag.NewSet(kept...), warnings, nil
}

func configName(r *input.Resolved) string {
	if r.Config != nil {
		return r.Config.File
	}
	return "breaking configuration"
}

// localPath maps a finding's path to the workspace-relative path of a file
// of the current image. A finding names the local path; an import path is
// accepted too.
func localPath(r *input.Resolved, p string) string {
	if p == "" {
		return ""
	}
	for _, t := range r.Image.Targets() {
		if r.Image.LocalPath(t) == p {
			return p
		}
	}
	if r.Image.IsTarget(p) {
		return r.Image.LocalPath(p)
	}
	return p
}

// deletedFile finds the file a FILE_NO_DELETE message names.
var deletedFile = regexp.MustCompile(`^Previously present file "([^"]+)" was deleted\.$`)

// deletedSelected decides whether a finding without a file survives
// --path and --exclude-path. buf applies the paths to the previous input
// too, so a deleted file is reported when the paths select where it was:
// its path in the previous input, or where it would be in one of the
// current input's modules; an --exclude-path that names any of those
// drops it. Other findings without a file (a deleted package) are
// kept unless a --path narrows the check.
func deletedSelected(previous, current *input.Resolved, fd diag.Finding, paths, excludes []string) bool {
	if len(paths) == 0 && len(excludes) == 0 {
		return true
	}
	m := deletedFile.FindStringSubmatch(fd.Message)
	if m == nil {
		return len(paths) == 0
	}
	name := m[1]
	var names []string
	add := func(local string) {
		if current.Contains(local) && !slices.Contains(names, local) {
			names = append(names, local, current.Display(local))
		}
	}
	add(previous.Image.LocalPath(name))
	if current.Config != nil {
		for _, mod := range current.Config.Modules {
			add(path.Join(mod.Path, name))
		}
	}
	add(name)
	return (len(paths) == 0 || namesUnder(paths, names)) && !namesUnder(excludes, names)
}

func isTargetLocal(r *input.Resolved, local string) bool {
	for _, t := range r.Image.Targets() {
		if r.Image.LocalPath(t) == local {
			return true
		}
	}
	return false
}

// selected applies --path and --exclude-path, which name files or
// directories either as shown or relative to the workspace root.
func selected(paths, excludes []string, local, display string) bool {
	names := []string{local, display}
	return (len(paths) == 0 || namesUnder(paths, names)) && !namesUnder(excludes, names)
}

// namesUnder reports whether any of names is one of dirs or under one.
func namesUnder(dirs, names []string) bool {
	for _, d := range dirs {
		d = path.Clean(strings.TrimSuffix(d, "/"))
		for _, n := range names {
			if d == "." || n == d || strings.HasPrefix(n, d+"/") {
				return true
			}
		}
	}
	return false
}

// writeSummary writes the JSON summary of the change.
func writeSummary(name string, c checker, previous, current *input.Resolved) error {
	data, err := c.Summarize(previous.Image, current.Image)
	if err != nil {
		return fmt.Errorf("--%s: %w", flagSummaryJSON, err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("--%s %s: %w", flagSummaryJSON, name, err)
	}
	return nil
}
