package codegen

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// Plugin is one entry of buf.gen.yaml's plugins, resolved to what protoctl
// runs.
type Plugin struct {
	// Local is the plugin binary name (`local: protoc-gen-go`); it must be
	// pinned in the lock.
	Local string
	// Builtin is a protoc builtin name (`protoc_builtin: python`); it must
	// be provided by the pinned Python generators.
	Builtin string
	// Out is the output directory relative to the workspace root.
	Out string
	// Opt are the plugin options, joined with commas into the request's
	// parameter as buf does.
	Opt []string
	// Strategy is "directory" (default) or "all".
	Strategy string
	// IncludeImports generates for imported files too; IncludeWKT also for
	// the well-known types.
	IncludeImports, IncludeWKT bool
	// Where locates the entry in its config file ("buf.gen.yaml:7:5"), for
	// messages.
	Where string
}

// Name is how messages call the plugin.
func (p Plugin) Name() string {
	if p.Local != "" {
		return p.Local
	}
	return "protoc_builtin " + p.Builtin
}

// Config is a generation template: buf.gen.yaml plus protoctl.yaml,
// resolved.
type Config struct {
	Plugins []Plugin
	// Clean removes files under each plugin's out that the run did not
	// generate.
	Clean bool
	// Managed returns what managed mode changes in a workspace file: file
	// options (an option whose value the file already has, or that the
	// file's edition removed, is skipped) and field options. Nil disables
	// managed mode.
	Managed func(importPath, protoPackage, localPath string) ManagedFile
	// PythonImportRoot, when set, is the directory (relative to the
	// workspace root) that Python imports are resolved from. Python outputs
	// under it get their imports of each other rewritten to include the
	// package prefix, __init__.py files, and py.typed.
	PythonImportRoot string
	// PythonRequirements, when set, is where the runtime constraints of the
	// generated Python code are written (relative to the workspace root).
	PythonRequirements string
	// Timeout bounds one plugin invocation.
	Timeout time.Duration
}

// validate checks what can be checked without the image.
func (c *Config) validate(lock *Lock) error {
	if len(c.Plugins) == 0 {
		return fmt.Errorf("buf.gen.yaml: no plugins")
	}
	for i := range c.Plugins {
		p := &c.Plugins[i]
		where := p.Where
		if where == "" {
			where = fmt.Sprintf("plugin %d", i+1)
		}
		if p.Strategy == "" {
			p.Strategy = "directory"
		}
		if p.Strategy != "directory" && p.Strategy != "all" {
			return fmt.Errorf("%s: unknown strategy %q (use directory or all)", where, p.Strategy)
		}
		out, err := cleanRel(p.Out)
		if err != nil {
			return fmt.Errorf("%s: out %q: %v", where, p.Out, err)
		}
		p.Out = out
		if _, ok := lock.GoPlugin(p.Local); !ok && p.Local == GRPCPythonPlugin && lock.HasBuiltin("grpc_python") {
			// grpcio-tools has no plugin binary; buf users name the
			// generator this way (with `protoctl toolchain bin` on PATH).
			p.Local, p.Builtin = "", "grpc_python"
		}
		switch {
		case p.Local != "" && lock.HasPythonPlugin(p.Local):
		case p.Local != "":
			if _, ok := lock.GoPlugin(p.Local); !ok {
				return fmt.Errorf("%s: unknown plugin %q: it is not pinned in %s, and protoctl never runs an unpinned plugin from PATH (pin it with `protoctl toolchain upgrade --go %s=<package>@<version>`)", where, p.Local, LockFileName, p.Local)
			}
		case p.Builtin != "":
			if !lock.HasBuiltin(p.Builtin) {
				have := "none"
				if lock.Python != nil {
					have = strings.Join(lock.Python.Builtins, ", ")
				}
				return fmt.Errorf("%s: unknown protoc_builtin %q: the pinned generators provide %s", where, p.Builtin, have)
			}
		default:
			return fmt.Errorf("%s: plugin has neither local nor protoc_builtin", where)
		}
	}
	if c.PythonImportRoot != "" {
		r, err := cleanRel(c.PythonImportRoot)
		if err != nil {
			return fmt.Errorf("protoctl.yaml: python.import_root %q: %v", c.PythonImportRoot, err)
		}
		c.PythonImportRoot = r
	}
	if c.PythonRequirements != "" {
		r, err := cleanRel(c.PythonRequirements)
		if err != nil {
			return fmt.Errorf("protoctl.yaml: python.requirements %q: %v", c.PythonRequirements, err)
		}
		c.PythonRequirements = r
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Minute
	}
	return nil
}

// cleanRel normalizes a workspace-relative path and rejects one that is
// absolute or leaves the workspace.
func cleanRel(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("empty path")
	}
	if path.IsAbs(p) || strings.HasPrefix(p, `\`) || (len(p) > 1 && p[1] == ':') {
		return "", fmt.Errorf("must be relative to the workspace root")
	}
	c := path.Clean(strings.ReplaceAll(p, `\`, "/"))
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("leaves the workspace")
	}
	return c, nil
}

// under reports whether p is dir or inside it.
func under(p, dir string) bool {
	return dir == "." || p == dir || strings.HasPrefix(p, dir+"/")
}

// mergeable reports whether a plugin's output for a file depends only on
// that file and its imports, so that several directories can share one
// invocation without changing a byte of output.
func (p Plugin) mergeable() bool {
	return p.Builtin != "" || slices.Contains([]string{"protoc-gen-go", "protoc-gen-go-grpc", "protoc-gen-mypy", "protoc-gen-mypy_grpc"}, p.Local)
}
