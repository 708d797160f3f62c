package conformance

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// properties are the header's versions and the run's peak memory, as
// JUnit properties: "<runtime>.<package>", "generator.<name>",
// "peak_rss_bytes.<process>".
func properties(h Header, rep *Report) []junitProperty {
	var out []junitProperty
	for _, rt := range sortedKeys(h.Runtimes) {
		for _, pkg := range sortedKeys(h.Runtimes[rt]) {
			out = append(out, junitProperty{Name: rt + "." + pkg, Value: h.Runtimes[rt][pkg]})
		}
	}
	for _, g := range sortedKeys(h.Generators) {
		out = append(out, junitProperty{Name: "generator." + g, Value: h.Generators[g]})
	}
	for _, p := range sortedKeys(rep.PeakRSS) {
		out = append(out, junitProperty{Name: "peak_rss_bytes." + p, Value: fmt.Sprint(rep.PeakRSS[p])})
	}
	return out
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// PrintJUnit writes the report as JUnit XML for CI: one testsuite per suite,
// one testcase per request; expected divergences are skipped test cases
// whose message gives the reason. Every testsuite carries the header's
// versions as properties.
func (rep *Report) PrintJUnit(w io.Writer, h Header, repro func(id string) string) error {
	var doc junitSuites
	if d := rep.Drift; d != nil {
		s := junitSuite{Name: "drift", Tests: len(d.Findings), Failures: len(d.Findings)}
		for _, f := range d.Findings {
			s.Cases = append(s.Cases, junitCase{Name: f.Element, ClassName: "drift.descriptors", Failure: &junitMessage{Message: f.Message, Text: f.Message}})
		}
		doc.Suites = append(doc.Suites, s)
	}
	index := map[string]int{}
	for _, r := range rep.Results {
		i, ok := index[r.Suite]
		if !ok {
			i = len(doc.Suites)
			index[r.Suite] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: r.Suite})
		}
		s := &doc.Suites[i]
		c := junitCase{Name: r.ID, ClassName: r.Suite + "." + r.Group}
		var lines []string
		for _, p := range r.Problems {
			lines = append(lines, p.Runtime+": "+p.Message)
		}
		switch r.Status {
		case StatusFailed:
			in := inputOf(r)
			text := fmt.Sprintf("%s\ninput hex: %s\ninput json: %s\ngo: %s\npython: %s", strings.Join(lines, "\n"), in.Hex, in.JSON, replyText(r.Go), replyText(r.Python))
			if repro != nil {
				text += "\nreproduce: " + repro(r.ID)
			}
			c.Failure = &junitMessage{Message: firstLine(lines), Text: text}
			s.Failures++
		case StatusExpected:
			reason := ""
			if len(r.Problems) > 0 && r.Problems[0].Expected != nil {
				reason = "expected divergence: " + r.Problems[0].Expected.Reason
			}
			c.Skipped = &junitMessage{Message: reason, Text: strings.Join(lines, "\n")}
			s.Skipped++
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	props := properties(h, rep)
	for i := range doc.Suites {
		doc.Suites[i].Properties = props
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func firstLine(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	l, _, _ := strings.Cut(lines[0], "\n")
	return l
}
