package compat

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Config selects the rules to run and the findings to drop. It mirrors the
// breaking section of a v2 buf.yaml; paths are relative to the workspace
// root, as buf.yaml writes them.
type Config struct {
	// Use lists rule IDs and categories; empty means FILE.
	Use []string `json:"use,omitempty"`
	// Except removes rule IDs and categories from Use.
	Except []string `json:"except,omitempty"`
	// Ignore lists files and directories whose findings are dropped.
	Ignore []string `json:"ignore,omitempty"`
	// IgnoreOnly maps a rule ID or category to files and directories whose
	// findings of that rule are dropped.
	IgnoreOnly map[string][]string `json:"ignore_only,omitempty"`
	// IgnoreUnstablePackages drops findings in packages whose last
	// component is an alpha, beta or test version (foo.v1alpha1,
	// foo.v1beta2, foo.v1test).
	IgnoreUnstablePackages bool `json:"ignore_unstable_packages,omitempty"`
}

// Warning is a problem with the configuration that does not stop the check,
// such as a deprecated rule ID.
type Warning struct {
	Message string `json:"message"`
}

// plan is a Config resolved against the rule table.
type plan struct {
	rules      []*Rule
	ignore     []string
	ignoreOnly map[string][]string
	unstable   bool
}

// RuleIDs returns the IDs of the rules cfg selects, sorted, with any
// warnings about the configuration.
func (cfg Config) RuleIDs() ([]string, []Warning, error) {
	p, warnings, err := cfg.plan()
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(p.rules))
	for i, r := range p.rules {
		ids[i] = r.ID
	}
	return ids, warnings, nil
}

func (cfg Config) plan() (*plan, []Warning, error) {
	var warnings []Warning
	warned := map[string]bool{}
	use := cfg.Use
	if len(use) == 0 {
		use = []string{catFile}
	}
	selected := map[string]bool{}
	for _, id := range use {
		ids, err := expand(id, "use", warned, &warnings)
		if err != nil {
			return nil, nil, err
		}
		for _, x := range ids {
			selected[x] = true
		}
	}
	for _, id := range cfg.Except {
		ids, err := expand(id, "except", warned, &warnings)
		if err != nil {
			return nil, nil, err
		}
		for _, x := range ids {
			delete(selected, x)
		}
	}
	p := &plan{ignoreOnly: map[string][]string{}, unstable: cfg.IgnoreUnstablePackages}
	for i := range rules {
		if selected[rules[i].ID] {
			p.rules = append(p.rules, &rules[i])
		}
	}
	for _, ig := range cfg.Ignore {
		c, err := cleanPath(ig, "ignore")
		if err != nil {
			return nil, nil, err
		}
		p.ignore = append(p.ignore, c)
	}
	keys := make([]string, 0, len(cfg.IgnoreOnly))
	for k := range cfg.IgnoreOnly {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ids, err := expand(k, "ignore_only", warned, &warnings)
		if err != nil {
			return nil, nil, err
		}
		for _, ig := range cfg.IgnoreOnly[k] {
			c, err := cleanPath(ig, "ignore_only "+k)
			if err != nil {
				return nil, nil, err
			}
			for _, id := range ids {
				p.ignoreOnly[id] = append(p.ignoreOnly[id], c)
			}
		}
	}
	return p, warnings, nil
}

// expand turns a rule ID or category into rule IDs. Deprecated IDs expand
// to their replacements and add a warning once.
func expand(id, field string, warned map[string]bool, warnings *[]Warning) ([]string, error) {
	if slices.Contains(Categories(), id) {
		var out []string
		for _, r := range rules {
			if slices.Contains(r.Categories, id) {
				out = append(out, r.ID)
			}
		}
		return out, nil
	}
	r, ok := ruleByID[id]
	if !ok {
		return nil, fmt.Errorf("breaking %s: %q is not a known rule or category ID", field, id)
	}
	if !r.Deprecated {
		return []string{id}, nil
	}
	if !warned[id] {
		warned[id] = true
		msg := fmt.Sprintf("rule %s is deprecated", id)
		switch len(r.ReplacedBy) {
		case 0:
			msg += " and has no replacement; it checks nothing"
		case 1:
			msg += fmt.Sprintf(" and has been replaced by rule %s", r.ReplacedBy[0])
		default:
			msg += fmt.Sprintf(" and has been replaced by rules %s", strings.Join(r.ReplacedBy, ", "))
		}
		*warnings = append(*warnings, Warning{Message: msg})
	}
	return r.ReplacedBy, nil
}

func cleanPath(p, field string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("breaking %s: empty path", field)
	}
	c := path.Clean(strings.ReplaceAll(p, "\\", "/"))
	if path.IsAbs(c) || c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("breaking %s: path %q is outside the workspace", field, p)
	}
	return c, nil
}

// covers reports whether p is one of paths or lies under one of them.
func covers(paths []string, p string) bool {
	for _, x := range paths {
		if x == "." || x == p || strings.HasPrefix(p, x+"/") {
			return true
		}
	}
	return false
}

// unstablePackage reports whether pkg's last component is an alpha, beta or
// test version, as buf's PACKAGE_VERSION_SUFFIX understands them:
// v1test, v1testfoo, v1alpha, v1beta2, v1p1alpha1.
func unstablePackage(pkg string) bool {
	i := strings.LastIndexByte(pkg, '.')
	if i < 0 {
		return false
	}
	last := pkg[i+1:]
	if len(last) < 2 || last[0] != 'v' {
		return false
	}
	v := last[1:]
	if before, _, ok := strings.Cut(v, "test"); ok {
		return positive(before)
	}
	var major, rest string
	switch {
	case strings.Contains(v, "alpha"):
		major, rest, _ = strings.Cut(v, "alpha")
	case strings.Contains(v, "beta"):
		major, rest, _ = strings.Cut(v, "beta")
	default:
		return false
	}
	if strings.Contains(rest, "alpha") || strings.Contains(rest, "beta") {
		return false
	}
	if rest != "" && !positive(rest) {
		return false
	}
	if m, p, ok := strings.Cut(major, "p"); ok {
		return positive(m) && positive(p)
	}
	return positive(major)
}

func positive(s string) bool {
	if s == "" || s[0] == '0' {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
