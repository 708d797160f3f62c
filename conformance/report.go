package conformance

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"google.golang.org/protobuf/encoding/protojson"

	pb "github.com/protoctl/protoctl/gen/conformance"
)

// Row is one line of the summary: the counts of a suite's category, or of a
// whole suite when Category is empty.
type Row struct {
	Suite    string `json:"suite"`
	Category string `json:"category,omitempty"`
	Passed   int    `json:"passed"`
	Failed   int    `json:"failed"`
	Expected int    `json:"expected"`
	Total    int    `json:"total"`
}

func (r *Row) add(s Status) {
	switch s {
	case StatusPassed:
		r.Passed++
	case StatusFailed:
		r.Failed++
	case StatusExpected:
		r.Expected++
	}
	r.Total++
}

// Summary counts the results per suite and category (sorted), and per
// suite (the rows with an empty Category).
func (rep *Report) Summary() (categories, suites []Row) {
	cat := map[[2]string]*Row{}
	sui := map[string]*Row{}
	for _, r := range rep.Results {
		k := [2]string{r.Suite, r.Group}
		if cat[k] == nil {
			cat[k] = &Row{Suite: r.Suite, Category: r.Group}
		}
		if sui[r.Suite] == nil {
			sui[r.Suite] = &Row{Suite: r.Suite}
		}
		cat[k].add(r.Status)
		sui[r.Suite].add(r.Status)
	}
	if d := rep.Drift; d != nil {
		row := &Row{Suite: "drift", Category: "descriptors", Failed: len(d.Findings), Passed: max(0, d.Checked-len(d.Findings))}
		row.Total = row.Passed + row.Failed
		cat[[2]string{row.Suite, row.Category}] = row
		sui[row.Suite] = &Row{Suite: row.Suite, Passed: row.Passed, Failed: row.Failed, Total: row.Total}
	}
	for _, r := range cat {
		categories = append(categories, *r)
	}
	for _, r := range sui {
		suites = append(suites, *r)
	}
	sort.Slice(categories, func(i, j int) bool {
		a, b := categories[i], categories[j]
		return a.Suite < b.Suite || a.Suite == b.Suite && a.Category < b.Category
	})
	sort.Slice(suites, func(i, j int) bool { return suites[i].Suite < suites[j].Suite })
	return categories, suites
}

// Failed counts the failed results and drift findings.
func (rep *Report) Failed() int {
	n := 0
	if rep.Drift != nil {
		n += len(rep.Drift.Findings)
	}
	for _, r := range rep.Results {
		if r.Status == StatusFailed {
			n++
		}
	}
	return n
}

// CasesPerSecond is the throughput of the run: requests judged per second,
// each sent to both runtimes.
func (rep *Report) CasesPerSecond() float64 {
	if rep.Duration <= 0 {
		return 0
	}
	return float64(len(rep.Results)) / rep.Duration.Seconds()
}

// Header describes what ran, for the top of a report.
type Header struct {
	// Go and Python are the testee commands.
	Go     string `json:"go"`
	Python string `json:"python"`
	// Runtimes are the versions each testee reports: runtime -> package
	// -> version (e.g. go -> google.golang.org/protobuf -> v1.36.12,
	// python -> backend -> upb).
	Runtimes map[string]map[string]string `json:"runtimes"`
	// Generators are the code generators pinned in protoctl.lock, by name.
	Generators map[string]string `json:"generators"`
}

