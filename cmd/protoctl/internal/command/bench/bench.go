// Package bench is the `protoctl bench` command: a load benchmark of the
// Go client against the Python reference server. Without --target it
// starts the server itself (from the toolchain's Python environment) once
// per server configuration (--server-processes × --server-mode), runs
// every strategy (--strategies) at every concurrency (--concurrency) side
// by side (in --rounds alternating slices, so that the load of other
// processes falls on every strategy alike), stops the server, and prints a table (or --json) of QPS,
// latency percentiles, errors and CPU per call, the comparison with the
// reference pair's targets, and with --plot an SVG of throughput and
// latency by percentile. With --tls each server configuration is started
// twice, plaintext and with mTLS and JWT auth, and every strategy runs
// against both.
//
// Exit codes: 0 when the runs completed (missed targets are reported,
// not failed), 1 on any error.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/protoctl/protoctl/cmd/protoctl/internal/workspace"
	"github.com/protoctl/protoctl/grpcconf"
	"github.com/protoctl/protoctl/internal/pyserver"
	"github.com/protoctl/protoctl/loadgen"
)

// Flag names.
const (
	flagTarget          = "target"
	flagConcurrency     = "concurrency"
	flagDuration        = "duration"
	flagWarmup          = "warmup"
	flagStrategies      = "strategies"
	flagServerProcesses = "server-processes"
	flagServerMode      = "server-mode"
	flagPoolSize        = "pool-size"
	flagJSON            = "json"
	flagPlot            = "plot"
	flagPython          = "python"
	flagRounds          = "rounds"
	flagTLS             = "tls"
)

// maxDuration bounds one measurement; a bench is a bounded run.
const maxDuration = 10 * time.Minute

// flags are the command's options.
type flags struct {
	Target          string
	Concurrency     []int
	Duration        time.Duration
	Warmup          time.Duration
	Strategies      []string
	ServerProcesses []int
	ServerModes     []string
	PoolSize        int
	JSON            bool
	Plot            string
	Python          string
	Rounds          int
	TLS             bool
}

func (f *flags) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.Target, flagTarget, "", "host:port of a running server with protoctl.testing.v1.BehaviorService (default: start the Python reference server)")
	fs.IntSliceVar(&f.Concurrency, flagConcurrency, []int{1, 16}, "calls in flight, one list entry per run")
	fs.DurationVar(&f.Duration, flagDuration, 5*time.Second, "how long each run is measured")
	fs.DurationVar(&f.Warmup, flagWarmup, time.Second, "calls made before each measurement, not counted")
	fs.StringSliceVar(&f.Strategies, flagStrategies, []string{"per-call", "single", "pool"}, "per-call (a new connection per call), single (one shared grpc-go ClientConn), pool (the client package's pool)")
	fs.IntSliceVar(&f.ServerProcesses, flagServerProcesses, []int{1, 2}, "Python server worker processes, one server per entry (without --target)")
	fs.StringSliceVar(&f.ServerModes, flagServerMode, []string{"sync", "aio"}, "Python server modes, sync and/or aio (without --target)")
	fs.IntVar(&f.PoolSize, flagPoolSize, 0, "connections of the pool (default: the client package's)")
	fs.BoolVar(&f.JSON, flagJSON, false, `print {"runs": [...], "checks": [...]} instead of tables`)
	fs.StringVar(&f.Plot, flagPlot, "", "write an SVG plot of throughput and latency to this file")
	fs.StringVar(&f.Python, flagPython, "", "the interpreter that runs the server (default: the toolchain's, from protoctl.lock)")
	fs.BoolVar(&f.TLS, flagTLS, false, "also run every strategy over mTLS with a JWT on every call, against a second server of the same configuration with TLS and auth (a test PKI and signing key made for the run), side by side with plaintext")
	fs.IntVar(&f.Rounds, flagRounds, 5, "measure the strategies of one server and concurrency in turn, this many slices each, so that load changes hit them alike")
}

