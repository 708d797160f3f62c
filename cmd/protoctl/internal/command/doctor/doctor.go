// Package doctor is the `protoctl doctor` command: check the Go and
// Python tools, protoctl's toolchain cache and both runtimes against what
// the pinned generators need, and print each problem with its fix.
//
// The checks live in package doctor; this command finds the workspace,
// prints the report (a table, or --json) and sets the exit status: 0 when
// nothing failed (warnings included), 1 when something did.
package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/protoctl/protoctl/cmd/protoctl/internal/exit"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/workspace"
	"github.com/protoctl/protoctl/codegen"
	"github.com/protoctl/protoctl/doctor"
)

// Flag names.
const (
	flagPython = "python"
	flagJSON   = "json"
)

// flags are the command's options.
type flags struct {
	Python string
	JSON   bool
}

func (f *flags) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.Python, flagPython, "", "the Python interpreter or virtual environment whose runtime to check (default: the workspace's .venv, else protoctl's toolchain environment)")
	fs.BoolVar(&f.JSON, flagJSON, false, "print the report as JSON")
}

// NewCommand returns `protoctl doctor`.
func NewCommand() *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "doctor [DIR]",
		Short: "Check the toolchain and the Go and Python runtimes for version skew",
		Long: `Check what users of the contract trip over, and print the command that fixes
each problem:

  - Go and Python are installed;
  - every generator pinned in protoctl.lock has a cached install that matches
    the lock (a missing one is only a warning: protoctl gen installs it);
  - go.mod requires google.golang.org/protobuf at least at the pinned
    protoc-gen-go's version, and google.golang.org/grpc at least at what the
    generated *_grpc.pb.go files require;
  - the Python environment (--python, else the workspace's .venv, else the
    toolchain's) has protobuf and grpcio within the range the generated code
    accepts (protoctl.yaml python.requirements), whose violation shows as
    "Detected incompatible (or mismatched) Protobuf Gencode/Runtime versions"
    on import.

Nothing is installed or changed. Exit status: 0 when no check failed
(warnings included), 1 when one did.`,
		Example:       "  protoctl doctor\n  protoctl doctor --python ~/venvs/service\n  protoctl doctor --json",
		Args:          cobra.MaximumNArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return run(cmd.Context(), cmd.OutOrStdout(), dir, f)
		},
	}
	f.bind(cmd)
	return cmd
}

func run(ctx context.Context, stdout io.Writer, dir string, f *flags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	opts, err := options(dir, f)
	if err != nil {
		return err
	}
	report := doctor.Run(ctx, opts)
	if f.JSON {
		out := struct {
			Healthy bool           `json:"healthy"`
			Checks  []doctor.Check `json:"checks"`
		}{report.Healthy(), report.Checks}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else if err := printTable(stdout, report); err != nil {
		return err
	}
	if !report.Healthy() {
		return &exit.Error{Code: exit.Failure, Err: fmt.Errorf("doctor found %d problem(s)", report.Problems())}
	}
	return nil
}

// options finds the workspace and its toolchain. A directory without a
// buf.yaml is checked on its own (tools and runtimes only).
func options(dir string, f *flags) (doctor.Options, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return doctor.Options{}, err
	}
	opts := doctor.Options{Root: abs, Python: f.Python}
	if f.Python != "" {
		if _, err := os.Stat(f.Python); err != nil {
			return opts, fmt.Errorf("--%s %s: %w", flagPython, f.Python, unwrap(err))
		}
	}
	root, err := workspace.Root(abs)
	if err != nil {
		return opts, nil
	}
	opts.Root = root
	lockFile := filepath.Join(root, codegen.LockFileName)
	if _, err := os.Stat(lockFile); errors.Is(err, fs.ErrNotExist) {
		return opts, nil
	}
	lock, err := codegen.ReadLock(lockFile)
	if err != nil {
		return opts, err
	}
	cache, err := codegen.CacheDir()
	if err != nil {
		return opts, err
	}
	opts.Toolchain = &codegen.Toolchain{Lock: lock, Dir: cache}
	return opts, nil
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// printTable prints one row per check, then the fixes of the problems.
func printTable(w io.Writer, r *doctor.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tDETAIL")
	for _, c := range r.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, strings.ToUpper(string(c.Status)), c.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var fixes []string
	for _, c := range r.Checks {
		if c.Fix != "" && (c.Status == doctor.Fail || c.Status == doctor.Warn) {
			fixes = append(fixes, fmt.Sprintf("  %s: %s", c.Name, c.Fix))
		}
	}
	if len(fixes) > 0 {
		fmt.Fprintf(w, "\nto fix:\n%s\n", strings.Join(fixes, "\n"))
	}
	if r.Healthy() {
		fmt.Fprintln(w, "\nhealthy")
	} else {
		fmt.Fprintf(w, "\n%d problem(s)\n", r.Problems())
	}
	return nil
}
