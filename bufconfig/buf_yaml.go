package bufconfig

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// BufYAML is a v2 buf.yaml: the workspace's modules and their settings.
type BufYAML struct {
	// File is the name the file was read or parsed under.
	File string
	// Name is the top-level module name, allowed only without modules; it
	// is also the Name of the implicit module.
	Name string
	// Modules lists the modules, in file order. A file without modules has
	// one module at ".".
	Modules []Module
	// Deps are the Buf Schema Registry modules the workspace depends on.
	// protoctl cannot fetch them: see HasDeps.
	Deps []Dep
	// Lint is the top-level lint section, kept as data.
	Lint Lint
	// Breaking is the top-level breaking section, paths normalized.
	Breaking Breaking
	// Plugins and Policies are check plugins and policies; buf accepts
	// them, protoctl keeps them and runs none.
	Plugins  []CheckPlugin
	Policies []Policy
}

// HasDeps reports whether the workspace depends on Buf Schema Registry
// modules, which protoctl, running offline, cannot provide.
func (b *BufYAML) HasDeps() bool { return len(b.Deps) > 0 }

// Module is one module of a workspace.
type Module struct {
	// Path is the module directory relative to the workspace root,
	// normalized; "." for the root.
	Path string
	// Name is the module's Buf Schema Registry name (registry/owner/name),
	// empty when unnamed.
	Name string
	// Includes and Excludes are directories relative to the workspace root
	// (as buf.yaml writes them), under Path.
	Includes []string
	Excludes []string
	// Lint is the module's lint section, or the top-level one when the
	// module sets none.
	Lint Lint
	// Breaking is the configuration the breaking checker applies to the
	// module: its own section if it sets anything, else the top level's.
	Breaking Breaking
	// Pos is the module's entry in modules; Line is 0 for the implicit
	// module.
	Pos Pos
}

// Dep is one entry of deps: registry/owner/name with an optional :ref.
type Dep struct {
	Ref string
	Pos Pos
}

// Lint is a lint section, as written. protoctl has no linter; the section is
// validated as buf validates it and kept for completeness.
type Lint struct {
	Use, Except                          []string
	Ignore                               []string
	IgnoreOnly                           map[string][]string
	EnumZeroValueSuffix                  string
	RPCAllowSameRequestResponse          bool
	RPCAllowGoogleProtobufEmptyRequests  bool
	RPCAllowGoogleProtobufEmptyResponses bool
	ServiceSuffix                        string
	DisallowCommentIgnores               bool
	DisableBuiltin                       bool
}

func (l Lint) isZero() bool {
	return len(l.Use) == 0 && len(l.Except) == 0 && len(l.Ignore) == 0 && len(l.IgnoreOnly) == 0 &&
		l.EnumZeroValueSuffix == "" && !l.RPCAllowSameRequestResponse &&
		!l.RPCAllowGoogleProtobufEmptyRequests && !l.RPCAllowGoogleProtobufEmptyResponses &&
		l.ServiceSuffix == "" && !l.DisallowCommentIgnores && !l.DisableBuiltin
}

// CheckPlugin is an entry of buf.yaml's plugins (a lint or breaking plugin).
type CheckPlugin struct {
	// Plugin is the plugin path, reference or command with arguments.
	Plugin  []string
	Options map[string]any
	Pos     Pos
}

// Policy is an entry of buf.yaml's policies.
type Policy struct {
	Policy     string
	Ignore     []string
	IgnoreOnly map[string][]string
	Pos        Pos
}

var (
	bufYAMLKeys  = []string{"version", "name", "modules", "deps", "lint", "breaking", "plugins", "policies"}
	moduleKeys   = []string{"path", "name", "includes", "excludes", "lint", "breaking"}
	lintKeys     = []string{"use", "except", "ignore", "ignore_only", "enum_zero_value_suffix", "rpc_allow_same_request_response", "rpc_allow_google_protobuf_empty_requests", "rpc_allow_google_protobuf_empty_responses", "service_suffix", "disallow_comment_ignores", "disable_builtin"}
	checkPlugKey = []string{"plugin", "options"}
	policyKeys   = []string{"policy", "ignore", "ignore_only"}
)

