// Package diag is the one place where problems with a location in a file are
// represented and printed.
//
// A Finding is data: a path relative to the module root, a 1-based span, a
// type (a compile error, a breaking rule ID, a drift kind) and a lowercase
// message that names the element. A Set is a sorted, deduplicated list of
// findings and is itself an error, so a command can return it unchanged and
// let the caller decide how to print it and which exit code to use.
//
// Printing is separate from finding: Print renders a Set in one of the
// formats that buf users rely on (text, json, github-actions, junit), so a
// script written for buf keeps working against protoctl.
package diag

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Finding is one problem at one place.
type Finding struct {
	// Path is relative to the module root, with forward slashes. Empty when
	// the problem has no file (a configuration problem in a flag, say).
	Path        string `json:"path,omitempty"`
	StartLine   int    `json:"start_line,omitempty"`
	StartColumn int    `json:"start_column,omitempty"`
	EndLine     int    `json:"end_line,omitempty"`
	EndColumn   int    `json:"end_column,omitempty"`
	// Type classifies the finding: COMPILE for compile errors, a rule ID for
	// breaking changes, ADDED/CHANGED/REMOVED for drift.
	Type    string `json:"type"`
	Message string `json:"message"`
}

// String renders the finding for an error message: path:line:col:message,
// dropping the parts that are unknown. Print's text format differs only for
// a finding without a file, which buf shows as <input>:1:1:message.
func (f Finding) String() string {
	var b strings.Builder
	if f.Path != "" {
		b.WriteString(f.Path)
		if f.StartLine > 0 {
			fmt.Fprintf(&b, ":%d:%d", f.StartLine, max(f.StartColumn, 1))
		}
		b.WriteByte(':')
	}
	b.WriteString(f.Message)
	return b.String()
}

// Compare orders findings as buf prints them: by path (findings without a
// file first), start line, start column, type, message, and only then by
// end line and end column.
func Compare(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.Path, b.Path),
		cmp.Compare(a.StartLine, b.StartLine),
		cmp.Compare(a.StartColumn, b.StartColumn),
		cmp.Compare(a.Type, b.Type),
		cmp.Compare(a.Message, b.Message),
		cmp.Compare(a.EndLine, b.EndLine),
		cmp.Compare(a.EndColumn, b.EndColumn),
	)
}

// Set is a sorted, deduplicated list of findings. A non-empty Set is an error.
type Set []Finding

// NewSet sorts and deduplicates findings.
func NewSet(findings ...Finding) Set {
	s := slices.Clone(findings)
	slices.SortFunc(s, Compare)
	return Set(slices.Compact(s))
}

// Error joins the findings one per line, in text format.
func (s Set) Error() string {
	lines := make([]string, len(s))
	for i, f := range s {
		lines[i] = f.String()
	}
	return strings.Join(lines, "\n")
}
