package loadgen

import (
	"fmt"
	"slices"
)

// Check is one target of the reference pair compared with a run's results.
type Check struct {
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Measured string  `json:"measured"`
	Want     string  `json:"want"`
	Met      bool    `json:"met"`
}

// The targets of the reference pair (issue #5), for 31-byte unary calls
// with client and server on one 2-core machine.
const (
	TargetPoolVsPerCallQPS = 3.5   // pool QPS / per-call QPS at c=16, at least
	TargetPoolVsPerCallP50 = 0.3   // pool p50 / per-call p50 at c=1, at most
	TargetPoolVsSingleQPS  = 1.2   // pool QPS / single QPS, 2-process server, at least
	TargetPoolQPS2Procs    = 11000 // pool QPS with 2 server processes, at least
	TargetPoolP99Ms        = 6.0   // pool p99 in ms with 2 server processes, at most
	TargetClientCPU        = 1.2   // pool client CPU per call / single's, at most
	// TargetTLSQPS is the share of the plaintext pool's QPS the pool keeps
	// over mTLS with a JWT on every call (issue #7), at least.
	TargetTLSQPS = 0.85
)

// server identifies the server a run measured.
type server struct {
	procs int
	mode  string
}

func (s server) String() string {
	if s.procs == 0 && s.mode == "" {
		return "target"
	}
	return fmt.Sprintf("%s×%s", procs(s.procs), dash(s.mode))
}

// Checks compares the results with the targets wherever the runs needed
// for a comparison are there. "c=16" comparisons use the highest
// concurrency of the runs when 16 is not among them; "c=1" the lowest.
func Checks(results []*Result) []Check {
	var servers []server
	conc := map[int]bool{}
	find := map[[4]any]*Result{}
	var secure []string
	for _, r := range results {
		s := server{r.ServerProcesses, r.ServerMode}
		if !slices.Contains(servers, s) {
			servers = append(servers, s)
		}
		conc[r.Concurrency] = true
		sec := r.Security
		if sec == "" {
			sec = Plaintext
		}
		find[[4]any{s, sec, r.Strategy, r.Concurrency}] = r
		if sec != Plaintext && !slices.Contains(secure, sec) {
			secure = append(secure, sec)
		}
	}
	if len(results) == 0 {
		return nil
	}
	var cs []int
	for c := range conc {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	high, low := cs[len(cs)-1], cs[0]
	if conc[16] {
		high = 16
	}
	get := func(s server, st Strategy, c int) *Result { return find[[4]any{s, Plaintext, st, c}] }
	var out []Check
	for _, s := range servers {
		if pool, per := get(s, Pool, high), get(s, PerCall, high); pool != nil && per != nil && per.QPS > 0 {
			v := pool.QPS / per.QPS
			out = append(out, Check{Name: fmt.Sprintf("pool/per-call qps, %v c=%d", s, high), Value: v,
				Measured: fmt.Sprintf("%.2fx (%.0f vs %.0f)", v, pool.QPS, per.QPS), Want: fmt.Sprintf(">= %.1fx", TargetPoolVsPerCallQPS), Met: v >= TargetPoolVsPerCallQPS})
		}
		if pool, per := get(s, Pool, low), get(s, PerCall, low); pool != nil && per != nil && per.P50 > 0 && low < high {
			v := pool.P50 / per.P50
			out = append(out, Check{Name: fmt.Sprintf("pool/per-call p50, %v c=%d", s, low), Value: v,
				Measured: fmt.Sprintf("%.2fx (%.3f vs %.3f ms)", v, pool.P50, per.P50), Want: fmt.Sprintf("<= %.1fx", TargetPoolVsPerCallP50), Met: v <= TargetPoolVsPerCallP50})
		}
		if s.procs >= 2 {
			if pool, single := get(s, Pool, high), get(s, Single, high); pool != nil && single != nil && single.QPS > 0 {
				v := pool.QPS / single.QPS
				out = append(out, Check{Name: fmt.Sprintf("pool/single qps, %v c=%d", s, high), Value: v,
					Measured: fmt.Sprintf("%.2fx (%.0f vs %.0f)", v, pool.QPS, single.QPS), Want: fmt.Sprintf(">= %.1fx", TargetPoolVsSingleQPS), Met: v >= TargetPoolVsSingleQPS})
			}
			if pool := get(s, Pool, high); pool != nil && s.procs == 2 {
				out = append(out, Check{Name: fmt.Sprintf("pool qps, %v c=%d", s, high), Value: pool.QPS,
					Measured: fmt.Sprintf("%.0f", pool.QPS), Want: fmt.Sprintf(">= %d", TargetPoolQPS2Procs), Met: pool.QPS >= TargetPoolQPS2Procs})
				out = append(out, Check{Name: fmt.Sprintf("pool p99, %v c=%d", s, high), Value: pool.P99,
					Measured: fmt.Sprintf("%.2f ms", pool.P99), Want: fmt.Sprintf("<= %.0f ms", TargetPoolP99Ms), Met: pool.P99 <= TargetPoolP99Ms})
			}
		}
		if pool, single := get(s, Pool, high), get(s, Single, high); pool != nil && single != nil && single.ClientCPU > 0 {
			v := pool.ClientCPU / single.ClientCPU
			out = append(out, Check{Name: fmt.Sprintf("pool/single client cpu per rpc, %v c=%d", s, high), Value: v,
				Measured: fmt.Sprintf("%.2fx (%.1f vs %.1f µs)", v, pool.ClientCPU, single.ClientCPU), Want: fmt.Sprintf("<= %.1fx", TargetClientCPU), Met: v <= TargetClientCPU})
		}
		for _, sec := range secure {
			plain, tls := get(s, Pool, high), find[[4]any{s, sec, Pool, high}]
			if plain == nil || tls == nil || plain.QPS <= 0 {
				continue
			}
			v := tls.QPS / plain.QPS
			out = append(out, Check{Name: fmt.Sprintf("pool %s/plaintext qps, %v c=%d", sec, s, high), Value: v,
				Measured: fmt.Sprintf("%.2fx (%.0f vs %.0f)", v, tls.QPS, plain.QPS), Want: fmt.Sprintf(">= %.2fx", TargetTLSQPS), Met: v >= TargetTLSQPS})
		}
	}
	return out
}
