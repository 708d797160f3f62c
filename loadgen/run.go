// Package loadgen is the load generator of `protoctl bench`: it drives a
// gRPC server with small unary calls from a closed loop of workers and
// measures throughput, latency percentiles, errors and the client's CPU
// per call.
//
// A Spec is one run: a connection Strategy (a new connection per call, one
// shared grpc-go ClientConn, or the client package's pool), a concurrency
// (workers, each with one call in flight) and a duration after a warm-up.
// Runs are compared side by side (RunPaired measures them in alternating
// slices, so that the load of other processes falls on each alike), and
// every run of one bench uses the same
// call: BehaviorService.Unary echoing a 31-byte payload, the size the
// reference measurements used. Run returns a Result; Results print as a
// table, as JSON and as an SVG plot, and Checks compares them with the
// targets of the reference pair.
package loadgen

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
)

// PayloadSize is the size of the echoed payload.
const PayloadSize = 31

// CallTimeout is the deadline of each call.
const CallTimeout = 5 * time.Second

// Spec describes one run.
type Spec struct {
	// Target is the server's address, "host:port".
	Target string
	// Strategy is how calls get a connection.
	Strategy Strategy
	// Concurrency is the number of workers, each with one call in flight.
	Concurrency int
	// Duration is how long calls are measured.
	Duration time.Duration
	// Warmup runs calls before the measurement (connections, caches).
	Warmup time.Duration
	// PoolSize is the pool's number of connections (0: the client
	// package's default).
	PoolSize int
	// ServerProcesses and ServerMode label the result (0 and "" for a
	// server the bench did not start).
	ServerProcesses int
	ServerMode      string
	// ServerCPU, when set, reads the server's CPU time so far; the result
	// then has the server's CPU per call.
	ServerCPU func() (time.Duration, error)
	// Security, when set, is how the calls reach a TLS server with
	// tokens; nil is plaintext.
	Security *Security
}

// Result is the outcome of one run. The JSON names are the bench's
// documented output.
type Result struct {
	Strategy        Strategy `json:"strategy"`
	ServerProcesses int      `json:"server_processes"`
	ServerMode      string   `json:"server_mode"`
	// Security is "plaintext" or the Security's name ("mtls+jwt").
	Security    string  `json:"security"`
	Concurrency int     `json:"concurrency"`
	QPS         float64 `json:"qps"`
	P50         float64 `json:"p50_ms"`
	P90         float64 `json:"p90_ms"`
	P99         float64 `json:"p99_ms"`
	P999        float64 `json:"p999_ms"`
	Errors      int64   `json:"errors"`
	// Calls counts the successful calls measured.
	Calls int64 `json:"calls"`
	// Seconds is the measured wall time.
	Seconds float64 `json:"seconds"`
	// ClientCPU is the bench process's CPU (user+system) per call, in µs.
	ClientCPU float64 `json:"client_cpu_us_per_rpc"`
	// ServerCPU is the server's CPU per call in µs (0: not measured).
	ServerCPU float64 `json:"server_cpu_us_per_rpc,omitempty"`
	// Conns counts the connections the strategy opened while measuring.
	Conns int64 `json:"conns_opened"`
	// Spread is the share of the calls each server process answered, in
	// percent, largest first: how evenly the connections landed on the
	// processes sharing the port.
	Spread []float64 `json:"server_process_spread_pct,omitempty"`
	// FirstError is the first error seen, if any.
	FirstError string `json:"first_error,omitempty"`
	// Curve is the latency in ms at each of CurveQuantiles, for the plot.
	Curve []float64 `json:"-"`
}

