// Package conformance is the `protoctl conformance` command: it sends every
// case of the conformance suites to a long-lived Go testee and a long-lived
// Python testee and reports where the two protobuf runtimes disagree, binary
// and JSON. The contract suite runs every random instance as a round trip in
// both directions (Go -> Python -> Go, Python -> Go -> Python). Known
// divergences (conformance/suites/expectations.yaml, keyed by case x runtime
// x version) count as expected when their version ranges hold for the
// versions the testees report; an expected divergence that stops happening
// is a failure. The report header names every runtime's and generator's
// version; the footer the peak memory of the driver and the testees.
// docs/conformance.md has the design and the benchmark.
//
// Before any payload is sent, a drift check compares the descriptors the Go
// and the Python generated code loaded and names every message, field and
// enum that differs (one side regenerated, the other stale).
//
// The command finds its Python by itself: the interpreter of the toolchain
// environment pinned in protoctl.lock (installed on first use), with the
// workspace's python/src on PYTHONPATH. It builds the Go testee with the go
// command into protoctl's cache.
//
// Exit codes: 0 when every case passed or was expected, 100 when a case
// failed, 1 on any other error.
package conformance

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/protoctl/protoctl/cmd/protoctl/internal/exit"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/workspace"
	"github.com/protoctl/protoctl/codegen"
	"github.com/protoctl/protoctl/compile"
	"github.com/protoctl/protoctl/conformance"
)

// Flag names.
const (
	flagFormat        = "format"
	flagCase          = "case"
	flagSuite         = "suite"
	flagExpectations  = "expectations"
	flagPython        = "python"
	flagPythonBackend = "python-backend"
	flagTimeout       = "timeout"
	flagRepeat        = "repeat"
	flagSuites        = "suites"
	flagSeed          = "seed"
	flagCount         = "count"
	flagVerbose       = "verbose"
)

// Built-in suite names.
const (
	suiteRuntime  = "runtime"
	suiteContract = "contract"
)

// flags are the command's options.
type flags struct {
	Format        string
	Case          string
	Suite         string
	Expectations  string
	Python        string
	PythonBackend string
	Timeout       time.Duration
	Repeat        int
	Suites        []string
	Seed          uint64
	Count         int
	Verbose       bool
}

func (f *flags) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.Format, flagFormat, "text", "the report format: text, json or junit")
	fs.StringVar(&f.Case, flagCase, "", `run only the requests whose ID ("<case>.<output>") or case name matches this pattern, e.g. "json_*"`)
	fs.StringVar(&f.Suite, flagSuite, "", "a suite file to run instead of the built-in runtime suite")
	fs.StringVar(&f.Expectations, flagExpectations, "", "an expectations file to use instead of the built-in one")
	fs.StringVar(&f.Python, flagPython, "", "the Python interpreter of the Python testee (default: the toolchain's, from protoctl.lock)")
	fs.StringVar(&f.PythonBackend, flagPythonBackend, "", "the Python protobuf backend: upb, cpp or python (default: the runtime's own, upb)")
	fs.DurationVar(&f.Timeout, flagTimeout, conformance.DefaultTimeout, "how long to wait for each answer of a testee")
	fs.IntVar(&f.Repeat, flagRepeat, 1, "send every request this many times (a throughput measurement)")
	fs.StringSliceVar(&f.Suites, flagSuites, []string{suiteRuntime, suiteContract}, "the built-in suites to run: runtime (curated edge cases), contract (random instances of every message of the workspace, round trips in both directions)")
	fs.Uint64Var(&f.Seed, flagSeed, 1, "the seed of the contract suite's random instances")
	fs.IntVar(&f.Count, flagCount, 20, "random instances per message type in the contract suite")
	fs.BoolVarP(&f.Verbose, flagVerbose, "v", false, "also list the expected divergences and the expectations inactive for the running versions (text format)")
}

func (f *flags) validate() error {
	switch {
	case f.Format != "text" && f.Format != "json" && f.Format != "junit":
		return fmt.Errorf("--%s %q: want text, json or junit", flagFormat, f.Format)
	case f.Case != "":
		if _, err := path.Match(f.Case, ""); err != nil {
			return fmt.Errorf("--%s %q: not a valid pattern", flagCase, f.Case)
		}
	}
	switch f.PythonBackend {
	case "", "upb", "cpp", "python":
	default:
		return fmt.Errorf("--%s %q: want upb, cpp or python", flagPythonBackend, f.PythonBackend)
	}
	if f.Timeout <= 0 {
		return fmt.Errorf("--%s %v: must be positive", flagTimeout, f.Timeout)
	}
	if f.Repeat < 1 {
		return fmt.Errorf("--%s %d: must be at least 1", flagRepeat, f.Repeat)
	}
	if f.Count < 1 {
		return fmt.Errorf("--%s %d: must be at least 1", flagCount, f.Count)
	}
	for _, s := range f.Suites {
		if s != suiteRuntime && s != suiteContract {
			return fmt.Errorf("--%s %q: want runtime or contract", flagSuites, s)
		}
	}
	return nil
}