// ReadBufYAML reads and parses the buf.yaml at name in fsys.
func ReadBufYAML(fsys fs.FS, name string) (*BufYAML, error) {
	data, err := readFile(fsys, name)
	if err != nil {
		return nil, err
	}
	return ParseBufYAML(name, data)
}

// ParseBufYAML parses buf.yaml content; name is used in errors.
func ParseBufYAML(name string, data []byte) (*BufYAML, error) {
	d := decoder{file: name}
	root, err := d.document(data, "buf.yaml", "v2", []string{"v1", "v1beta1"})
	if err != nil {
		return nil, err
	}
	f, err := d.mapping(root, "buf.yaml", "in buf.yaml", bufYAMLKeys)
	if err != nil {
		return nil, err
	}
	b := &BufYAML{File: name}
	if b.Name, err = d.str(f.get("name"), "name"); err != nil {
		return nil, err
	}
	if b.Name != "" {
		if err := checkFullName(b.Name); err != nil {
			return nil, d.errorf(f.get("name"), KindInvalid, "name: %v", err)
		}
	}
	if b.Deps, err = d.deps(f.get("deps")); err != nil {
		return nil, err
	}
	topLint, topLintPaths, err := d.lint(f.get("lint"), "lint")
	if err != nil {
		return nil, err
	}
	b.Lint = topLint
	topBreaking, err := d.breakingSection(f.get("breaking"), "breaking")
	if err != nil {
		return nil, err
	}
	if b.Plugins, err = d.checkPlugins(f.get("plugins")); err != nil {
		return nil, err
	}
	if b.Policies, err = d.policies(f.get("policies")); err != nil {
		return nil, err
	}

	var mods []moduleEntry
	err = d.list(f.get("modules"), "modules", func(i int, n *yaml.Node) error {
		m, err := d.module(n, i)
		if err != nil {
			return err
		}
		if m.lint.isZero() {
			m.Lint = topLint
		}
		mods = append(mods, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(mods) > 0 && b.Name != "" {
		return nil, d.errorf(f.key("name"), KindInvalid, "name: a top-level name is only allowed without modules; set name on each module instead")
	}
	if len(mods) == 0 {
		mods = []moduleEntry{{Module: Module{Path: ".", Name: b.Name, Lint: topLint, Pos: Pos{File: name}}}}
	}

	// Buf validates the top-level paths against the workspace root, then
	// each module's effective sections against the module directory: the
	// module's own section strictly, the top level's keeping only the
	// paths inside the module.
	if _, err := d.resolve(topLintPaths, ".", false); err != nil {
		return nil, err
	}
	if b.Breaking, err = d.breaking(topBreaking, ".", false); err != nil {
		return nil, err
	}
	names := map[string]int{}
	for i := range mods {
		m := &mods[i]
		if !m.lint.isZero() {
			_, err = d.resolve(m.lintPaths, m.Path, true)
		} else {
			_, err = d.resolve(topLintPaths, m.Path, false)
		}
		if err != nil {
			return nil, err
		}
		if !m.breaking.empty() {
			m.Breaking, err = d.breaking(m.breaking, m.Path, true)
		} else {
			m.Breaking, err = d.breaking(topBreaking, m.Path, false)
		}
		if err != nil {
			return nil, err
		}
		if m.Name != "" {
			if j, dup := names[m.Name]; dup {
				return nil, d.errorf(m.nameNode, KindInvalid, "module name %q is already used by the module at %s", m.Name, mods[j].Pos)
			}
			names[m.Name] = i
		}
	}
	if err := d.checkOverlap(mods); err != nil {
		return nil, err
	}
	b.Modules = make([]Module, len(mods))
	for i, m := range mods {
		b.Modules[i] = m.Module
	}
	return b, nil
}

// checkOverlap rejects modules that overlap: the same directory twice, or
// one module inside another that does not exclude it, would compile the
// same file twice under two import paths.
func (d decoder) checkOverlap(mods []moduleEntry) error {
	for j := range mods {
		inner := &mods[j]
		for i := range mods {
			outer := &mods[i]
			if i == j || !within(outer.Path, inner.Path) {
				continue
			}
			if outer.Path == inner.Path {
				if i < j {
					return d.errorf(inner.pathNode, KindInvalid, "module path %q is already used by the module at %s", inner.Path, outer.Pos)
				}
				continue
			}
			excluded := false
			for _, e := range outer.Excludes {
				excluded = excluded || within(e, inner.Path)
			}
			if !excluded {
				return d.errorf(inner.pathNode, KindInvalid,
					"module %q is inside module %q at %s, which does not exclude it; add %q to that module's excludes",
					inner.Path, outer.Path, outer.Pos, inner.Path)
			}
		}
	}
	return nil
}

// moduleEntry is a module being read, with the nodes and raw sections the
// workspace-level checks need.
type moduleEntry struct {
	Module
	pathNode  *yaml.Node // path value, or the entry when path is absent
	nameNode  *yaml.Node
	lint      Lint
	lintPaths checkPaths
	breaking  breakingSection
}

func (d decoder) module(n *yaml.Node, i int) (moduleEntry, error) {
	name := fmt.Sprintf("modules[%d]", i)
	var m moduleEntry
	if isNull(n) {
		return m, d.typeError(n, name, "a mapping")
	}
	f, err := d.mapping(n, name, "in module", moduleKeys)
	if err != nil {
		return m, err
	}
	m.Pos = Pos{File: d.file, Line: n.Line, Col: n.Column}
	m.pathNode = n
	raw, err := d.str(f.get("path"), name+".path")
	if err != nil {
		return m, err
	}
	if f.has("path") {
		m.pathNode = f.get("path")
	}
	if m.Path, err = cleanPath(raw); err != nil {
		return m, d.errorf(m.pathNode, KindInvalid, "%s.path: %v", name, err)
	}
	if m.Name, err = d.str(f.get("name"), name+".name"); err != nil {
		return m, err
	}
	m.nameNode = f.get("name")
	if m.Name != "" {
		if err := checkFullName(m.Name); err != nil {
			return m, d.errorf(f.get("name"), KindInvalid, "%s.name: %v", name, err)
		}
	}
	includes, err := d.moduleDirs(f.get("includes"), name+".includes", m.Path)
	if err != nil {
		return m, err
	}
	excludes, err := d.moduleDirs(f.get("excludes"), name+".excludes", m.Path)
	if err != nil {
		return m, err
	}
	for _, inc := range includes {
		m.Includes = append(m.Includes, inc.path)
	}
	for _, ex := range excludes {
		m.Excludes = append(m.Excludes, ex.path)
		if len(includes) == 0 {
			continue
		}
		inside := false
		for _, inc := range includes {
			if inc.path == ex.path {
				return m, d.errorf(ex.node, KindInvalid, "%s.excludes: %q is both an include and an exclude", name, ex.path)
			}
			if within(ex.path, inc.path) {
				return m, d.errorf(ex.node, KindInvalid, "%s.excludes: %q contains the include %q", name, ex.path, inc.path)
			}
			if within(inc.path, ex.path) {
				inside = true
			}
		}
		if !inside {
			return m, d.errorf(ex.node, KindInvalid, "%s.excludes: %q is not inside any of the includes", name, ex.path)
		}
	}
	if m.lint, m.lintPaths, err = d.lint(f.get("lint"), name+".lint"); err != nil {
		return m, err
	}
	m.Lint = m.lint
	if m.breaking, err = d.breakingSection(f.get("breaking"), name+".breaking"); err != nil {
		return m, err
	}
	return m, nil
}

// moduleDirs reads includes or excludes: directories under the module
// directory, other than it, none inside another.
func (d decoder) moduleDirs(n *yaml.Node, field, moduleDir string) ([]pathEntry, error) {
	var out []pathEntry
	err := d.list(n, field, func(i int, e *yaml.Node) error {
		s, err := d.str(e, fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return err
		}
		if s == "" {
			return d.errorf(e, KindInvalid, "%s: empty path", field)
		}
		c, err := cleanPath(s)
		if err != nil {
			return d.errorf(e, KindInvalid, "%s: %v", field, err)
		}
		switch {
		case c == moduleDir:
			return d.errorf(e, KindInvalid, "%s: %q is the module directory itself", field, c)
		case !within(moduleDir, c):
			return d.errorf(e, KindInvalid, "%s: %q is not inside module directory %q", field, c, moduleDir)
		case path.Ext(c) == ".proto":
			return d.errorf(e, KindInvalid, "%s: %q is a file; list directories only", field, c)
		}
		for _, prev := range out {
			switch {
			case prev.path == c:
				return d.errorf(e, KindInvalid, "%s: %q is listed twice", field, c)
			case within(prev.path, c):
				return d.errorf(e, KindInvalid, "%s: %q is inside %q, which is already listed", field, c, prev.path)
			case within(c, prev.path):
				return d.errorf(e, KindInvalid, "%s: %q contains %q, which is already listed", field, c, prev.path)
			}
		}
		out = append(out, pathEntry{c, e})
		return nil
	})
	return out, err
}

func (d decoder) lint(n *yaml.Node, name string) (Lint, checkPaths, error) {
	var l Lint
	f, err := d.mapping(n, name, "in lint", lintKeys)
	if err != nil {
		return l, checkPaths{}, err
	}
	if l.Use, err = d.strList(f.get("use"), name+".use"); err != nil {
		return l, checkPaths{}, err
	}
	if l.Except, err = d.strList(f.get("except"), name+".except"); err != nil {
		return l, checkPaths{}, err
	}
	paths, err := d.checkPaths(f, name)
	if err != nil {
		return l, paths, err
	}
	for _, e := range paths.ignore {
		l.Ignore = append(l.Ignore, e.path)
	}
	for _, k := range paths.onlyKeys {
		if l.IgnoreOnly == nil {
			l.IgnoreOnly = map[string][]string{}
		}
		l.IgnoreOnly[k] = []string{}
		for _, e := range paths.ignoreOnly[k] {
			l.IgnoreOnly[k] = append(l.IgnoreOnly[k], e.path)
		}
	}
	strs := []struct {
		key string
		dst *string
	}{{"enum_zero_value_suffix", &l.EnumZeroValueSuffix}, {"service_suffix", &l.ServiceSuffix}}
	for _, s := range strs {
		if *s.dst, err = d.str(f.get(s.key), name+"."+s.key); err != nil {
			return l, paths, err
		}
	}
	bools := []struct {
		key string
		dst *bool
	}{
		{"rpc_allow_same_request_response", &l.RPCAllowSameRequestResponse},
		{"rpc_allow_google_protobuf_empty_requests", &l.RPCAllowGoogleProtobufEmptyRequests},
		{"rpc_allow_google_protobuf_empty_responses", &l.RPCAllowGoogleProtobufEmptyResponses},
		{"disallow_comment_ignores", &l.DisallowCommentIgnores},
		{"disable_builtin", &l.DisableBuiltin},
	}
	for _, b := range bools {
		if *b.dst, err = d.boolean(f.get(b.key), name+"."+b.key); err != nil {
			return l, paths, err
		}
	}
	return l, paths, nil
}

func (d decoder) deps(n *yaml.Node) ([]Dep, error) {
	var out []Dep
	seen := map[string]Pos{}
	err := d.list(n, "deps", func(i int, e *yaml.Node) error {
		field := fmt.Sprintf("deps[%d]", i)
		s, err := d.str(e, field)
		if err != nil {
			return err
		}
		full, err := checkRef(s)
		if err != nil {
			return d.errorf(e, KindInvalid, "%s: %v", field, err)
		}
		pos := Pos{File: d.file, Line: e.Line, Col: e.Column}
		if prev, dup := seen[full]; dup {
			return d.errorf(e, KindInvalid, "%s: module %q is already a dependency at %s", field, full, prev)
		}
		seen[full] = pos
		out = append(out, Dep{Ref: s, Pos: pos})
		return nil
	})
	return out, err
}

func (d decoder) checkPlugins(n *yaml.Node) ([]CheckPlugin, error) {
	var out []CheckPlugin
	err := d.list(n, "plugins", func(i int, e *yaml.Node) error {
		field := fmt.Sprintf("plugins[%d]", i)
		f, err := d.mapping(e, field, "in plugin", checkPlugKey)
		if err != nil {
			return err
		}
		p := CheckPlugin{Pos: Pos{File: d.file, Line: e.Line, Col: e.Column}}
		if p.Plugin, err = d.strOrList(f.get("plugin"), field+".plugin"); err != nil {
			return err
		}
		if len(p.Plugin) == 0 {
			return d.errorf(e, KindInvalid, "%s: plugin is required", field)
		}
		opts := f.get("options")
		if !isNull(opts) {
			if opts.Kind != yaml.MappingNode {
				return d.typeError(opts, field+".options", "a mapping")
			}
			p.Options = map[string]any{}
			for j := 0; j+1 < len(opts.Content); j += 2 {
				k, v := deref(opts.Content[j]), deref(opts.Content[j+1])
				if k.Value == "" {
					return d.errorf(k, KindInvalid, "%s.options: empty option name", field)
				}
				if isNull(v) {
					return d.errorf(k, KindInvalid, "%s.options.%s: value is required", field, k.Value)
				}
				var val any
				if err := v.Decode(&val); err != nil {
					return d.errorf(v, KindType, "%s.options.%s: %v", field, k.Value, err)
				}
				p.Options[k.Value] = val
			}
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

func (d decoder) policies(n *yaml.Node) ([]Policy, error) {
	var out []Policy
	err := d.list(n, "policies", func(i int, e *yaml.Node) error {
		field := fmt.Sprintf("policies[%d]", i)
		f, err := d.mapping(e, field, "in policy", policyKeys)
		if err != nil {
			return err
		}
		p := Policy{Pos: Pos{File: d.file, Line: e.Line, Col: e.Column}}
		if p.Policy, err = d.str(f.get("policy"), field+".policy"); err != nil {
			return err
		}
		if p.Policy == "" {
			return d.errorf(e, KindInvalid, "%s: policy is required", field)
		}
		paths, err := d.checkPaths(f, field)
		if err != nil {
			return err
		}
		r, err := d.resolve(paths, ".", false)
		if err != nil {
			return err
		}
		p.Ignore, p.IgnoreOnly = r.ignore, r.ignoreOnly
		out = append(out, p)
		return nil
	})
	return out, err
}

// checkFullName checks a module name: registry/owner/name.
func checkFullName(s string) error {
	parts := strings.Split(s, "/")
	if len(parts) != 3 || slicesAnyBlank(parts) {
		return fmt.Errorf("module name %q must be registry/owner/name", s)
	}
	if strings.ContainsAny(parts[0], " \t@") {
		return fmt.Errorf("module name %q: registry %q is not a host name", s, parts[0])
	}
	return nil
}

// checkRef checks a dependency, registry/owner/name[:ref], and returns its
// registry/owner/name.
func checkRef(s string) (string, error) {
	registry, rest, _ := strings.Cut(s, "/")
	nameOnly, ref, hasRef := strings.Cut(rest, ":")
	full := registry + "/" + nameOnly
	if hasRef && (strings.TrimSpace(ref) == "" || strings.Contains(ref, ":")) || checkFullName(full) != nil {
		return "", fmt.Errorf("dependency %q must be registry/owner/name or registry/owner/name:ref", s)
	}
	return full, nil
}

func slicesAnyBlank(parts []string) bool {
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			return true
		}
	}
	return false
}
