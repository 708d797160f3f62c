package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// PrintTable writes the results as an aligned table.
func PrintTable(w io.Writer, results []*Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "strategy\tsecurity\tprocs\tmode\tc\tqps\tp50 ms\tp90 ms\tp99 ms\tp99.9 ms\terrors\terr %\tclient µs/rpc\tserver µs/rpc\tconns\tspread %\t")
	for _, r := range results {
		server := "-"
		if r.ServerCPU > 0 {
			server = fmt.Sprintf("%.0f", r.ServerCPU)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%.0f\t%.3f\t%.3f\t%.3f\t%.3f\t%d\t%.2f\t%.1f\t%s\t%d\t%s\t\n",
			r.Strategy, r.Security, procs(r.ServerProcesses), dash(r.ServerMode), r.Concurrency, r.QPS,
			r.P50, r.P90, r.P99, r.P999, r.Errors, errorRate(r), r.ClientCPU, server, r.Conns, spreadText(r.Spread))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.FirstError != "" {
			fmt.Fprintf(w, "first error of %s: %s\n", label(r), r.FirstError)
		}
	}
	return nil
}

// PrintChecks writes the comparison with the targets.
func PrintChecks(w io.Writer, checks []Check) error {
	if len(checks) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "target\tmeasured\twant\tresult")
	for _, c := range checks {
		res := "met"
		if !c.Met {
			res = "MISSED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.Measured, c.Want, res)
	}
	return tw.Flush()
}

// Document is the --json output.
type Document struct {
	Runs   []*Result `json:"runs"`
	Checks []Check   `json:"checks"`
}

// PrintJSON writes {"runs": [...], "checks": [...]}.
func PrintJSON(w io.Writer, results []*Result, checks []Check) error {
	doc := Document{Runs: results, Checks: checks}
	if doc.Runs == nil {
		doc.Runs = []*Result{}
	}
	if doc.Checks == nil {
		doc.Checks = []Check{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func errorRate(r *Result) float64 {
	n := r.Calls + r.Errors
	if n == 0 {
		return 0
	}
	return 100 * float64(r.Errors) / float64(n)
}

func procs(n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// label names a run: "pool 2×sync c=16".
func label(r *Result) string {
	s := string(r.Strategy)
	if r.Security != "" && r.Security != Plaintext {
		s += " " + r.Security
	}
	if r.ServerProcesses > 0 || r.ServerMode != "" {
		s += fmt.Sprintf(" %s×%s", procs(r.ServerProcesses), dash(r.ServerMode))
	}
	return s + fmt.Sprintf(" c=%d", r.Concurrency)
}

// spreadText writes a spread as "71/29".
func spreadText(s []float64) string {
	if len(s) == 0 {
		return "-"
	}
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = fmt.Sprintf("%.0f", v)
	}
	return strings.Join(parts, "/")
}
