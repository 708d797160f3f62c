package release

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Summary is the one-line account of a release: what it is and why.
func (r *Release) Summary() string {
	switch {
	case r.Previous == nil:
		s := fmt.Sprintf("%s: first release of the contract", r.TagName)
		if r.TagExists {
			s += " (already tagged)"
		}
		return s
	case r.Bump == BumpNone:
		return fmt.Sprintf("no release: the contract has not changed since %s", r.Previous.Name)
	}
	s := fmt.Sprintf("%s: %s release, %s since %s", r.TagName, r.Bump, r.Level, r.Previous.Name)
	if r.TagExists {
		s += " (already tagged)"
	}
	return s
}

// Changelog renders the release notes as Markdown: a title, the summary,
// then one section per package (those with breaking changes first), each
// listing breaking changes with the rule that explains them, then what
// was added, removed and changed. It is the message of the release tag.
// With nothing to release it is the summary alone.
func (r *Release) Changelog() string {
	if r.Bump == BumpNone {
		return r.Summary() + "\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%s\n", r.TagName, r.Summary())
	byPkg := map[string][]Change{}
	var pkgs []string
	for _, c := range r.Changes {
		if _, ok := byPkg[c.Package]; !ok {
			pkgs = append(pkgs, c.Package)
		}
		byPkg[c.Package] = append(byPkg[c.Package], c)
	}
	breaks := func(p string) bool {
		return slices.ContainsFunc(byPkg[p], func(c Change) bool { return c.Change == ChangeBreaking })
	}
	slices.SortStableFunc(pkgs, func(a, b string) int {
		x, y := 0, 0
		if breaks(a) {
			x = -1
		}
		if breaks(b) {
			y = -1
		}
		return cmp.Or(cmp.Compare(x, y), cmp.Compare(a, b))
	})
	for _, p := range pkgs {
		name := p
		if name == "" {
			name = "(no package)"
		}
		fmt.Fprintf(&b, "\n## %s\n", name)
		for _, what := range changeOrder {
			first := true
			for _, c := range byPkg[p] {
				if c.Change != what {
					continue
				}
				if first {
					fmt.Fprintf(&b, "\n### %s\n\n", titles[what])
					first = false
				}
				b.WriteString("- " + c.line() + "\n")
			}
		}
	}
	return b.String()
}

var titles = map[string]string{
	ChangeBreaking: "Breaking",
	ChangeAdded:    "Added",
	ChangeRemoved:  "Removed",
	ChangeChanged:  "Changed",
}

// line is a change as one changelog line.
func (c Change) line() string {
	if c.Change == ChangeBreaking {
		where := c.Path
		if where != "" && c.Line > 0 {
			where = fmt.Sprintf("%s:%d:%d", c.Path, c.Line, max(c.Column, 1))
		}
		if where == "" {
			return fmt.Sprintf("%s (%s)", c.Message, c.Rule)
		}
		return fmt.Sprintf("%s (%s, %s)", c.Message, c.Rule, where)
	}
	s := fmt.Sprintf("%s `%s`", strings.ReplaceAll(c.Kind, "_", " "), c.Name)
	if c.Message != "" {
		s += " (" + c.Message + ")"
	}
	return s
}
