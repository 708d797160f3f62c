package input

// This file is the one place that reads buf.yaml, through package
// bufconfig.

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/protoctl/protoctl/bufconfig"
	"github.com/protoctl/protoctl/compile"
)

// Config is what protoctl uses from a buf.yaml.
type Config struct {
	// File names where the configuration came from, for messages.
	File string
	// Modules are the modules, with paths relative to the workspace root;
	// a buf.yaml without modules has one at ".".
	Modules []Module
	// Breaking is the top-level breaking section.
	Breaking Breaking
}

// Breaking is the breaking section that applies to a module.
type Breaking = bufconfig.Breaking

// Module is one module of a workspace.
type Module struct {
	// Path is the module root relative to the workspace root.
	Path string
	// Includes and Excludes are directories relative to the workspace root.
	Includes, Excludes []string
	// Breaking is the module's own breaking section, or the top-level one
	// when the module has none.
	Breaking Breaking
}

// compileModules returns the module roots for compile.
func (c *Config) compileModules() []compile.Module {
	if c == nil {
		return nil
	}
	out := make([]compile.Module, len(c.Modules))
	for i, m := range c.Modules {
		out[i] = compile.Module{Path: m.Path, Includes: m.Includes, Excludes: m.Excludes}
	}
	return out
}

// configFile is the name a workspace root is recognized by.
const configFile = "buf.yaml"

// readConfig reads the buf.yaml at the root of fsys; display is the
// directory to name in messages. It returns nil and no error when there is
// none.
func readConfig(fsys fs.FS, display string) (*Config, error) {
	data, err := fs.ReadFile(fsys, configFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	file := path.Join(display, configFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, unwrapPathError(err))
	}
	y, err := bufconfig.ParseBufYAML(file, data)
	if err != nil {
		return nil, err
	}
	return newConfig(y), nil
}

func newConfig(y *bufconfig.BufYAML) *Config {
	cfg := &Config{File: y.File, Breaking: y.Breaking}
	for _, m := range y.Modules {
		cfg.Modules = append(cfg.Modules, Module{Path: m.Path, Includes: m.Includes, Excludes: m.Excludes, Breaking: m.Breaking})
	}
	return cfg
}

// ParseConfigFlag reads the value of a --config flag: the path of a
// buf.yaml (a name ending in .yaml, .yml or .json), or the YAML or JSON
// data itself.
func ParseConfigFlag(value string) (*Config, error) {
	y, err := bufconfig.ParseBreakingConfigFlag(value)
	if err != nil {
		return nil, err
	}
	return newConfig(y), nil
}

func unwrapPathError(err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
