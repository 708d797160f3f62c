package grpcconf

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/protoctl/protoctl/conformance"
)

// suiteName is the suite column of the summary, next to the
// serialization suites' names.
const suiteName = "grpc"

// Report is the outcome of a run.
type Report struct {
	Results  []Result
	Duration time.Duration
}

// Header describes what ran: the server command and versions.
type Header struct {
	Server   string            `json:"server"`
	Client   string            `json:"client"`
	Security string            `json:"security,omitempty"`
	Versions map[string]string `json:"versions,omitempty"`
}

// Failed counts the failed cases (expected failures aside).
func (rep *Report) Failed() int {
	n := 0
	for _, r := range rep.Results {
		if !r.Passed && !r.Expected {
			n++
		}
	}
	return n
}

// Summary counts the results per group (sorted) and in total, in the
// serialization suites' row type.
func (rep *Report) Summary() (groups []conformance.Row, total conformance.Row) {
	byGroup := map[string]*conformance.Row{}
	total = conformance.Row{Suite: suiteName}
	for _, r := range rep.Results {
		row := byGroup[r.Group]
		if row == nil {
			row = &conformance.Row{Suite: suiteName, Category: r.Group}
			byGroup[r.Group] = row
		}
		for _, x := range []*conformance.Row{row, &total} {
			switch {
			case r.Passed:
				x.Passed++
			case r.Expected:
				x.Expected++
			default:
				x.Failed++
			}
			x.Total++
		}
	}
	for _, row := range byGroup {
		groups = append(groups, *row)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].Category < groups[j].Category })
	return groups, total
}

// PrintText writes the failures (each with a command that reproduces it),
// the recorded notes and the summary table.
func (rep *Report) PrintText(w io.Writer, h Header, repro func(name string) string) error {
	fmt.Fprintf(w, "server: %s\nclient: %s\n", h.Server, h.Client)
	if h.Security != "" {
		fmt.Fprintf(w, "security: %s\n", h.Security)
	}
	for _, k := range sortedKeys(h.Versions) {
		fmt.Fprintf(w, "%s: %s\n", k, h.Versions[k])
	}
	fmt.Fprintln(w)
	for _, r := range rep.Results {
		if r.Passed || r.Expected {
			continue
		}
		fmt.Fprintf(w, "FAIL %s/%s (server %s)\n  %s\n", suiteName, r.Name, r.Server, indent(r.Message, "  "))
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		if repro != nil {
			fmt.Fprintf(w, "  reproduce: %s\n", repro(r.Name))
		}
		fmt.Fprintln(w)
	}
	noted := false
	for _, r := range rep.Results {
		if r.Expected {
			fmt.Fprintf(w, "EXPECTED %s: %s\n  %s\n", r.Name, r.Reason, indent(r.Message, "  "))
			noted = true
		}
	}
	for _, r := range rep.Results {
		if r.Passed && len(r.Notes) > 0 {
			for _, n := range r.Notes {
				fmt.Fprintf(w, "NOTE %s: %s\n", r.Name, n)
			}
			noted = true
		}
	}
	if noted {
		fmt.Fprintln(w)
	}
	groups, total := rep.Summary()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "suite\tcategory\tpassed\tfailed\texpected\ttotal\t")
	for _, r := range append(groups, total) {
		cat := r.Category
		if cat == "" {
			cat = "(all)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t\n", r.Suite, cat, r.Passed, r.Failed, r.Expected, r.Total)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d cases in %v\n", len(rep.Results), rep.Duration.Round(time.Millisecond))
	return err
}

// jsonReport is the --format json document.
type jsonReport struct {
	Header     Header            `json:"header"`
	Suites     []conformance.Row `json:"suites"`
	Categories []conformance.Row `json:"categories"`
	Results    []jsonResult      `json:"results"`
	Duration   int64             `json:"duration_ms"`
}

type jsonResult struct {
	Result
	Reproduce string `json:"reproduce,omitempty"`
}

// PrintJSON writes the report as one JSON document.
func (rep *Report) PrintJSON(w io.Writer, h Header, repro func(name string) string) error {
	groups, total := rep.Summary()
	doc := jsonReport{Header: h, Suites: []conformance.Row{total}, Categories: groups, Results: []jsonResult{}, Duration: rep.Duration.Milliseconds()}
	if doc.Categories == nil {
		doc.Categories = []conformance.Row{}
	}
	for _, r := range rep.Results {
		jr := jsonResult{Result: r}
		if !r.Passed && !r.Expected && repro != nil {
			jr.Reproduce = repro(r.Name)
		}
		doc.Results = append(doc.Results, jr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// PrintJUnit writes the report as JUnit XML: one testsuite, one testcase
// per case, notes as the case's system-out.
func (rep *Report) PrintJUnit(w io.Writer, repro func(name string) string) error {
	s := junitSuite{Name: suiteName, Time: seconds(rep.Duration)}
	for _, r := range rep.Results {
		c := junitCase{Name: r.Name, ClassName: suiteName + "." + r.Group, Time: seconds(r.Duration), SystemOut: strings.Join(r.Notes, "\n")}
		switch {
		case r.Expected:
			c.Skipped = &junitMessage{Message: "expected failure: " + r.Reason, Text: r.Message}
			s.Skipped++
		case !r.Passed:
			text := r.Message
			if repro != nil {
				text += "\nreproduce: " + repro(r.Name)
			}
			first, _, _ := strings.Cut(r.Message, "\n")
			c.Failure = &junitMessage{Message: first, Text: text}
			s.Failures++
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitSuite{s}}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(s, "\n", "\n"+prefix)
}
