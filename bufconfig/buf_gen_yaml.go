package bufconfig

import (
	"fmt"
	"io/fs"
	"math"
	"strings"

	"gopkg.in/yaml.v3"
)

// BufGenYAML is a v2 buf.gen.yaml: a generation template.
type BufGenYAML struct {
	// File is the name the file was read or parsed under.
	File string
	// Clean removes the contents of each plugin's out before generating.
	Clean   bool
	Managed Managed
	Plugins []Plugin
	// Inputs are the template's inputs; protoctl generates from directory
	// inputs only, the others are kept so the caller can reject them with
	// their position.
	Inputs []Input
}

// PluginKind says where a plugin comes from.
type PluginKind int

const (
	// PluginLocal is a binary on PATH or a command (local).
	PluginLocal PluginKind = iota
	// PluginProtocBuiltin is a generator built into protoc (protoc_builtin).
	PluginProtocBuiltin
	// PluginRemote is a plugin run by the Buf Schema Registry (remote).
	PluginRemote
)

var pluginKindNames = [...]string{"local", "protoc_builtin", "remote"}

// String returns the buf.gen.yaml key of the kind.
func (k PluginKind) String() string {
	if int(k) < len(pluginKindNames) {
		return pluginKindNames[k]
	}
	return fmt.Sprintf("PluginKind(%d)", int(k))
}