// NewCommand returns the `protoctl conformance` command.
func NewCommand() *cobra.Command {
	f := &flags{}
	var g *grpcFlags
	cmd := &cobra.Command{
		Use:   "conformance",
		Short: "Prove that the Go and Python protobuf runtimes agree on the contract, binary and JSON",
		Long: `Send every case of the conformance suites to a Go testee and a Python testee
(the generated code of this workspace, the pinned runtimes) and compare their
answers by meaning; random instances of every contract message make round
trips in both directions. Known divergences are listed in an expectations
file, keyed by case, runtime and version range; an expected divergence that no
longer happens is reported as a failure. See docs/conformance.md.

Exit codes: 0 all passed or expected, 100 a case failed, 1 error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			if g.Enabled {
				return runGRPC(cmd.Context(), cmd, f, g, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			for _, name := range []string{flagTLS, flagServerMode, flagKeepaliveIdle} {
				if cmd.Flags().Changed(name) {
					return fmt.Errorf("--%s: only with --%s", name, flagGRPC)
				}
			}
			return run(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f.bind(cmd)
	g = bindGRPC(cmd)
	return cmd
}

func run(ctx context.Context, f *flags, stdout, stderr io.Writer) error {
	ws, err := workspace.Find(".")
	if err != nil {
		return err
	}
	img, err := ws.Compile(ctx, compile.Options{NoSourceInfo: true})
	if err != nil {
		return err
	}
	suites, err := loadSuites(img, f)
	if err != nil {
		return err
	}
	expect, err := loadExpectations(f)
	if err != nil {
		return err
	}
	python, err := ws.Python(ctx, f.Python, stderr)
	if err != nil {
		return err
	}
	cache, err := codegen.CacheDir()
	if err != nil {
		return err
	}
	goCmd, err := conformance.BuildGoTestee(ctx, ws.Root, filepath.Join(cache, "conformance"))
	if err != nil {
		return err
	}
	pyCmd := conformance.PythonTestee(python, ws.Root, f.PythonBackend)
	goProc, pyProc := conformance.NewProcess(goCmd), conformance.NewProcess(pyCmd)
	goProc.Timeout, pyProc.Timeout = f.Timeout, f.Timeout
	defer goProc.Close()
	defer pyProc.Close()

	// The versions the testees report: the report header, and which
	// expectations apply.
	h := conformance.Header{Go: goCmd.String(), Python: pyCmd.String(), Runtimes: map[string]map[string]string{}, Generators: generators(ws.Root)}
	for _, c := range []conformance.Command{goCmd, pyCmd} {
		v, err := conformance.TesteeVersions(ctx, c)
		if err != nil {
			return err
		}
		h.Runtimes[c.Name] = v
	}

	// The drift check runs before any payload is sent: when the two sides
	// were generated from different contracts, it says where.
	var drift *conformance.Drift
	if f.Suite == "" && f.Case == "" {
		goSet, err := conformance.LoadedDescriptors(ctx, goCmd, "-dump_descriptors")
		if err != nil {
			return err
		}
		pySet, err := conformance.LoadedDescriptors(ctx, pyCmd, "--dump-descriptors")
		if err != nil {
			return err
		}
		drift = conformance.CompareDescriptors(goSet, pySet, contractFiles(img))
	}

	var batch []*conformance.Suite
	for range f.Repeat {
		batch = append(batch, suites...)
	}
	r := &conformance.Run{Go: goProc, Python: pyProc, Types: conformance.GeneratedTypes(), Expectations: expect, Versions: h.Runtimes}
	rep, err := r.Execute(ctx, batch...)
	if err != nil {
		return err
	}
	rep.Drift = drift
	// Close the testees first: their peak memory is known once they exit.
	goErr, pyErr := goProc.Close(), pyProc.Close()
	rep.PeakRSS = map[string]int64{conformance.PeakDriver: conformance.SelfPeakRSS(), conformance.RuntimeGo: goProc.PeakRSS, conformance.RuntimePython: pyProc.PeakRSS}
	for _, err := range []error{goErr, pyErr} {
		if err != nil {
			fmt.Fprintf(stderr, "warning: %v\n", err)
		}
	}
	repro := func(id string) string {
		return "protoctl conformance --case '" + id + "'" + reproFlags(f)
	}
	switch f.Format {
	case "json":
		err = rep.PrintJSON(stdout, h, repro)
	case "junit":
		err = rep.PrintJUnit(stdout, h, repro)
	default:
		err = rep.PrintText(stdout, h, repro, conformance.TextOptions{Verbose: f.Verbose})
	}
	if err != nil {
		return err
	}
	if rep.Failed() > 0 {
		return &exit.Error{Code: exit.Findings}
	}
	return nil
}

// loadSuites returns the suites to run: the file of --suite, or the
// built-in ones --suites names, each narrowed by --case.
func loadSuites(img *compile.Image, f *flags) ([]*conformance.Suite, error) {
	var suites []*conformance.Suite
	if f.Suite != "" {
		data, err := os.ReadFile(f.Suite)
		if err != nil {
			return nil, err
		}
		s, err := conformance.ParseSuite(f.Suite, data)
		if err != nil {
			return nil, err
		}
		suites = append(suites, s)
	} else {
		for _, name := range f.Suites {
			var s *conformance.Suite
			var err error
			switch name {
			case suiteRuntime:
				s, err = conformance.RuntimeSuite()
			case suiteContract:
				s, err = contractSuite(img, f)
			}
			if err != nil {
				return nil, err
			}
			suites = append(suites, s)
		}
	}
	if f.Case == "" {
		return suites, nil
	}
	var selected []*conformance.Suite
	for _, s := range suites {
		if s = s.Select(f.Case); len(s.Cases) > 0 {
			selected = append(selected, s)
		}
	}
	if len(selected) == 0 {
		return nil, fmt.Errorf("--%s %q matches no case of the suites %s", flagCase, f.Case, strings.Join(f.Suites, ", "))
	}
	return selected, nil
}

// contractSuite builds random instances of every message of the workspace,
// except the conformance protocol's own messages and the all-types test
// messages (the runtime suite covers those).
func contractSuite(img *compile.Image, f *flags) (*conformance.Suite, error) {
	var files []protoreflect.FileDescriptor
	for _, fd := range img.Files {
		pkg := string(fd.Package())
		if !img.IsTarget(fd.Path()) || pkg == "conformance" || strings.HasPrefix(pkg, "protoctl.testing.") {
			continue
		}
		files = append(files, fd)
	}
	return conformance.ContractSuite(conformance.MessagesOf(files), conformance.GeneratedTypes(), f.Seed, f.Count)
}

// contractFiles are the paths of the workspace's files, which both
// runtimes' generated code must hold.
func contractFiles(img *compile.Image) []string {
	var out []string
	for _, fd := range img.Files {
		if img.IsTarget(fd.Path()) {
			out = append(out, fd.Path())
		}
	}
	return out
}

func loadExpectations(f *flags) (*conformance.Expectations, error) {
	if f.Expectations == "" {
		return conformance.BuiltinExpectations()
	}
	data, err := os.ReadFile(f.Expectations)
	if err != nil {
		return nil, err
	}
	return conformance.ParseExpectations(f.Expectations, data)
}

func reproFlags(f *flags) string {
	s := ""
	if slices.Contains(f.Suites, suiteContract) && f.Suite == "" {
		s += fmt.Sprintf(" --seed %d --count %d", f.Seed, f.Count)
	}
	if f.Suite != "" {
		s += " --suite " + f.Suite
	}
	if f.Expectations != "" {
		s += " --expectations " + f.Expectations
	}
	if f.PythonBackend != "" {
		s += " --python-backend " + f.PythonBackend
	}
	return s
}

// generators are the code generators pinned in the workspace's
// protoctl.lock, by name: the Go plugins and the Python generator packages.
// A workspace without a lock has none.
func generators(root string) map[string]string {
	out := map[string]string{}
	lock, err := codegen.ReadLock(filepath.Join(root, codegen.LockFileName))
	if err != nil {
		return out
	}
	for _, p := range lock.Go {
		out[p.Name] = p.Version
	}
	if lock.Python != nil {
		for _, p := range lock.Python.Packages {
			switch p.Name {
			case "grpcio-tools", "mypy-protobuf":
				out[p.Name] = p.Version
			}
		}
	}
	return out
}
