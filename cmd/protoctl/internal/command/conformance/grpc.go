package conformance

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/protoctl/protoctl/cmd/protoctl/internal/exit"
	"github.com/protoctl/protoctl/cmd/protoctl/internal/workspace"
	"github.com/protoctl/protoctl/grpcconf"
	"github.com/protoctl/protoctl/internal/pyserver"
)

// Flag names of the gRPC suite.
const (
	flagGRPC          = "grpc"
	flagServerMode    = "server-mode"
	flagKeepaliveIdle = "keepalive-idle"
	flagTLS           = "tls"
)

// grpcFlags are the options of `protoctl conformance --grpc`, which runs
// the gRPC behaviour suite (package grpcconf) instead of the serialization
// suites: the Go pool client against the Python reference server, which
// the command starts (one worker process per server profile) and stops.
type grpcFlags struct {
	Enabled       bool
	ServerMode    string
	KeepaliveIdle time.Duration
	TLS           bool
}

func bindGRPC(cmd *cobra.Command) *grpcFlags {
	g := &grpcFlags{}
	fs := cmd.Flags()
	fs.BoolVar(&g.Enabled, flagGRPC, false, "run the gRPC behaviour suite: the Go pool client against the Python reference server, which the command starts and stops (--case selects cases by name or group, e.g. status or 'limits/*')")
	fs.StringVar(&g.ServerMode, flagServerMode, "", "with --grpc: the Python server's mode, sync or aio (default: the server's)")
	fs.DurationVar(&g.KeepaliveIdle, flagKeepaliveIdle, grpcconf.DefaultKeepaliveIdle, "with --grpc: how long the keepalive case keeps its connection idle")
	fs.BoolVar(&g.TLS, flagTLS, false, "with --grpc: run the suite over mTLS with JWT auth (a test PKI and signing keys made for the run), plus the cases that must fail: bad certificates on either side, bad tokens, missing scope")
	return g
}

func (g *grpcFlags) validate() error {
	switch {
	case g.ServerMode != "" && g.ServerMode != "sync" && g.ServerMode != "aio":
		return fmt.Errorf("--%s %q: want sync or aio", flagServerMode, g.ServerMode)
	case g.KeepaliveIdle <= 0:
		return fmt.Errorf("--%s %v: must be positive", flagKeepaliveIdle, g.KeepaliveIdle)
	}
	return nil
}

func runGRPC(ctx context.Context, cmd *cobra.Command, f *flags, g *grpcFlags, stdout, stderr io.Writer) error {
	if err := g.validate(); err != nil {
		return err
	}
	for _, name := range []string{flagSuite, flagSuites, flagExpectations, flagPythonBackend, flagRepeat, flagSeed, flagCount} {
		if cmd.Flags().Changed(name) {
			return fmt.Errorf("--%s: only for the serialization suites, not with --%s", name, flagGRPC)
		}
	}
	cases, err := grpcconf.Select(grpcconf.Cases(grpcconf.Options{KeepaliveIdle: g.KeepaliveIdle, Auth: g.TLS}), f.Case)
	if err != nil {
		return fmt.Errorf("--%s: %w", flagCase, err)
	}
	if len(cases) == 0 {
		return fmt.Errorf("--%s %q matches no case of the grpc suite", flagCase, f.Case)
	}
	ws, err := workspace.Find(".")
	if err != nil {
		return err
	}
	python, err := ws.Python(ctx, f.Python, stderr)
	if err != nil {
		return err
	}
	if err := pyserver.Check(ctx, python, ws.Root); err != nil {
		return fmt.Errorf("%w (install the server's dependencies into that environment, or name another interpreter with --%s)", err, flagPython)
	}
	var sec *grpcconf.Security
	if g.TLS {
		var err error
		if sec, err = grpcconf.TempSecurity(); err != nil {
			return err
		}
		defer sec.Remove()
	}
	targets := map[grpcconf.Profile]string{}
	logs := map[grpcconf.Profile]grpcconf.ServerLog{}
	var servers []*pyserver.Server
	defer func() {
		for _, s := range servers {
			if err := s.Stop(); err != nil {
				fmt.Fprintf(stderr, "protoctl: warning: %v\n", err)
			}
		}
	}()
	for _, p := range grpcconf.Profiles(cases) {
		cfg := pyserver.Config{Python: python, Root: ws.Root, Workers: 1, Mode: g.ServerMode, Args: grpcconf.ServerArgs[p]}
		if sec != nil {
			cfg.Security = sec.Server(p)
		}
		s, err := pyserver.Start(ctx, cfg)
		if err != nil {
			return err
		}
		servers = append(servers, s)
		targets[p] = s.Addr
		logs[p] = s
	}
	// The expectations that apply are those of the mode the server
	// reports (its default when --server-mode is not given).
	r := &grpcconf.Runner{Targets: targets, Mode: servers[0].Mode, Expectations: grpcconf.Expectations, Security: sec, ServerLogs: logs}
	if cmd.Flags().Changed(flagTimeout) {
		r.Timeout = f.Timeout
	}
	rep, err := r.Run(ctx, cases)
	if err != nil {
		return err
	}
	h := grpcconf.Header{
		Server:   python + " -m protoctl_server --workers 1 --mode " + servers[0].Mode,
		Client:   "github.com/protoctl/protoctl/client pool",
		Security: securityText(sec),
		Versions: map[string]string{"grpc-go": moduleVersion("google.golang.org/grpc"), "grpcio": grpcioVersion(ctx, python)},
	}
	repro := func(name string) string {
		s := "protoctl conformance --grpc --case '" + name + "'"
		if g.TLS {
			s += " --" + flagTLS
		}
		if g.ServerMode != "" {
			s += " --" + flagServerMode + " " + g.ServerMode
		}
		return s
	}
	switch f.Format {
	case "json":
		err = rep.PrintJSON(stdout, h, repro)
	case "junit":
		err = rep.PrintJUnit(stdout, repro)
	default:
		err = rep.PrintText(stdout, h, repro)
	}
	if err != nil {
		return err
	}
	if rep.Failed() > 0 {
		return &exit.Error{Code: exit.Findings}
	}
	return nil
}

// securityText describes the suite's transport for the report header.
func securityText(sec *grpcconf.Security) string {
	if sec == nil {
		return "plaintext"
	}
	return "mTLS (test PKI made for the run) + JWT RS256 (subject " + grpcconf.Subject + ", scope " + grpcconf.ScopeBehavior + ")"
}

func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				return d.Version
			}
		}
	}
	return "unknown"
}

func grpcioVersion(ctx context.Context, python string) string {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", "import grpc; print(grpc.__version__)").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
