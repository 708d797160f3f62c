package breaking

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/protoctl/protoctl/diag"
)

// printExplained prints the findings in text format with, under each, who
// the change breaks. Findings at the same place are one change that buf
// reports under several rules (a field moved into a oneof also changes its
// cardinality): their lines are printed together, as buf prints them, and
// followed by one explanation.
func printExplained(w io.Writer, c checker, set diag.Set) error {
	for _, group := range groupByPlace(set) {
		if err := diag.Print(w, "text", group); err != nil {
			return err
		}
		var lines []string
		if len(group) > 1 {
			ids := make([]string, len(group))
			for i, f := range group {
				ids[i] = f.Type
			}
			lines = append(lines, fmt.Sprintf("one change, reported by %s", strings.Join(ids, " and ")))
		} else {
			lines = append(lines, group[0].Type)
		}
		lines = append(lines, explainGroup(c, group)...)
		for _, l := range lines {
			if _, err := fmt.Fprintf(w, "    %s\n", l); err != nil {
				return err
			}
		}
	}
	return nil
}

// audiences is the order impacts are printed in.
var audiences = []string{"wire", "JSON", "Go", "Python", "other languages"}

// explainGroup merges the explanations of one change: every impact once,
// by audience, and the audiences that none of the findings breaks.
func explainGroup(c checker, group []diag.Finding) []string {
	var breaks []impact
	safeCount := map[string]int{}
	for _, f := range group {
		e := c.Explain(f)
		for _, b := range e.breaks {
			if !slices.Contains(breaks, b) {
				breaks = append(breaks, b)
			}
		}
		for _, a := range e.safe {
			safeCount[a]++
		}
	}
	rank := func(a string) int {
		if i := slices.Index(audiences, a); i >= 0 {
			return i
		}
		return len(audiences)
	}
	slices.SortStableFunc(breaks, func(a, b impact) int { return rank(a.audience) - rank(b.audience) })
	var lines []string
	for _, b := range breaks {
		lines = append(lines, b.audience+": "+b.detail)
	}
	var safe []string
	for a, n := range safeCount {
		broken := slices.ContainsFunc(breaks, func(b impact) bool { return b.audience == a })
		if n == len(group) && !broken {
			safe = append(safe, a)
		}
	}
	slices.SortFunc(safe, func(a, b string) int { return rank(a) - rank(b) })
	if len(safe) > 0 {
		lines = append(lines, "unaffected: "+strings.Join(safe, ", "))
	}
	return lines
}

// groupByPlace splits a sorted set into runs of findings with the same
// file and span. A finding without a file is a group of its own.
func groupByPlace(set diag.Set) []diag.Set {
	var groups []diag.Set
	for _, f := range set {
		if n := len(groups); n > 0 && f.Path != "" && samePlace(groups[n-1][0], f) {
			groups[n-1] = append(groups[n-1], f)
			continue
		}
		groups = append(groups, diag.Set{f})
	}
	return groups
}

func samePlace(a, b diag.Finding) bool {
	return a.Path == b.Path && a.StartLine == b.StartLine && a.StartColumn == b.StartColumn &&
		a.EndLine == b.EndLine && a.EndColumn == b.EndColumn
}
