package codegen

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/protoctl/protoctl/bufconfig"
)

// ConfigFrom resolves buf.gen.yaml and protoctl.yaml into a generation config,
// refusing what protoctl cannot do offline or does not support, with the
// place in the file. modules are buf.yaml's: managed-mode rules scoped to
// a module name apply to the files of the module with that name.
func ConfigFrom(tmpl *bufconfig.BufGenYAML, settings *bufconfig.ProtoctlYAML, modules []bufconfig.Module) (Config, error) {
	cfg := Config{
		Clean:              tmpl.Clean,
		PythonImportRoot:   settings.Python.ImportRoot,
		PythonRequirements: settings.Python.Requirements,
		Timeout:            settings.Gen.Timeout,
	}
	if tmpl.Managed.Enabled {
		cfg.Managed = func(importPath, protoPackage, localPath string) ManagedFile {
			module := moduleName(modules, localPath)
			var m ManagedFile
			for _, o := range tmpl.Managed.FileOptions(module, importPath, protoPackage) {
				m.Options = append(m.Options, FileOption{Number: o.Number, Value: o.Value})
			}
			m.JSType = tmpl.Managed.JSType(module, importPath)
			return m
		}
	}
	for _, in := range tmpl.Inputs {
		if in.Kind != "directory" || filepath.Clean(in.Location) != "." {
			return cfg, fmt.Errorf("%s: input %s %q is not supported: protoctl generates from the workspace itself (remove inputs)", in.Pos, in.Kind, in.Location)
		}
	}
	for _, p := range tmpl.Plugins {
		if len(p.Types) > 0 || len(p.ExcludeTypes) > 0 {
			return cfg, fmt.Errorf("%s: types and exclude_types are not supported by protoctl yet", p.Pos)
		}
		out := Plugin{
			Out: p.Out, Opt: p.Opt, Strategy: p.Strategy,
			IncludeImports: p.IncludeImports, IncludeWKT: p.IncludeWKT,
			Where: p.Pos.String(),
		}
		switch p.Kind {
		case bufconfig.PluginRemote:
			return cfg, fmt.Errorf("%s: remote plugin %s needs the Buf Schema Registry, and protoctl runs offline: use `local: protoc-gen-<name>` pinned in %s instead", p.Pos, p.Remote, LockFileName)
		case bufconfig.PluginLocal:
			if len(p.Local) != 1 {
				return cfg, fmt.Errorf("%s: local plugin %q with arguments is not supported: protoctl runs the pinned binary by name", p.Pos, strings.Join(p.Local, " "))
			}
			out.Local = filepath.Base(p.Local[0])
		case bufconfig.PluginProtocBuiltin:
			// protoc_path is for buf; protoctl always runs the pinned protoc.
			out.Builtin = p.ProtocBuiltin
		}
		cfg.Plugins = append(cfg.Plugins, out)
	}
	return cfg, nil
}

// moduleName is the name of the module holding a workspace file (by its
// workspace-relative path), "" when the module is unnamed.
func moduleName(modules []bufconfig.Module, localPath string) string {
	best, name := -1, ""
	for _, m := range modules {
		if m.Path == "." || localPath == m.Path || strings.HasPrefix(localPath, m.Path+"/") {
			if len(m.Path) > best {
				best, name = len(m.Path), m.Name
			}
		}
	}
	return name
}
