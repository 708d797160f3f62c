package diag

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Formats lists the values --error-format accepts.
var Formats = []string{"text", "json", "github-actions", "junit"}

// Print writes the set in the named format.
//
//   - text: path:line:col:message, one per line (buf's default).
//   - json: one JSON object per line with buf's field names.
//   - github-actions: workflow commands that annotate the pull request.
//   - junit: one test suite per file, one failing test case per finding;
//     suiteName names the outer suite (the command).
func Print(w io.Writer, format, suiteName string, set Set) error {
	switch format {
	case "", "text":
		for _, f := range set {
			if _, err := fmt.Fprintln(w, f.String()); err != nil {
				return err
			}
		}
		return nil
	case "json":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, f := range set {
			if err := enc.Encode(f); err != nil {
				return err
			}
		}
		return nil
	case "github-actions":
		for _, f := range set {
			if _, err := fmt.Fprintln(w, githubAction(f)); err != nil {
				return err
			}
		}
		return nil
	case "junit":
		return printJUnit(w, suiteName, set)
	default:
		return fmt.Errorf("unknown error format %q: use one of %s", format, strings.Join(Formats, ", "))
	}
}

func githubAction(f Finding) string {
	var props []string
	if f.Path != "" {
		props = append(props, "file="+escapeProperty(f.Path))
	}
	if f.StartLine > 0 {
		props = append(props, fmt.Sprintf("line=%d", f.StartLine))
		if f.EndLine > 0 {
			props = append(props, fmt.Sprintf("endLine=%d", f.EndLine))
		}
		props = append(props, fmt.Sprintf("col=%d", max(f.StartColumn, 1)))
		if f.EndColumn > 0 {
			props = append(props, fmt.Sprintf("endColumn=%d", f.EndColumn))
		}
	}
	msg := escapeData(f.Message)
	if len(props) == 0 {
		return "::error::" + msg
	}
	return "::error " + strings.Join(props, ",") + "::" + msg
}

// escapeData and escapeProperty follow the workflow command escaping rules.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name    string        `xml:"name,attr"`
	Failure *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func printJUnit(w io.Writer, suiteName string, set Set) error {
	out := junitSuites{Name: suiteName, Tests: len(set), Failures: len(set)}
	index := map[string]int{}
	for _, f := range set {
		file := f.Path
		if file == "" {
			file = suiteName
		}
		i, ok := index[file]
		if !ok {
			i = len(out.Suites)
			index[file] = i
			out.Suites = append(out.Suites, junitSuite{Name: file})
		}
		s := &out.Suites[i]
		s.Tests++
		s.Failures++
		name := f.Type
		if f.StartLine > 0 {
			name = fmt.Sprintf("%s:%d:%d", f.Type, f.StartLine, max(f.StartColumn, 1))
		}
		s.Cases = append(s.Cases, junitCase{
			Name:    name,
			Failure: &junitFailure{Message: f.Message, Type: f.Type, Text: f.String()},
		})
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