// MarshalText renders the kind as its key.
func (k PluginKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Plugin is one entry of plugins.
type Plugin struct {
	Kind PluginKind
	// Local is the command for a local plugin: a binary name or path,
	// possibly with arguments.
	Local []string
	// ProtocBuiltin is the protoc generator name ("python", "cpp").
	ProtocBuiltin string
	// ProtocPath is the protoc command for a protoc builtin, possibly with
	// arguments; empty means protoc on PATH.
	ProtocPath []string
	// Remote and Revision name a remote plugin.
	Remote   string
	Revision int
	// Out is the output directory, relative to the workspace root.
	Out string
	// Opt are the plugin options; buf joins them with commas.
	Opt []string
	// IncludeImports generates for imported files too; IncludeWKT also
	// for the well-known types (it requires IncludeImports).
	IncludeImports bool
	IncludeWKT     bool
	// Strategy is "directory" (the default, one request per directory) or
	// "all" (one request); empty for remote plugins.
	Strategy string
	// Types and ExcludeTypes restrict generation to (or away from) fully
	// qualified type names.
	Types        []string
	ExcludeTypes []string
	// Pos is the plugin's entry, for later messages about it.
	Pos Pos
}

// Name is how messages call the plugin: the local command, the protoc
// builtin or the remote reference.
func (p Plugin) Name() string {
	switch p.Kind {
	case PluginLocal:
		return strings.Join(p.Local, " ")
	case PluginProtocBuiltin:
		return "protoc_builtin " + p.ProtocBuiltin
	}
	return p.Remote
}

// Input is one entry of inputs. Kind is the input's key ("directory",
// "git_repo", "module", "proto_file", "tarball", "zip_archive",
// "binary_image", "json_image", "text_image", "yaml_image") and Location
// its value.
type Input struct {
	Kind     string
	Location string
	// Paths and ExcludePaths filter the input's files.
	Paths        []string
	ExcludePaths []string
	Types        []string
	ExcludeTypes []string
	// Options particular to some kinds; zero when unset.
	Compression         string
	StripComponents     int
	Subdir              string
	Branch              string
	Commit              string
	Tag                 string
	Ref                 string
	Depth               int
	RecurseSubmodules   bool
	IncludePackageFiles bool
	Pos                 Pos
}

var (
	bufGenYAMLKeys = []string{"version", "clean", "managed", "plugins", "inputs"}
	pluginKeys     = []string{"local", "protoc_builtin", "protoc_path", "remote", "revision", "out", "opt", "include_imports", "include_wkt", "strategy", "types", "exclude_types"}
	inputKinds     = []string{"binary_image", "directory", "git_repo", "json_image", "module", "proto_file", "tarball", "text_image", "yaml_image", "zip_archive"}
	inputOptions   = []string{"compression", "strip_components", "subdir", "branch", "commit", "tag", "ref", "depth", "recurse_submodules", "include_package_files"}
	inputKeys      = append(append([]string{"types", "exclude_types", "paths", "exclude_paths"}, inputKinds...), inputOptions...)
	// inputAllows lists the options each kind of input takes, as buf does.
	inputAllows = map[string][]string{
		"git_repo":     {"branch", "commit", "tag", "ref", "depth", "recurse_submodules", "subdir"},
		"proto_file":   {"include_package_files"},
		"tarball":      {"compression", "strip_components", "subdir"},
		"zip_archive":  {"strip_components", "subdir"},
		"binary_image": {"compression"},
		"json_image":   {"compression"},
		"text_image":   {"compression"},
		"yaml_image":   {"compression"},
	}
)

// ReadBufGenYAML reads and parses the buf.gen.yaml at name in fsys.
func ReadBufGenYAML(fsys fs.FS, name string) (*BufGenYAML, error) {
	data, err := readFile(fsys, name)
	if err != nil {
		return nil, err
	}
	return ParseBufGenYAML(name, data)
}

// ParseBufGenYAML parses buf.gen.yaml content; name is used in errors. A
// template that is valid for buf but names a remote plugin fails with an
// *Error of kind KindRemotePlugin at that plugin.
func ParseBufGenYAML(name string, data []byte) (*BufGenYAML, error) {
	d := decoder{file: name}
	root, err := d.document(data, "buf.gen.yaml", "v2", []string{"v1", "v1beta1"})
	if err != nil {
		return nil, err
	}
	f, err := d.mapping(root, "buf.gen.yaml", "in buf.gen.yaml", bufGenYAMLKeys)
	if err != nil {
		return nil, err
	}
	g := &BufGenYAML{File: name}
	if g.Clean, err = d.boolean(f.get("clean"), "clean"); err != nil {
		return nil, err
	}
	if g.Managed, err = d.managed(f.get("managed")); err != nil {
		return nil, err
	}
	err = d.list(f.get("plugins"), "plugins", func(i int, n *yaml.Node) error {
		p, err := d.plugin(n, fmt.Sprintf("plugins[%d]", i))
		g.Plugins = append(g.Plugins, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(g.Plugins) == 0 {
		return nil, d.errorf(root, KindInvalid, "plugins: at least one plugin is required")
	}
	err = d.list(f.get("inputs"), "inputs", func(i int, n *yaml.Node) error {
		in, err := d.input(n, fmt.Sprintf("inputs[%d]", i))
		g.Inputs = append(g.Inputs, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, p := range g.Plugins {
		if p.Kind == PluginRemote {
			return nil, &Error{
				File: name, Line: p.Pos.Line, Col: p.Pos.Col, Kind: KindRemotePlugin,
				Message: fmt.Sprintf("remote plugin %q needs the Buf Schema Registry; protoctl runs offline: pin a local plugin instead", p.Remote),
			}
		}
	}
	return g, nil
}

func (d decoder) plugin(n *yaml.Node, name string) (Plugin, error) {
	p := Plugin{Pos: Pos{File: d.file, Line: n.Line, Col: n.Column}}
	f, err := d.mapping(n, name, "in plugin", pluginKeys)
	if err != nil {
		return p, err
	}
	var kinds []string
	for _, k := range []string{"local", "protoc_builtin", "remote"} {
		if f.has(k) {
			kinds = append(kinds, k)
		}
	}
	switch len(kinds) {
	case 0:
		return p, d.errorf(n, KindInvalid, "%s: set one of local, protoc_builtin or remote", name)
	case 1:
	default:
		return p, d.errorf(f.key(kinds[1]), KindInvalid, "%s: set only one of local, protoc_builtin or remote, not both %s and %s", name, kinds[0], kinds[1])
	}
	if p.Out, err = d.str(f.get("out"), name+".out"); err != nil {
		return p, err
	}
	if p.Out == "" {
		return p, d.errorf(n, KindInvalid, "%s: out is required", name)
	}
	if p.Strategy, err = d.str(f.get("strategy"), name+".strategy"); err != nil {
		return p, err
	}
	switch p.Strategy {
	case "", "directory", "all":
	default:
		return p, d.errorf(f.get("strategy"), KindInvalid, `%s.strategy: unknown strategy %q; use "directory" or "all"`, name, p.Strategy)
	}
	if p.Opt, err = d.strOrList(f.get("opt"), name+".opt"); err != nil {
		return p, err
	}
	if p.IncludeImports, err = d.boolean(f.get("include_imports"), name+".include_imports"); err != nil {
		return p, err
	}
	if p.IncludeWKT, err = d.boolean(f.get("include_wkt"), name+".include_wkt"); err != nil {
		return p, err
	}
	if p.Types, err = d.strList(f.get("types"), name+".types"); err != nil {
		return p, err
	}
	if p.ExcludeTypes, err = d.strList(f.get("exclude_types"), name+".exclude_types"); err != nil {
		return p, err
	}
	notWith := func(key, kind string) error {
		if f.has(key) {
			return d.errorf(f.key(key), KindInvalid, "%s: %s cannot be set for a %s plugin", name, key, kind)
		}
		return nil
	}
	switch kinds[0] {
	case "remote":
		p.Kind = PluginRemote
		if p.Remote, err = d.str(f.get("remote"), name+".remote"); err != nil {
			return p, err
		}
		rev, err := d.integer(f.get("revision"), name+".revision")
		if err != nil {
			return p, err
		}
		if rev < 0 || rev > math.MaxInt32 {
			return p, d.errorf(f.get("revision"), KindInvalid, "%s.revision: %d is out of range 0-%d", name, rev, math.MaxInt32)
		}
		p.Revision = int(rev)
		if err := cmpErr(notWith("strategy", "remote"), notWith("protoc_path", "remote")); err != nil {
			return p, err
		}
	case "local":
		p.Kind = PluginLocal
		if p.Local, err = d.strOrList(f.get("local"), name+".local"); err != nil {
			return p, err
		}
		if len(p.Local) == 0 || p.Local[0] == "" {
			return p, d.errorf(f.get("local"), KindInvalid, "%s.local: the plugin command is empty", name)
		}
		if err := cmpErr(notWith("revision", "local"), notWith("protoc_path", "local")); err != nil {
			return p, err
		}
	case "protoc_builtin":
		p.Kind = PluginProtocBuiltin
		if p.ProtocBuiltin, err = d.str(f.get("protoc_builtin"), name+".protoc_builtin"); err != nil {
			return p, err
		}
		if p.ProtocPath, err = d.strOrList(f.get("protoc_path"), name+".protoc_path"); err != nil {
			return p, err
		}
		if err := notWith("revision", "protoc_builtin"); err != nil {
			return p, err
		}
	}
	if p.Kind != PluginRemote && p.Strategy == "" {
		p.Strategy = "directory"
	}
	if p.IncludeWKT && !p.IncludeImports {
		return p, d.errorf(f.key("include_wkt"), KindInvalid, "%s: include_wkt requires include_imports", name)
	}
	return p, nil
}

// cmpErr returns the first non-nil error.
func cmpErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (d decoder) input(n *yaml.Node, name string) (Input, error) {
	in := Input{Pos: Pos{File: d.file, Line: n.Line, Col: n.Column}}
	f, err := d.mapping(n, name, "in input", inputKeys)
	if err != nil {
		return in, err
	}
	var kinds []string
	for _, k := range inputKinds {
		if f.has(k) {
			kinds = append(kinds, k)
		}
	}
	switch len(kinds) {
	case 0:
		return in, d.errorf(n, KindInvalid, "%s: set one of %s", name, strings.Join(inputKinds, ", "))
	case 1:
	default:
		return in, d.errorf(f.key(kinds[1]), KindInvalid, "%s: set only one of %s, not both %s and %s", name, strings.Join(inputKinds, ", "), kinds[0], kinds[1])
	}
	in.Kind = kinds[0]
	if in.Location, err = d.str(f.get(in.Kind), name+"."+in.Kind); err != nil {
		return in, err
	}
	for _, l := range []struct {
		key string
		dst *[]string
	}{{"paths", &in.Paths}, {"exclude_paths", &in.ExcludePaths}, {"types", &in.Types}, {"exclude_types", &in.ExcludeTypes}} {
		if *l.dst, err = d.strList(f.get(l.key), name+"."+l.key); err != nil {
			return in, err
		}
	}
	for _, opt := range inputOptions {
		if f.has(opt) && !contains(inputAllows[in.Kind], opt) {
			return in, d.errorf(f.key(opt), KindInvalid, "%s: %s cannot be set for a %s input", name, opt, in.Kind)
		}
	}
	if f.has("commit") && f.has("tag") {
		return in, d.errorf(f.key("tag"), KindInvalid, "%s: set commit or tag, not both", name)
	}
	for _, s := range []struct {
		key string
		dst *string
	}{{"compression", &in.Compression}, {"subdir", &in.Subdir}, {"branch", &in.Branch}, {"commit", &in.Commit}, {"tag", &in.Tag}, {"ref", &in.Ref}} {
		if *s.dst, err = d.str(f.get(s.key), name+"."+s.key); err != nil {
			return in, err
		}
	}
	for _, s := range []struct {
		key string
		dst *int
	}{{"strip_components", &in.StripComponents}, {"depth", &in.Depth}} {
		v, err := d.integer(f.get(s.key), name+"."+s.key)
		if err != nil {
			return in, err
		}
		if v < 0 || v > math.MaxUint32 {
			return in, d.errorf(f.get(s.key), KindInvalid, "%s.%s: %d is out of range", name, s.key, v)
		}
		*s.dst = int(v)
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{{"recurse_submodules", &in.RecurseSubmodules}, {"include_package_files", &in.IncludePackageFiles}} {
		if *b.dst, err = d.boolean(f.get(b.key), name+"."+b.key); err != nil {
			return in, err
		}
	}
	return in, nil
}
