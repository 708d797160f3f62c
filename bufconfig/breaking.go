package bufconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"gopkg.in/yaml.v3"
)

// Breaking is the breaking-change configuration of a buf.yaml, top level or
// for one module, in the form the breaking checker consumes.
//
// Paths stay relative to the workspace root, as buf.yaml writes them,
// normalized. A module's configuration is its own breaking section when
// that section sets anything, and the top-level section otherwise; in the
// latter case only the paths inside the module are kept (as buf does).
type Breaking struct {
	// Use lists rule IDs and categories; empty means buf's default (FILE).
	Use []string
	// Except removes rule IDs and categories from Use.
	Except []string
	// Ignore lists files and directories whose findings are dropped.
	Ignore []string
	// IgnoreOnly maps a rule ID or category to the files and directories
	// whose findings of that rule are dropped.
	IgnoreOnly map[string][]string
	// IgnoreUnstablePackages drops findings in alpha, beta and test
	// packages.
	IgnoreUnstablePackages bool
	// DisableBuiltin turns off buf's built-in rules (only check plugins
	// would run; protoctl has none).
	DisableBuiltin bool
	// Disabled is set when an ignore path is the module directory itself:
	// buf then skips the module entirely, and so should the checker.
	Disabled bool
}

// pathEntry is a path from the file with the node it came from.
type pathEntry struct {
	path string
	node *yaml.Node
}

// checkPaths are the ignore and ignore_only paths of a lint or breaking
// section, with their nodes, for validation against module directories.
type checkPaths struct {
	name       string // "breaking" or "modules[1].lint", for messages
	ignore     []pathEntry
	ignoreOnly map[string][]pathEntry
	onlyKeys   []string // keys of ignoreOnly in file order
}

var breakingKeys = []string{"use", "except", "ignore", "ignore_only", "ignore_unstable_packages", "disable_builtin"}

// breakingSection is a parsed breaking section before it is resolved
// against a module directory.
type breakingSection struct {
	use, except            []string
	paths                  checkPaths
	unstable, disableBuilt bool
}

func (s breakingSection) empty() bool {
	return len(s.use) == 0 && len(s.except) == 0 && len(s.paths.ignore) == 0 &&
		len(s.paths.ignoreOnly) == 0 && !s.unstable && !s.disableBuilt
}

func (d decoder) breakingSection(n *yaml.Node, name string) (breakingSection, error) {
	var s breakingSection
	f, err := d.mapping(n, name, "in breaking", breakingKeys)
	if err != nil {
		return s, err
	}
	if s.use, err = d.strList(f.get("use"), name+".use"); err != nil {
		return s, err
	}
	if s.except, err = d.strList(f.get("except"), name+".except"); err != nil {
		return s, err
	}
	if s.paths, err = d.checkPaths(f, name); err != nil {
		return s, err
	}
	if s.unstable, err = d.boolean(f.get("ignore_unstable_packages"), name+".ignore_unstable_packages"); err != nil {
		return s, err
	}
	if s.disableBuilt, err = d.boolean(f.get("disable_builtin"), name+".disable_builtin"); err != nil {
		return s, err
	}
	return s, nil
}

// checkPaths reads the ignore and ignore_only entries of a lint or breaking
// section.
func (d decoder) checkPaths(f fields, name string) (checkPaths, error) {
	p := checkPaths{name: name}
	err := d.list(f.get("ignore"), name+".ignore", func(i int, e *yaml.Node) error {
		s, err := d.str(e, fmt.Sprintf("%s.ignore[%d]", name, i))
		p.ignore = append(p.ignore, pathEntry{s, e})
		return err
	})
	if err != nil {
		return p, err
	}
	only := f.get("ignore_only")
	if isNull(only) {
		return p, nil
	}
	if only.Kind != yaml.MappingNode {
		return p, d.typeError(only, name+".ignore_only", "a mapping")
	}
	p.ignoreOnly = map[string][]pathEntry{}
	for i := 0; i+1 < len(only.Content); i += 2 {
		k, v := deref(only.Content[i]), deref(only.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return p, d.errorf(k, KindType, "%s.ignore_only: expected a rule or category, got %s", name, describe(k))
		}
		if _, dup := p.ignoreOnly[k.Value]; dup {
			return p, d.errorf(k, KindInvalid, "%s.ignore_only: duplicate key %q", name, k.Value)
		}
		field := name + ".ignore_only." + k.Value
		var entries []pathEntry
		err := d.list(v, field, func(j int, e *yaml.Node) error {
			s, err := d.str(e, fmt.Sprintf("%s[%d]", field, j))
			entries = append(entries, pathEntry{s, e})
			return err
		})
		if err != nil {
			return p, err
		}
		p.ignoreOnly[k.Value] = entries
		p.onlyKeys = append(p.onlyKeys, k.Value)
	}
	return p, nil
}

