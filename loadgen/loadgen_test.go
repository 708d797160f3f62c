package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/protoctl/protoctl/internal/pyserver"
)

func TestQuantiles(t *testing.T) {
	t.Parallel()
	var lat []time.Duration
	for i := 1000; i >= 1; i-- { // unsorted on purpose
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	q := newQuantiles(lat)
	tests := []struct {
		p    float64
		want float64
	}{{0.5, 500}, {0.9, 900}, {0.99, 990}, {0.999, 999}, {1, 1000}, {0, 1}}
	for _, tt := range tests {
		if got := q.ms(tt.p); got != tt.want {
			t.Errorf("ms(%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if got := newQuantiles(nil).ms(0.5); got != 0 {
		t.Errorf("ms of no samples = %v, want 0", got)
	}
	if lat[0] != time.Second {
		t.Error("newQuantiles sorted its input in place")
	}
}

func TestSpread(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pids map[int32]int64
		want []float64
		text string
	}{
		{nil, nil, "-"},
		{map[int32]int64{7: 10}, []float64{100}, "100"},
		{map[int32]int64{7: 29, 8: 71}, []float64{71, 29}, "71/29"},
		{map[int32]int64{1: 1, 2: 1, 3: 1}, []float64{33.3, 33.3, 33.3}, "33/33/33"},
	}
	for _, tt := range tests {
		got := spread(tt.pids)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("spread(%v) (-want +got):\n%s", tt.pids, diff)
		}
		if s := spreadText(got); s != tt.text {
			t.Errorf("spreadText(%v) = %q, want %q", got, s, tt.text)
		}
	}
}

func TestChecks(t *testing.T) {
	t.Parallel()
	r := func(st Strategy, procs, c int, qps, p50, p99, cpu float64) *Result {
		return &Result{Strategy: st, ServerProcesses: procs, ServerMode: "sync", Concurrency: c, QPS: qps, P50: p50, P99: p99, ClientCPU: cpu}
	}
	results := []*Result{
		r(PerCall, 2, 1, 1300, 0.7, 3, 450), r(Single, 2, 1, 4900, 0.17, 1, 90), r(Pool, 2, 1, 4800, 0.18, 1, 95),
		r(PerCall, 2, 16, 3000, 4.5, 17, 220), r(Single, 2, 16, 10000, 1.2, 5, 40), r(Pool, 2, 16, 12900, 1.0, 4.5, 45),
	}
	type row struct {
		Name string
		Met  bool
	}
	var got []row
	for _, c := range Checks(results) {
		got = append(got, row{c.Name, c.Met})
	}
	want := []row{
		{"pool/per-call qps, 2×sync c=16", true},              // 4.3x
		{"pool/per-call p50, 2×sync c=1", true},               // 0.26x
		{"pool/single qps, 2×sync c=16", true},                // 1.29x
		{"pool qps, 2×sync c=16", true},                       // 12900
		{"pool p99, 2×sync c=16", true},                       // 4.5 ms
		{"pool/single client cpu per rpc, 2×sync c=16", true}, // 1.125x
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	// A slow pool misses every target.
	results[5] = r(Pool, 2, 16, 9000, 1.0, 9, 60)
	results[2] = r(Pool, 2, 1, 4800, 0.5, 1, 95)
	for _, c := range Checks(results) {
		if c.Met {
			t.Errorf("%s met with a slow pool (%s)", c.Name, c.Measured)
		}
	}
	if Checks(nil) != nil {
		t.Error("Checks(nil) is not empty")
	}
}

// TestTLSCheck compares the pool over mTLS+JWT with the plaintext pool of
// the same server configuration and concurrency, and nothing else.
func TestTLSCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tlsQPS float64
		met    bool
	}{
		{tlsQPS: 9000, met: true},  // 0.90x
		{tlsQPS: 8500, met: true},  // 0.85x
		{tlsQPS: 8400, met: false}, // 0.84x
	}
	for _, tt := range tests {
		results := []*Result{
			{Strategy: Pool, Security: Plaintext, ServerProcesses: 2, ServerMode: "sync", Concurrency: 16, QPS: 10000},
			{Strategy: Pool, Security: "mtls+jwt", ServerProcesses: 2, ServerMode: "sync", Concurrency: 16, QPS: tt.tlsQPS},
			{Strategy: PerCall, Security: "mtls+jwt", ServerProcesses: 2, ServerMode: "sync", Concurrency: 16, QPS: 900},
		}
		var found []Check
		for _, c := range Checks(results) {
			if strings.Contains(c.Name, "mtls+jwt") {
				found = append(found, c)
			}
		}
		if len(found) != 1 {
			t.Fatalf("tls qps %v: %d mtls+jwt checks, want 1: %+v", tt.tlsQPS, len(found), found)
		}
		if c := found[0]; c.Met != tt.met || c.Name != "pool mtls+jwt/plaintext qps, 2×sync c=16" {
			t.Errorf("tls qps %v: check %q met=%v (%s), want met=%v", tt.tlsQPS, c.Name, c.Met, c.Measured, tt.met)
		}
	}
}