// Lines are the header's version lines: one per runtime, one for the
// generators.
func (h Header) Lines() []string {
	var out []string
	for _, rt := range sortedKeys(h.Runtimes) {
		var parts []string
		for _, pkg := range sortedKeys(h.Runtimes[rt]) {
			parts = append(parts, pkg+" "+h.Runtimes[rt][pkg])
		}
		out = append(out, fmt.Sprintf("%s runtime: %s", rt, strings.Join(parts, ", ")))
	}
	if len(h.Generators) > 0 {
		var parts []string
		for _, g := range sortedKeys(h.Generators) {
			parts = append(parts, g+" "+h.Generators[g])
		}
		out = append(out, "generators (protoctl.lock): "+strings.Join(parts, ", "))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TextOptions tune the text report.
type TextOptions struct {
	// Verbose also lists the expected divergences and the inactive
	// expectations.
	Verbose bool
}

// PrintText writes the failures (each with its input, both outputs and a
// command that reproduces it) and the summary table.
func (rep *Report) PrintText(w io.Writer, h Header, repro func(id string) string, opts ...TextOptions) error {
	var o TextOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	fmt.Fprintf(w, "go testee:     %s\npython testee: %s\n", h.Go, h.Python)
	for _, l := range h.Lines() {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w)
	if rep.Drift != nil && len(rep.Drift.Findings) > 0 {
		fmt.Fprintln(w, "DRIFT the go and python code were generated from different contracts (regenerate both: protoctl gen):")
		for _, f := range rep.Drift.Findings {
			fmt.Fprintf(w, "  %s: %s\n", f.Element, f.Message)
		}
		fmt.Fprintln(w)
	}
	for _, r := range rep.Results {
		if r.Status != StatusFailed {
			continue
		}
		fmt.Fprintf(w, "FAIL %s/%s (%s)\n", r.Suite, r.ID, r.Request.GetMessageType())
		for _, p := range r.Problems {
			if p.Expected == nil {
				fmt.Fprintf(w, "  %s: %s\n", p.Runtime, indent(p.Message, "    "))
			}
		}
		in := inputOf(r)
		fmt.Fprintf(w, "  input hex:  %s\n  input json: %s\n", in.Hex, in.JSON)
		fmt.Fprintf(w, "  go:     %s\n  python: %s\n", replyText(r.Go), replyText(r.Python))
		if r.Origin != "" && (r.Return.Response != nil || r.Return.Failure != "") {
			fmt.Fprintf(w, "  back in %s (the round trip's last leg): %s\n", r.Origin, replyText(r.Return))
		}
		if repro != nil {
			fmt.Fprintf(w, "  reproduce: %s\n", repro(r.ID))
		}
		fmt.Fprintln(w)
	}
	if o.Verbose {
		for _, r := range rep.Results {
			if r.Status != StatusExpected {
				continue
			}
			fmt.Fprintf(w, "EXPECTED %s/%s\n", r.Suite, r.ID)
			for _, p := range r.Problems {
				if p.Expected != nil {
					fmt.Fprintf(w, "  %s: %s\n    reason: %s\n    source: %s\n", p.Runtime, indent(firstLine([]string{p.Message}), "    "), p.Expected.Reason, p.Expected.Source)
				}
			}
		}
		for _, x := range rep.Inactive {
			fmt.Fprintf(w, "INACTIVE expectation %s (%s): %s\n", x.Case, x.Runtime, x.Why)
		}
		fmt.Fprintln(w)
	} else if len(rep.Inactive) > 0 {
		fmt.Fprintf(w, "%d expectations are inactive for these versions (--verbose lists them)\n\n", len(rep.Inactive))
	}
	cats, suites := rep.Summary()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "suite\tcategory\tpassed\tfailed\texpected\ttotal\t")
	for _, r := range cats {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t\n", r.Suite, r.Category, r.Passed, r.Failed, r.Expected, r.Total)
	}
	for _, r := range suites {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t\n", r.Suite, "(all)", r.Passed, r.Failed, r.Expected, r.Total)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "\n%d requests in %v (%.0f cross-runtime comparisons/s), testee restarts: go %d, python %d\n",
		len(rep.Results), rep.Duration.Round(1e6), rep.CasesPerSecond(), rep.Restarts[RuntimeGo], rep.Restarts[RuntimePython]); err != nil {
		return err
	}
	if m := rep.PeakRSS; len(m) > 0 {
		_, err := fmt.Fprintf(w, "peak memory (RSS): driver %s, go testee %s, python testee %s\n", mib(m[PeakDriver]), mib(m[RuntimeGo]), mib(m[RuntimePython]))
		return err
	}
	return nil
}

// PeakDriver is the PeakRSS key of the driver process.
const PeakDriver = "driver"

func mib(n int64) string {
	if n <= 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// jsonReport is the --format json document.
type jsonReport struct {
	Header         Header         `json:"header"`
	Suites         []Row          `json:"suites"`
	Categories     []Row          `json:"categories"`
	Failures       []jsonFailure  `json:"failures"`
	Expected       []jsonFailure  `json:"expected"`
	DurationMillis int64          `json:"duration_ms"`
	CasesPerSecond float64        `json:"cases_per_second"`
	Restarts       map[string]int `json:"restarts"`
	Drift          []DriftFinding `json:"drift"`
	// Inactive are the expectations whose version ranges exclude the
	// running versions.
	Inactive []Expectation `json:"inactive_expectations"`
	// PeakRSS is in bytes, by process: driver, go, python.
	PeakRSS map[string]int64 `json:"peak_rss_bytes,omitempty"`
}

type jsonFailure struct {
	Suite     string        `json:"suite"`
	ID        string        `json:"id"`
	Type      string        `json:"type"`
	Problems  []jsonProblem `json:"problems"`
	Input     input         `json:"input"`
	Go        string        `json:"go"`
	Python    string        `json:"python"`
	Origin    string        `json:"origin,omitempty"`
	Return    string        `json:"return,omitempty"`
	Reproduce string        `json:"reproduce,omitempty"`
}

type jsonProblem struct {
	Runtime  string `json:"runtime"`
	Message  string `json:"message"`
	Expected bool   `json:"expected"`
	Reason   string `json:"reason,omitempty"`
	Source   string `json:"source,omitempty"`
}

type input struct {
	Hex  string `json:"hex,omitempty"`
	JSON string `json:"json,omitempty"`
}

// PrintJSON writes the report as one JSON document.
func (rep *Report) PrintJSON(w io.Writer, h Header, repro func(id string) string) error {
	cats, suites := rep.Summary()
	doc := jsonReport{Header: h, Suites: suites, Categories: cats, Failures: []jsonFailure{}, Expected: []jsonFailure{},
		DurationMillis: rep.Duration.Milliseconds(), CasesPerSecond: rep.CasesPerSecond(), Restarts: rep.Restarts, Drift: []DriftFinding{},
		Inactive: append([]Expectation{}, rep.Inactive...), PeakRSS: rep.PeakRSS}
	if rep.Drift != nil {
		doc.Drift = append(doc.Drift, rep.Drift.Findings...)
	}
	for _, r := range rep.Results {
		if r.Status == StatusPassed {
			continue
		}
		f := jsonFailure{Suite: r.Suite, ID: r.ID, Type: r.Request.GetMessageType(), Input: inputOf(r), Go: replyText(r.Go), Python: replyText(r.Python), Origin: r.Origin}
		if r.Origin != "" && (r.Return.Response != nil || r.Return.Failure != "") {
			f.Return = replyText(r.Return)
		}
		if repro != nil {
			f.Reproduce = repro(r.ID)
		}
		for _, p := range r.Problems {
			jp := jsonProblem{Runtime: p.Runtime, Message: p.Message, Expected: p.Expected != nil}
			if p.Expected != nil {
				jp.Reason, jp.Source = p.Expected.Reason, p.Expected.Source
			}
			f.Problems = append(f.Problems, jp)
		}
		if r.Status == StatusFailed {
			doc.Failures = append(doc.Failures, f)
		} else {
			doc.Expected = append(doc.Expected, f)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func inputOf(r Result) input {
	req := r.Request
	switch p := req.GetPayload().(type) {
	case *pb.ConformanceRequest_ProtobufPayload:
		b, more := shown(p.ProtobufPayload, r.InputSize)
		return input{Hex: hex.EncodeToString(b) + more}
	case *pb.ConformanceRequest_JsonPayload:
		b, more := shown([]byte(p.JsonPayload), r.InputSize)
		return input{Hex: hex.EncodeToString(b) + more, JSON: string(b) + more}
	}
	b, _ := protojson.Marshal(req)
	return input{JSON: string(b)}
}

func replyText(r Reply) string {
	if r.Response == nil {
		return "testee failure: " + r.Failure
	}
	switch x := r.Response.GetResult().(type) {
	case *pb.ConformanceResponse_ProtobufPayload:
		b, more := shown(x.ProtobufPayload, r.Size)
		return "protobuf " + hex.EncodeToString(b) + more
	case *pb.ConformanceResponse_JsonPayload:
		b, more := shown([]byte(x.JsonPayload), r.Size)
		return "json " + string(b) + more
	case *pb.ConformanceResponse_TextPayload:
		b, more := shown([]byte(x.TextPayload), r.Size)
		return "text " + string(b) + more
	}
	return string(KindOf(r)) + errorText(r) + runtimeText(r)
}

func runtimeText(r Reply) string {
	if x, ok := r.Response.GetResult().(*pb.ConformanceResponse_RuntimeError); ok {
		return ": " + x.RuntimeError
	}
	if x, ok := r.Response.GetResult().(*pb.ConformanceResponse_Skipped); ok {
		return ": " + x.Skipped
	}
	return ""
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(s, "\n", "\n"+prefix)
}
