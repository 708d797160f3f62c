package codegen

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

//go:embed shim/protoc_gen_grpc_python.py
var grpcPythonShim string

// GRPCPythonPlugin is the local plugin name under which protoctl (and the
// shim BinDir installs for buf) provides the pinned grpc_python generator.
const GRPCPythonPlugin = "protoc-gen-grpc_python"

// BinDir installs the pins and returns a directory holding exactly them
// under the names other tools look for on PATH: each Go plugin, `protoc`
// (the pinned grpcio-tools protoc, with the python and pyi builtins) and
// protoc-gen-grpc_python. `PATH=$(protoctl toolchain bin):$PATH buf
// generate` makes buf run the same generators protoctl runs.
func (t *Toolchain) BinDir(ctx context.Context) (string, error) {
	if err := t.InstallAll(ctx); err != nil {
		return "", err
	}
	dir := filepath.Join(t.Dir, "bin", t.Lock.Digest()[:16])
	files := map[string]string{}
	var names []string
	for _, p := range t.Lock.Go {
		bin, err := t.GoPlugin(ctx, p.Name)
		if err != nil {
			return "", err
		}
		files[p.Name] = "#!/bin/sh\nexec " + shellQuote(bin) + " \"$@\"\n"
		names = append(names, p.Name)
	}
	if t.Lock.Python != nil {
		env, err := t.Python(ctx)
		if err != nil {
			return "", err
		}
		files["protoc"] = "#!/bin/sh\nexec " + shellQuote(env.Python) + " -c " + shellQuote(protocMain) + " \"$@\"\n"
		files[GRPCPythonPlugin] = "#!" + env.Python + "\n" + grpcPythonShim
		names = append(names, "protoc", GRPCPythonPlugin)
		for _, p := range t.Lock.Python.Plugins {
			files[p] = "#!/bin/sh\nexec " + shellQuote(filepath.Join(filepath.Dir(env.Python), p)) + " \"$@\"\n"
			names = append(names, p)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, n)
		if cur, err := os.ReadFile(p); err == nil && string(cur) == files[n] {
			continue
		}
		if err := writeAtomic(p, []byte(files[n])); err != nil {
			return "", err
		}
		if err := os.Chmod(p, 0o755); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func shellQuote(s string) string {
	return fmt.Sprintf("'%s'", escapeSingle(s))
}

func escapeSingle(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, []byte(`'\''`)...)
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}
