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
	Go       string            `json:"go"`
	Python   string            `json:"python"`
	Versions map[string]string `json:"versions,omitempty"`
}

// PrintText writes the failures (each with its input, both outputs and a
// command that reproduces it) and the summary table.
func (rep *Report) PrintText(w io.Writer, h Header, repro func(id string) string) error {
	fmt.Fprintf(w, "go testee:     %s\npython testee: %s\n", h.Go, h.Python)
	keys := make([]string, 0, len(h.Versions))
	for k := range h.Versions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s: %s\n", k, h.Versions[k])
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
		in := inputOf(r.Request)
		fmt.Fprintf(w, "  input hex:  %s\n  input json: %s\n", in.Hex, in.JSON)
		fmt.Fprintf(w, "  go:     %s\n  python: %s\n", replyText(r.Go), replyText(r.Python))
		if repro != nil {
			fmt.Fprintf(w, "  reproduce: %s\n", repro(r.ID))
		}
		fmt.Fprintln(w)
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
	_, err := fmt.Fprintf(w, "\n%d requests in %v (%.0f cross-runtime comparisons/s), testee restarts: go %d, python %d\n",
		len(rep.Results), rep.Duration.Round(1e6), rep.CasesPerSecond(), rep.Restarts[RuntimeGo], rep.Restarts[RuntimePython])
	return err
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
}

type jsonFailure struct {
	Suite     string        `json:"suite"`
	ID        string        `json:"id"`
	Type      string        `json:"type"`
	Problems  []jsonProblem `json:"problems"`
	Input     input         `json:"input"`
	Go        string        `json:"go"`
	Python    string        `json:"python"`
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
		DurationMillis: rep.Duration.Milliseconds(), CasesPerSecond: rep.CasesPerSecond(), Restarts: rep.Restarts, Drift: []DriftFinding{}}
	if rep.Drift != nil {
		doc.Drift = append(doc.Drift, rep.Drift.Findings...)
	}
	for _, r := range rep.Results {
		if r.Status == StatusPassed {
			continue
		}
		f := jsonFailure{Suite: r.Suite, ID: r.ID, Type: r.Request.GetMessageType(), Input: inputOf(r.Request), Go: replyText(r.Go), Python: replyText(r.Python)}
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
	return enc.Encode(doc)
}

func inputOf(req *pb.ConformanceRequest) input {
	switch p := req.GetPayload().(type) {
	case *pb.ConformanceRequest_ProtobufPayload:
		return input{Hex: hex.EncodeToString(p.ProtobufPayload)}
	case *pb.ConformanceRequest_JsonPayload:
		return input{Hex: hex.EncodeToString([]byte(p.JsonPayload)), JSON: p.JsonPayload}
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
		return "protobuf " + hex.EncodeToString(x.ProtobufPayload)
	case *pb.ConformanceResponse_JsonPayload:
		return "json " + x.JsonPayload
	case *pb.ConformanceResponse_TextPayload:
		return "text " + x.TextPayload
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
