// Command harness measures commands against each other, as the benchmarks
// in docs/benchmarks.md are measured.
//
//	go run ./bench/harness -spec bench.json [-runs 5] [-scenario a,b] [-json out.json]
//	go run ./bench/harness -cmd 'buf=buf generate' -cmd 'protoctl=protoctl gen' [-prepare 'rm -rf gen'] [-dir DIR]
//
// A spec (JSON; see bench/README.md) lists scenarios; each scenario lists
// commands, the first of which is the baseline. In every scenario each
// command first runs -warmup times uncounted, then the commands run
// alternately, A B A B ..., -runs rounds. Before every run (warm-ups too)
// the scenario's prepare command and the command's own prepare command run,
// untimed. Commands run with /bin/sh -c in the spec's directory, in a
// process group of their own; stdout is discarded, and a non-zero exit stops
// the harness with the end of the command's stderr.
//
// Each run is measured from spawn to reap: wall time on the monotonic
// clock; CPU time as user+system of the reaped child, which includes every
// descendant it waited for (plugins, protoc); peak RSS as the child's
// ru_maxrss, which Linux reports as the largest resident set of any single
// process in that reaped tree, not the sum of processes that ran at once.
//
// The table gives, per command, the median wall time, its min–max, the
// median CPU time, the median peak RSS and, for every command but the
// first, the medians of the per-round ratios wall(run k)/wall(first
// command's run k) and the same for CPU. Progress goes to stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(1)
	}
}

// cmdFlags collects repeated -cmd name=command flags.
type cmdFlags []command

func (c *cmdFlags) String() string { return fmt.Sprint(*c) }

func (c *cmdFlags) Set(v string) error {
	name, line, ok := strings.Cut(v, "=")
	if !ok || name == "" || line == "" {
		return fmt.Errorf("want name=command, got %q", v)
	}
	*c = append(*c, command{Name: name, Run: line})
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("harness", flag.ContinueOnError)
	fl.SetOutput(stderr)
	specPath := fl.String("spec", "", "JSON spec file")
	runs := fl.Int("runs", 0, "counted runs per command (overrides the spec; default 5)")
	warmup := fl.Int("warmup", 0, "uncounted runs per command first (overrides the spec; default 1, -1 for none)")
	only := fl.String("scenario", "", "comma-separated scenarios to run (default all)")
	jsonOut := fl.String("json", "", "also write the results as JSON to this file (- for stdout, instead of the table)")
	dir := fl.String("dir", "", "working directory (overrides the spec)")
	prepare := fl.String("prepare", "", "with -cmd: command to run, untimed, before every run")
	var cmds cmdFlags
	fl.Var(&cmds, "cmd", "name=command to measure; repeat for more (instead of -spec)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fl.Arg(0))
	}
	var s *spec
	switch {
	case *specPath != "" && len(cmds) > 0:
		return fmt.Errorf("use -spec or -cmd, not both")
	case *specPath != "":
		var err error
		if s, err = readSpec(*specPath); err != nil {
			return err
		}
	case len(cmds) > 0:
		s = &spec{Scenarios: []scenario{{Name: "adhoc", Prepare: *prepare, Commands: cmds}}}
		if err := s.check(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("nothing to run: give -spec FILE or -cmd name=command")
	}
	if *runs != 0 {
		if *runs < 1 {
			return fmt.Errorf("-runs must be at least 1")
		}
		s.Runs = *runs
	}
	if *warmup != 0 {
		s.Warmup = max(0, *warmup)
	}
	if *dir != "" {
		s.Dir = *dir
	}
	if *only != "" {
		want := strings.Split(*only, ",")
		var kept []scenario
		for _, sc := range s.Scenarios {
			if slices.Contains(want, sc.Name) {
				kept = append(kept, sc)
			}
		}
		for _, w := range want {
			if !slices.ContainsFunc(kept, func(sc scenario) bool { return sc.Name == w }) {
				return fmt.Errorf("-scenario: no scenario %q", w)
			}
		}
		s.Scenarios = kept
	}

	env := os.Environ()
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		env = append(env, k+"="+os.ExpandEnv(s.Env[k]))
	}
	r := &runner{dir: s.Dir, env: env, timeout: s.timeout(), log: stderr}
	start := time.Now()
	var results []*result
	for _, sc := range s.Scenarios {
		res, err := r.runScenario(ctx, sc, s.Runs, s.Warmup)
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	if *jsonOut == "-" {
		return writeJSON(stdout, s, results, start)
	}
	if *jsonOut != "" {
		f, err := os.Create(*jsonOut)
		if err != nil {
			return err
		}
		if err := writeJSON(f, s, results, start); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return printTable(stdout, results)
}