func (f *flags) validate(cmd *cobra.Command) error {
	if f.Target != "" {
		for _, name := range []string{flagServerProcesses, flagServerMode, flagPython, flagTLS} {
			if cmd.Flags().Changed(name) {
				return fmt.Errorf("--%s: only without --%s (the bench starts that server)", name, flagTarget)
			}
		}
	}
	if len(f.Concurrency) == 0 {
		return fmt.Errorf("--%s: give at least one value", flagConcurrency)
	}
	for _, c := range f.Concurrency {
		if c < 1 || c > 4096 {
			return fmt.Errorf("--%s %d: want 1 to 4096", flagConcurrency, c)
		}
	}
	if f.Duration <= 0 || f.Duration > maxDuration {
		return fmt.Errorf("--%s %v: want more than 0 and at most %v", flagDuration, f.Duration, maxDuration)
	}
	if f.Warmup < 0 || f.Warmup > maxDuration {
		return fmt.Errorf("--%s %v: want 0 to %v", flagWarmup, f.Warmup, maxDuration)
	}
	if len(f.Strategies) == 0 {
		return fmt.Errorf("--%s: give at least one strategy", flagStrategies)
	}
	for _, s := range f.Strategies {
		if _, err := loadgen.ParseStrategy(s); err != nil {
			return fmt.Errorf("--%s: %w", flagStrategies, err)
		}
	}
	for _, p := range f.ServerProcesses {
		if p < 1 || p > 64 {
			return fmt.Errorf("--%s %d: want 1 to 64", flagServerProcesses, p)
		}
	}
	if f.Target == "" && len(f.ServerProcesses) == 0 {
		return fmt.Errorf("--%s: give at least one value", flagServerProcesses)
	}
	for _, m := range f.ServerModes {
		if m != "sync" && m != "aio" {
			return fmt.Errorf("--%s %q: want sync or aio", flagServerMode, m)
		}
	}
	if f.Target == "" && len(f.ServerModes) == 0 {
		return fmt.Errorf("--%s: give at least one mode", flagServerMode)
	}
	if f.Rounds < 1 || f.Rounds > 1000 {
		return fmt.Errorf("--%s %d: want 1 to 1000", flagRounds, f.Rounds)
	}
	if f.PoolSize < 0 {
		return fmt.Errorf("--%s %d: must not be negative", flagPoolSize, f.PoolSize)
	}
	return nil
}

