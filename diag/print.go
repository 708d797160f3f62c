package diag

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Formats lists the values --error-format accepts.
var Formats = []string{"text", "json", "github-actions", "junit"}

// inputName is what buf prints in place of the path of a finding that has
// no file (a deleted file, say).
const inputName = "<input>"

// Print writes the set in the named format, byte for byte as buf v1.75
// prints the same findings:
//
//   - text: path:line:col:message, one per line (buf's default); a finding
//     without a file is <input>:1:1:message.
//   - json: one JSON object per line with buf's field names.
//   - github-actions: ::error file=…,line=…,col=…,endLine=…,endColumn=…::message,
//     one workflow command per line; file=<input> and no position for a
//     finding without a file.
//   - junit: buf's XML: no header, one testsuite per file named after the
//     path without ".proto", one failing testcase per finding named
//     TYPE_line_col, the text line as the failure message. An empty set
//     prints nothing, as in buf.
//
// Two things buf does not have: a finding that names a file but no line
// (generated-code drift) prints as path:message in text and without
// positions in JSON, and github-actions escapes line breaks in a message
// (%0D, %0A) so that one finding stays one command.
func Print(w io.Writer, format string, set Set) error {
	switch format {
	case "", "text":
		return eachLine(w, set, text)
	case "json":
		return eachLine(w, set, jsonLine)
	case "github-actions":
		return eachLine(w, set, githubAction)
	case "junit":
		return printJUnit(w, set)
	default:
		return fmt.Errorf("unknown error format %q: use one of %s", format, strings.Join(Formats, ", "))
	}
}

func eachLine(w io.Writer, set Set, line func(Finding) string) error {
	var b strings.Builder
	for _, f := range set {
		b.WriteString(line(f))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// atLeast1 is how buf shows an unknown line or column.
func atLeast1(i int) int { return max(i, 1) }

// text is buf's text line.
func text(f Finding) string {
	if f.Path == "" {
		return inputName + ":" + strconv.Itoa(atLeast1(f.StartLine)) + ":" + strconv.Itoa(atLeast1(f.StartColumn)) + ":" + f.Message
	}
	return f.String()
}

func jsonLine(f Finding) string {
	if f.Path == "" {
		f.StartLine, f.StartColumn = atLeast1(f.StartLine), atLeast1(f.StartColumn)
		f.EndLine, f.EndColumn = atLeast1(f.EndLine), atLeast1(f.EndColumn)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		// A Finding has only strings and ints: it always encodes.
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// githubAction is buf's workflow command. Like buf, it escapes neither the
// properties nor the message, except for line breaks.
func githubAction(f Finding) string {
	var b strings.Builder
	b.WriteString("::error file=")
	if f.Path == "" {
		b.WriteString(inputName)
	} else {
		b.WriteString(f.Path)
		if f.StartLine > 0 {
			fmt.Fprintf(&b, ",line=%d", f.StartLine)
			if f.StartColumn > 0 {
				fmt.Fprintf(&b, ",col=%d", f.StartColumn)
			}
			if f.EndLine > 0 {
				fmt.Fprintf(&b, ",endLine=%d", f.EndLine)
				if f.EndColumn > 0 {
					fmt.Fprintf(&b, ",endColumn=%d", f.EndColumn)
				}
			}
		}
	}
	b.WriteString("::")
	b.WriteString(strings.NewReplacer("\r", "%0D", "\n", "%0A").Replace(f.Message))
	return b.String()
}

// printJUnit writes buf's JUnit XML: findings grouped by file in the
// order of the set, two-space indentation, and a final newline.
func printJUnit(w io.Writer, set Set) error {
	if len(set) == 0 {
		// buf prints nothing, not an empty <testsuites>.
		return nil
	}
	var order []string
	byFile := map[string][]Finding{}
	for _, f := range set {
		name := f.Path
		if name == "" {
			name = inputName
		}
		if _, ok := byFile[name]; !ok {
			order = append(order, name)
		}
		byFile[name] = append(byFile[name], f)
	}
	var b strings.Builder
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	suites := xml.StartElement{Name: xml.Name{Local: "testsuites"}}
	tokens := []xml.Token{suites}
	for _, name := range order {
		fs := byFile[name]
		n := strconv.Itoa(len(fs))
		suite := xml.StartElement{Name: xml.Name{Local: "testsuite"}, Attr: []xml.Attr{
			{Name: xml.Name{Local: "name"}, Value: strings.TrimSuffix(name, ".proto")},
			{Name: xml.Name{Local: "tests"}, Value: n},
			{Name: xml.Name{Local: "failures"}, Value: n},
			{Name: xml.Name{Local: "errors"}, Value: "0"},
		}}
		tokens = append(tokens, suite)
		for _, f := range fs {
			tc := xml.StartElement{Name: xml.Name{Local: "testcase"}, Attr: []xml.Attr{
				{Name: xml.Name{Local: "name"}, Value: junitCaseName(f)},
			}}
			failure := xml.StartElement{Name: xml.Name{Local: "failure"}, Attr: []xml.Attr{
				{Name: xml.Name{Local: "message"}, Value: text(f)},
				{Name: xml.Name{Local: "type"}, Value: f.Type},
			}}
			tokens = append(tokens, tc, failure, failure.End(), tc.End())
		}
		tokens = append(tokens, suite.End())
	}
	tokens = append(tokens, suites.End())
	for _, t := range tokens {
		if err := enc.EncodeToken(t); err != nil {
			return err
		}
	}
	if err := enc.Flush(); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// junitCaseName is the type followed by _line_col, or _line, of what is
// known. A finding without a file has no position, as in buf.
func junitCaseName(f Finding) string {
	switch {
	case f.Path == "" || f.StartLine == 0 && f.StartColumn == 0:
		return f.Type
	case f.StartColumn != 0:
		return fmt.Sprintf("%s_%d_%d", f.Type, f.StartLine, f.StartColumn)
	default:
		return fmt.Sprintf("%s_%d", f.Type, f.StartLine)
	}
}
