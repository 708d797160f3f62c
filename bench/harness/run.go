package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// runner executes spec commands with sh -c in their own process group.
type runner struct {
	dir     string
	env     []string
	timeout time.Duration
	log     io.Writer // progress lines; never the measured output
}

// tail keeps the last bytes written to it, for error messages.
type tail struct{ buf []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2048 {
		t.buf = t.buf[len(t.buf)-2048:]
	}
	return len(p), nil
}

// exec runs line once and measures it. A non-zero exit is an error that
// carries the end of the command's stderr.
func (r *runner) exec(ctx context.Context, line string) (sample, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", line)
	cmd.Dir = r.dir
	cmd.Env = r.env
	cmd.Stdout = io.Discard
	errTail := &tail{}
	cmd.Stderr = errTail
	// A process group of its own, so a timeout or ^C ends the whole tree.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		msg := strings.TrimSpace(string(errTail.buf))
		if ctx.Err() == context.DeadlineExceeded {
			return sample{}, fmt.Errorf("%q: timed out after %s", line, r.timeout)
		}
		if msg != "" {
			return sample{}, fmt.Errorf("%q: %v: %s", line, err, msg)
		}
		return sample{}, fmt.Errorf("%q: %v", line, err)
	}
	st := cmd.ProcessState
	s := sample{Wall: wall, User: st.UserTime(), Sys: st.SystemTime()}
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		s.MaxRSS = int64(ru.Maxrss) * 1024 // kilobytes on Linux
	}
	return s, nil
}

// result is what one scenario produced: samples[i][k] is command i's k-th
// counted run.
type result struct {
	scenario              scenario
	samples               [][]sample
	loadBefore, loadAfter string // /proc/loadavg around the scenario
}

// runScenario runs each command's warm-ups, then the counted rounds, A B A
// B ..., with the prepare steps before every run.
func (r *runner) runScenario(ctx context.Context, sc scenario, runs, warmup int) (*result, error) {
	res := &result{scenario: sc, samples: make([][]sample, len(sc.Commands)), loadBefore: loadAvg()}
	for w := range warmup + runs {
		for i, c := range sc.Commands {
			s, err := r.measure(ctx, sc, c)
			if err != nil {
				return nil, err
			}
			what := "warm-up"
			if w >= warmup {
				what = fmt.Sprintf("run %d", w-warmup+1)
				res.samples[i] = append(res.samples[i], s)
			}
			fmt.Fprintf(r.log, "%s/%s %s: wall %s, cpu %s, peak rss %s\n", sc.Name, c.Name, what, seconds(s.Wall), seconds(s.CPU()), gib(s.MaxRSS))
		}
	}
	res.loadAfter = loadAvg()
	return res, nil
}

// measure runs the prepare steps (untimed), then the command (timed).
func (r *runner) measure(ctx context.Context, sc scenario, c command) (sample, error) {
	for _, p := range []string{sc.Prepare, c.Prepare} {
		if p == "" {
			continue
		}
		if _, err := r.exec(ctx, p); err != nil {
			return sample{}, fmt.Errorf("scenario %s, %s, prepare: %w", sc.Name, c.Name, err)
		}
	}
	s, err := r.exec(ctx, c.Run)
	if err != nil {
		return sample{}, fmt.Errorf("scenario %s, %s: %w", sc.Name, c.Name, err)
	}
	return s, nil
}

// loadAvg is the first three fields of /proc/loadavg, or "" where there is
// none.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
