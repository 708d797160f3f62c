package bufconfig

import (
	"errors"
	"io/fs"
	"path"
	"time"
)

// DefaultGenTimeout is how long one plugin invocation may run when
// protoctl.yaml does not say.
const DefaultGenTimeout = 2 * time.Minute

// ProtoctlYAML is protoctl's own settings file, protoctl.yaml, next to
// buf.yaml:
//
//	version: v1
//	python:
//	  import_root: python/src
//	  requirements: python/requirements-runtime.txt
//	gen:
//	  timeout: 2m
type ProtoctlYAML struct {
	// File is the name the file was read under; empty for the defaults
	// of an absent file.
	File   string
	Python Python
	Gen    Gen
}

// Python holds the settings for generated Python code.
type Python struct {
	// ImportRoot is the directory, relative to the workspace root, that
	// Python imports are resolved from; Python outputs must lie under it.
	// Empty means no import rewriting.
	ImportRoot string
	// Requirements is where protoctl writes the runtime constraints it
	// computes, relative to the workspace root; empty means nowhere.
	Requirements string
}

// Gen holds the settings of protoctl gen.
type Gen struct {
	// Timeout bounds one plugin invocation.
	Timeout time.Duration
}

var (
	protoctlKeys = []string{"version", "python", "gen"}
	pythonKeys   = []string{"import_root", "requirements"}
	genKeys      = []string{"timeout"}
)

// DefaultProtoctlYAML returns the settings used when there is no
// protoctl.yaml.
func DefaultProtoctlYAML() *ProtoctlYAML {
	return &ProtoctlYAML{Gen: Gen{Timeout: DefaultGenTimeout}}
}

// ReadProtoctlYAML reads the protoctl.yaml at name in fsys; an absent file
// gives the defaults.
func ReadProtoctlYAML(fsys fs.FS, name string) (*ProtoctlYAML, error) {
	data, err := readFile(fsys, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return DefaultProtoctlYAML(), nil
		}
		return nil, err
	}
	return ParseProtoctlYAML(name, data)
}

// ParseProtoctlYAML parses protoctl.yaml content; name is used in errors.
func ParseProtoctlYAML(name string, data []byte) (*ProtoctlYAML, error) {
	d := decoder{file: name}
	root, err := d.document(data, "protoctl.yaml", "v1", nil)
	if err != nil {
		return nil, err
	}
	f, err := d.mapping(root, "protoctl.yaml", "in protoctl.yaml", protoctlKeys)
	if err != nil {
		return nil, err
	}
	c := DefaultProtoctlYAML()
	c.File = name
	py, err := d.mapping(f.get("python"), "python", "in python", pythonKeys)
	if err != nil {
		return nil, err
	}
	for _, s := range []struct {
		key string
		dst *string
	}{{"import_root", &c.Python.ImportRoot}, {"requirements", &c.Python.Requirements}} {
		v, err := d.str(py.get(s.key), "python."+s.key)
		if err != nil {
			return nil, err
		}
		if v == "" {
			continue
		}
		clean, err := cleanPath(v)
		if err != nil {
			return nil, d.errorf(py.get(s.key), KindInvalid, "python.%s: %v", s.key, err)
		}
		*s.dst = clean
	}
	if c.Python.Requirements == "." || path.Base(c.Python.Requirements) == ".." {
		return nil, d.errorf(py.get("requirements"), KindInvalid, "python.requirements: must name a file")
	}
	gen, err := d.mapping(f.get("gen"), "gen", "in gen", genKeys)
	if err != nil {
		return nil, err
	}
	if gen.has("timeout") {
		n := gen.get("timeout")
		s, err := d.str(n, "gen.timeout")
		if err != nil {
			return nil, err
		}
		t, perr := time.ParseDuration(s)
		if perr != nil || t <= 0 {
			return nil, d.errorf(n, KindInvalid, `gen.timeout: %q is not a positive duration such as "2m" or "90s"`, s)
		}
		c.Gen.Timeout = t
	}
	return c, nil
}