// NewCommand returns the `protoctl bench` command.
func NewCommand() *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the Go client against the Python reference server: per-call connections, one connection, the pool",
		Long: `Drive the Python reference server (started here unless --target names one)
with 31-byte unary calls from closed-loop workers and compare connection
strategies side by side: a new connection per call, one shared grpc-go
ClientConn, and the client package's pool; against 1 and N server
processes, sync and aio. With --tls every strategy also runs over mTLS
with a JWT on every call, against a second server with TLS and auth, side
by side with plaintext. Prints QPS, p50/p90/p99/p99.9 latency, errors and
client (and server) CPU per call, then the reference pair's targets.

Each run takes --warmup + --duration; the command prints the plan first.
Exit codes: 0 the runs completed (missed targets are reported), 1 error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.validate(cmd); err != nil {
				return err
			}
			return run(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f.bind(cmd)
	return cmd
}

// serverSpec is one server configuration to start.
type serverSpec struct {
	procs int
	mode  string
}

func run(ctx context.Context, f *flags, stdout, stderr io.Writer) error {
	var strategies []loadgen.Strategy
	for _, s := range f.Strategies {
		st, _ := loadgen.ParseStrategy(s)
		strategies = append(strategies, st)
	}
	servers := []serverSpec{{}}
	var python, root string
	if f.Target == "" {
		servers = servers[:0]
		for _, p := range f.ServerProcesses {
			for _, m := range f.ServerModes {
				servers = append(servers, serverSpec{p, m})
			}
		}
		var err error
		if python, root, err = findPython(ctx, f, stderr); err != nil {
			return err
		}
	}
	var sec *grpcconf.Security
	if f.TLS {
		var err error
		if sec, err = grpcconf.TempSecurity(); err != nil {
			return err
		}
		defer sec.Remove()
	}
	n := len(servers) * len(f.Concurrency) * len(strategies)
	if sec != nil {
		n *= 2
	}
	fmt.Fprintf(stderr, "protoctl bench: %d runs of %v + %v warm-up, about %v\n", n, f.Duration, f.Warmup, (time.Duration(n) * (f.Duration + f.Warmup)).Round(time.Second))
	var results []*loadgen.Result
	for _, sv := range servers {
		var running []*pyserver.Server
		stop := func() {
			for _, srv := range running {
				if serr := srv.Stop(); serr != nil {
					fmt.Fprintf(stderr, "protoctl bench: warning: %v\n", serr)
				}
			}
		}
		targets := []benchTarget{{addr: f.Target}}
		if f.Target == "" {
			targets = targets[:0]
			for _, secure := range []bool{false, true} {
				if secure && sec == nil {
					continue
				}
				cfg := pyserver.Config{Python: python, Root: root, Workers: sv.procs, Mode: sv.mode, Args: []string{"--log-level", "warning"}}
				var ls *loadgen.Security
				if secure {
					cfg.Security = sec.Server(grpcconf.ProfileDefault)
					ls = loadSecurity(sec)
				}
				srv, err := pyserver.Start(ctx, cfg)
				if err != nil {
					stop()
					return err
				}
				running = append(running, srv)
				targets = append(targets, benchTarget{addr: srv.Addr, srv: srv, sec: ls})
			}
		}
		rs, err := runServer(ctx, f, strategies, sv, targets, stderr)
		stop()
		if err != nil {
			return err
		}
		results = append(results, rs...)
	}
	checks := loadgen.Checks(results)
	if f.Plot != "" {
		if err := writePlot(f.Plot, results); err != nil {
			return err
		}
	}
	if f.JSON {
		return loadgen.PrintJSON(stdout, results, checks)
	}
	if err := loadgen.PrintTable(stdout, results); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	return loadgen.PrintChecks(stdout, checks)
}

// benchTarget is one server the runs of a server configuration drive:
// plaintext, or with --tls a second one over mTLS with JWT auth.
type benchTarget struct {
	addr string
	srv  *pyserver.Server // nil for --target
	sec  *loadgen.Security
}

// loadSecurity is how the bench's clients reach the TLS server: the test
// PKI's CA and client certificate, and the suite's tokens (cached by the
// clients until shortly before they expire).
func loadSecurity(sec *grpcconf.Security) *loadgen.Security {
	return &loadgen.Security{Name: "mtls+jwt", TLS: sec.ClientTLS(), Tokens: sec.Tokens()}
}

func runServer(ctx context.Context, f *flags, strategies []loadgen.Strategy, sv serverSpec, targets []benchTarget, stderr io.Writer) ([]*loadgen.Result, error) {
	var out []*loadgen.Result
	for _, c := range f.Concurrency {
		var specs []loadgen.Spec
		for _, st := range strategies {
			for _, t := range targets {
				spec := loadgen.Spec{Target: t.addr, Strategy: st, Concurrency: c, Duration: f.Duration, Warmup: f.Warmup,
					PoolSize: f.PoolSize, ServerProcesses: sv.procs, ServerMode: sv.mode, Security: t.sec}
				if t.srv != nil {
					spec.ServerCPU = t.srv.CPU
				}
				specs = append(specs, spec)
			}
		}
		rs, err := loadgen.RunPaired(ctx, specs, f.Rounds)
		if err != nil {
			return nil, fmt.Errorf("c=%d: %w", c, err)
		}
		for _, r := range rs {
			fmt.Fprintf(stderr, "  %-8s %-9s procs=%d mode=%-4s c=%-3d %8.0f qps  p50 %.3f ms  p99 %.3f ms  errors %d\n", r.Strategy, r.Security, sv.procs, sv.mode, c, r.QPS, r.P50, r.P99, r.Errors)
		}
		out = append(out, rs...)
	}
	return out, nil
}

func findPython(ctx context.Context, f *flags, stderr io.Writer) (python, root string, err error) {
	ws, err := workspace.Find(".")
	if err != nil {
		return "", "", err
	}
	python, err = ws.Python(ctx, f.Python, stderr)
	if err != nil {
		return "", "", err
	}
	if err := pyserver.Check(ctx, python, ws.Root); err != nil {
		return "", "", fmt.Errorf("%w (install the server's dependencies into that environment, or name another interpreter with --%s)", err, flagPython)
	}
	return python, ws.Root, nil
}

func writePlot(path string, results []*loadgen.Result) error {
	var b strings.Builder
	title := fmt.Sprintf("protoctl bench: 31-byte unary, %s", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	if err := loadgen.Plot(&b, title, results); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write plot: %w", err)
	}
	return nil
}