// resolved holds the paths of a checkPaths that apply to one module.
type resolved struct {
	disabled   bool
	ignore     []string
	ignoreOnly map[string][]string
}

// resolve applies buf's rules for lint and breaking paths to one module
// directory: every path is normalized and inside the workspace; a path equal
// to the module directory disables the check for the module; a path outside
// the module is an error when the section belongs to the module (strict)
// and skipped when it comes from the top level; paths of one list may not
// nest.
func (d decoder) resolve(p checkPaths, moduleDir string, strict bool) (resolved, error) {
	var r resolved
	keep := func(field string, entries []pathEntry) ([]string, error) {
		var out []string
		nodes := map[string]*yaml.Node{}
		for _, e := range entries {
			c, err := cleanPath(e.path)
			if err != nil {
				return nil, d.errorf(e.node, KindInvalid, "%s: %v", field, err)
			}
			if !within(moduleDir, c) {
				if strict {
					return nil, d.errorf(e.node, KindInvalid, "%s: path %q is not inside module directory %q", field, c, moduleDir)
				}
				continue
			}
			if _, dup := nodes[c]; !dup {
				nodes[c] = e.node
				out = append(out, c)
			}
		}
		slices.Sort(out)
		for i, a := range out {
			for _, b := range out[i+1:] {
				if within(a, b) {
					return nil, d.errorf(nodes[b], KindInvalid, "%s: path %q is inside %q, which is already listed", field, b, a)
				}
			}
		}
		return out, nil
	}
	for _, e := range p.ignore {
		c, err := cleanPath(e.path)
		if err != nil {
			return r, d.errorf(e.node, KindInvalid, "%s.ignore: %v", p.name, err)
		}
		if c == moduleDir {
			r.disabled = true
			return r, nil
		}
	}
	var err error
	if r.ignore, err = keep(p.name+".ignore", p.ignore); err != nil {
		return r, err
	}
	for _, k := range p.onlyKeys {
		paths, err := keep(p.name+".ignore_only."+k, p.ignoreOnly[k])
		if err != nil {
			return r, err
		}
		if len(paths) > 0 {
			if r.ignoreOnly == nil {
				r.ignoreOnly = map[string][]string{}
			}
			r.ignoreOnly[k] = paths
		}
	}
	return r, nil
}

// breaking resolves a breaking section for one module directory.
func (d decoder) breaking(s breakingSection, moduleDir string, strict bool) (Breaking, error) {
	r, err := d.resolve(s.paths, moduleDir, strict)
	if err != nil {
		return Breaking{}, err
	}
	if r.disabled {
		return Breaking{Disabled: true}, nil
	}
	return Breaking{
		Use:                    uniqueSorted(s.use),
		Except:                 uniqueSorted(s.except),
		Ignore:                 r.ignore,
		IgnoreOnly:             r.ignoreOnly,
		IgnoreUnstablePackages: s.unstable,
		DisableBuiltin:         s.disableBuilt,
	}, nil
}

func uniqueSorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// ParseBreakingConfigFlag reads the value of a --config flag as buf does: a
// value ending in .yaml, .yml or .json names a file to read; any other
// value is the buf.yaml content itself, YAML or JSON, such as
// '{"version":"v2","breaking":{"use":["WIRE"]}}'. Errors in inline content
// are reported against the name "--config".
func ParseBreakingConfigFlag(value string) (*BufYAML, error) {
	switch filepath.Ext(value) {
	case ".yaml", ".yml", ".json":
		data, err := os.ReadFile(value)
		if err != nil {
			return nil, &Error{File: value, Message: "cannot read config file: " + describeIOError(err), Kind: KindIO, Err: err}
		}
		return ParseBufYAML(value, data)
	}
	return ParseBufYAML("--config", []byte(value))
}