// Run performs one run. It fails only when the strategy cannot be set up;
// failed calls are counted in Errors.
func Run(ctx context.Context, spec Spec) (*Result, error) {
	rs, err := RunPaired(ctx, []Spec{spec}, 1)
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// RunPaired performs several runs side by side: every spec's connections
// are opened and warmed up, then each spec's Duration is cut into rounds
// slices measured in turn (A B C A B C ...), so that a change in the
// machine's load while they run (other processes, frequency scaling)
// falls on every spec alike. With rounds 1 the runs are simply back to
// back. The results are in spec order.
func RunPaired(ctx context.Context, specs []Spec, rounds int) ([]*Result, error) {
	rounds = max(rounds, 1)
	for _, spec := range specs {
		if spec.Concurrency < 1 {
			return nil, fmt.Errorf("concurrency %d: want at least 1", spec.Concurrency)
		}
		if spec.Duration <= 0 {
			return nil, fmt.Errorf("duration %v: want more than 0", spec.Duration)
		}
	}
	req := &testingv1.BehaviorRequest{Payload: make([]byte, PayloadSize)}
	for i := range req.Payload {
		req.Payload[i] = 'a' + byte(i%26)
	}
	callers := make([]caller, len(specs))
	defer func() {
		for _, c := range callers {
			if c != nil {
				c.close()
			}
		}
	}()
	for i, spec := range specs {
		c, err := spec.Strategy.open(spec.Target, spec.PoolSize, spec.Security)
		if err != nil {
			return nil, err
		}
		callers[i] = c
		if spec.Warmup > 0 {
			if _, err := loop(ctx, c, req, spec.Concurrency, spec.Warmup); err != nil {
				return nil, err
			}
		}
	}
	totals := make([]total, len(specs))
	for range rounds {
		for i, spec := range specs {
			if err := totals[i].slice(ctx, spec, callers[i], req, spec.Duration/time.Duration(rounds)); err != nil {
				return nil, err
			}
		}
	}
	out := make([]*Result, len(specs))
	for i, spec := range specs {
		out[i] = totals[i].result(spec)
	}
	return out, nil
}

// total adds up the slices of one run.
type total struct {
	m         measurement
	clientCPU time.Duration
	serverCPU time.Duration
	dials     int64
}

// slice measures one slice of a run and adds it to the total.
func (t *total) slice(ctx context.Context, spec Spec, c caller, req *testingv1.BehaviorRequest, d time.Duration) error {
	dials := c.dials()
	cpu, err := processCPU()
	if err != nil {
		return err
	}
	var server time.Duration
	if spec.ServerCPU != nil {
		if server, err = spec.ServerCPU(); err != nil {
			return err
		}
	}
	m, err := loop(ctx, c, req, spec.Concurrency, d)
	if err != nil {
		return err
	}
	cpuAfter, err := processCPU()
	if err != nil {
		return err
	}
	if spec.ServerCPU != nil {
		serverAfter, err := spec.ServerCPU()
		if err != nil {
			return err
		}
		t.serverCPU += serverAfter - server
	}
	t.clientCPU += cpuAfter - cpu
	t.dials += c.dials() - dials
	t.m.latencies = append(t.m.latencies, m.latencies...)
	if t.m.pids == nil {
		t.m.pids = map[int32]int64{}
	}
	for pid, n := range m.pids {
		t.m.pids[pid] += n
	}
	t.m.errors += m.errors
	t.m.elapsed += m.elapsed
	if t.m.firstError == "" {
		t.m.firstError = m.firstError
	}
	return nil
}

func (t *total) result(spec Spec) *Result {
	m := &t.m
	res := &Result{
		Strategy: spec.Strategy, ServerProcesses: spec.ServerProcesses, ServerMode: spec.ServerMode, Security: spec.Security.name(),
		Concurrency: spec.Concurrency, Errors: m.errors, Calls: int64(len(m.latencies)),
		Seconds: m.elapsed.Seconds(), Conns: t.dials, FirstError: m.firstError,
		Spread: spread(m.pids),
	}
	if res.Calls > 0 {
		res.QPS = float64(res.Calls) / m.elapsed.Seconds()
		res.ClientCPU = float64(t.clientCPU.Microseconds()) / float64(res.Calls)
		if spec.ServerCPU != nil {
			res.ServerCPU = float64(t.serverCPU.Microseconds()) / float64(res.Calls)
		}
	}
	q := newQuantiles(m.latencies)
	res.P50, res.P90, res.P99, res.P999 = q.ms(0.5), q.ms(0.9), q.ms(0.99), q.ms(0.999)
	for _, p := range CurveQuantiles {
		res.Curve = append(res.Curve, q.ms(p))
	}
	return res
}

// measurement is what one loop saw.
type measurement struct {
	latencies  []time.Duration
	pids       map[int32]int64
	errors     int64
	firstError string
	elapsed    time.Duration
}

// loop runs n workers calling back to back for d and merges what they saw.
func loop(ctx context.Context, c caller, req *testingv1.BehaviorRequest, n int, d time.Duration) (*measurement, error) {
	var stop atomic.Bool
	var wg sync.WaitGroup
	type worker struct {
		lat      []time.Duration
		pids     map[int32]int64
		errs     int64
		firstErr error
	}
	workers := make([]worker, n)
	start := time.Now()
	for i := range workers {
		w := &workers[i]
		w.lat = make([]time.Duration, 0, 4096)
		w.pids = map[int32]int64{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() && ctx.Err() == nil {
				cctx, cancel := context.WithTimeout(ctx, CallTimeout)
				t0 := time.Now()
				pid, err := c.call(cctx, req)
				lat := time.Since(t0)
				cancel()
				if err != nil {
					w.errs++
					if w.firstErr == nil {
						w.firstErr = err
					}
					continue
				}
				w.lat = append(w.lat, lat)
				w.pids[pid]++
			}
		}()
	}
	timer := time.NewTimer(d)
	select {
	case <-timer.C:
	case <-ctx.Done():
		timer.Stop()
	}
	stop.Store(true)
	wg.Wait()
	m := &measurement{elapsed: time.Since(start)}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	total := 0
	for _, w := range workers {
		total += len(w.lat)
	}
	m.latencies = make([]time.Duration, 0, total)
	var first error
	m.pids = map[int32]int64{}
	for _, w := range workers {
		for pid, n := range w.pids {
			m.pids[pid] += n
		}
		m.latencies = append(m.latencies, w.lat...)
		m.errors += w.errs
		if first == nil {
			first = w.firstErr
		}
	}
	if first != nil {
		m.firstError = first.Error()
	}
	return m, nil
}

// spread turns calls per server pid into percentages, largest first.
func spread(pids map[int32]int64) []float64 {
	var total int64
	var out []float64
	for _, n := range pids {
		total += n
	}
	if total == 0 {
		return nil
	}
	for _, n := range pids {
		out = append(out, math.Round(1000*float64(n)/float64(total))/10)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}