func TestPrintJSONShape(t *testing.T) {
	t.Parallel()
	results := []*Result{{Strategy: Pool, ServerProcesses: 2, ServerMode: "aio", Concurrency: 16, QPS: 10000, P50: 1, P90: 2, P99: 3, P999: 4, Errors: 1, Calls: 50000, Curve: []float64{1}}}
	var b bytes.Buffer
	if err := PrintJSON(&b, results, Checks(results)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs   []map[string]any `json:"runs"`
		Checks []map[string]any `json:"checks"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Runs) != 1 {
		t.Fatalf("%d runs, want 1:\n%s", len(doc.Runs), b.String())
	}
	run := doc.Runs[0]
	for _, k := range []string{"strategy", "server_processes", "server_mode", "concurrency", "qps", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "errors"} {
		if _, ok := run[k]; !ok {
			t.Errorf("run has no %q: %v", k, run)
		}
	}
	want := map[string]any{"strategy": "pool", "server_processes": 2.0, "server_mode": "aio", "concurrency": 16.0, "qps": 10000.0, "p999_ms": 4.0, "errors": 1.0}
	for k, v := range want {
		if run[k] != v {
			t.Errorf("run[%q] = %v, want %v", k, run[k], v)
		}
	}
	if doc.Checks == nil {
		t.Error(`no "checks" array`)
	}
}

func TestPlot(t *testing.T) {
	t.Parallel()
	var results []*Result
	for i, st := range Strategies {
		r := &Result{Strategy: st, ServerProcesses: 1, ServerMode: "sync", Concurrency: 16, QPS: float64(1000 * (i + 1)), P50: 1, P99: 5}
		for j := range CurveQuantiles {
			r.Curve = append(r.Curve, 0.1*float64(i+1)*math.Pow(1.05, float64(j)))
		}
		results = append(results, r)
	}
	var b bytes.Buffer
	if err := Plot(&b, "a <test> & plot", results); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	dec := xml.NewDecoder(&b)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("plot is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			counts[se.Name.Local]++
		}
	}
	if counts["svg"] != 1 || counts["polyline"] != len(results) || counts["rect"] != len(results)+1 {
		t.Errorf("plot has %v, want 1 svg, %d polylines and %d rects", counts, len(results), len(results)+1)
	}
}

func TestParseStrategy(t *testing.T) {
	t.Parallel()
	for _, s := range Strategies {
		if got, err := ParseStrategy(string(s)); err != nil || got != s {
			t.Errorf("ParseStrategy(%q) = %q, %v", s, got, err)
		}
	}
	if _, err := ParseStrategy("naive"); err == nil || !strings.Contains(err.Error(), `"naive"`) {
		t.Errorf("ParseStrategy(naive) = %v, want an error naming it", err)
	}
}

// TestRunAgainstServer makes short paired runs of every strategy against
// the Python reference server: calls succeed, and per-call opens exactly
// one connection per call while the shared strategies open none while
// measuring.
func TestRunAgainstServer(t *testing.T) {
	t.Parallel()
	root, _ := filepath.Abs("..")
	py, err := pyserver.TestPython(root)
	if err != nil {
		t.Skipf("no python for the reference server: %v", err)
	}
	s, err := pyserver.Start(context.Background(), pyserver.Config{Python: py, Root: root, Workers: 1, Mode: "sync", Args: []string{"--log-level", "warning"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	var specs []Spec
	for _, st := range Strategies {
		specs = append(specs, Spec{Target: s.Addr, Strategy: st, Concurrency: 2, Duration: 1500 * time.Millisecond, Warmup: 100 * time.Millisecond, ServerProcesses: 1, ServerMode: "sync", ServerCPU: s.CPU})
	}
	results, err := RunPaired(context.Background(), specs, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		st := Strategies[i]
		if r.Strategy != st || r.Seconds < 1.4 || r.Seconds > 3 {
			t.Errorf("result %d: strategy %s measured for %.2fs, want %s for about 1.5s in 3 slices", i, r.Strategy, r.Seconds, st)
		}
		t.Logf("%s: %.0f qps p50 %.3f ms, %d calls, %d conns, client %.0f µs/rpc, server %.0f µs/rpc", st, r.QPS, r.P50, r.Calls, r.Conns, r.ClientCPU, r.ServerCPU)
		if r.Errors != 0 || r.Calls < 10 {
			t.Errorf("%s: %d calls, %d errors (first: %s), want at least 10 calls and no error", st, r.Calls, r.Errors, r.FirstError)
		}
		if r.QPS <= 0 || r.P50 <= 0 || r.P999 < r.P50 || len(r.Curve) != len(CurveQuantiles) || !slices.IsSorted(r.Curve) {
			t.Errorf("%s: implausible result %+v", st, r)
		}
		if diff := cmp.Diff([]float64{100}, r.Spread); diff != "" {
			t.Errorf("%s: spread over one server process (-want +got):\n%s", st, diff)
		}
		if r.ClientCPU <= 0 {
			t.Errorf("%s: client cpu per rpc %v, want more than 0", st, r.ClientCPU)
		}
		wantConns := int64(0)
		if st == PerCall {
			wantConns = r.Calls + r.Errors
		}
		if r.Conns != wantConns {
			t.Errorf("%s: opened %d connections for %d calls, want %d", st, r.Conns, r.Calls, wantConns)
		}
	}
}
