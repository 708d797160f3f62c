// Command interopschema writes the Python code of the gRPC interop schema
// (grpc.testing.TestService and its messages) that the reference server
// serves, so that grpc-go's interop client can test it.
//
// The schema is not copied from anywhere: it is the set of descriptors the
// grpc-go module registers in google.golang.org/grpc/interop/grpc_testing,
// read from the Go registry at run time (test.proto, messages.proto,
// empty.proto). The pinned generators of protoctl.lock (grpcio-tools'
// protoc with the python and grpc_python builtins, mypy-protobuf for the
// typed stubs) turn it into Python under the package interoppb, because a
// top-level package named grpc would shadow grpcio itself: the modules'
// imports of each other are rewritten to interoppb.grpc.testing the way
// `protoctl gen` rewrites under python.import_root.
//
// Usage, from the repository root:
//
//	go run ./internal/interopschema            # write python/src/interoppb
//	go run ./internal/interopschema -check     # exit 100 if it drifted
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/protoctl/protoctl/codegen"

	_ "google.golang.org/grpc/interop/grpc_testing" // registers grpc/testing/*.proto
)

// schemaFiles are the interop files the server needs; their imports come along.
var schemaFiles = []string{"grpc/testing/test.proto", "grpc/testing/messages.proto", "grpc/testing/empty.proto"}

// pkg is the Python package the generated modules live under.
const pkg = "interoppb"

// protocMain runs grpcio-tools' protoc as a library call; every descriptor
// comes from --descriptor_set_in, nothing from its bundled includes.
const protocMain = "import sys\nfrom grpc_tools import protoc\nsys.exit(protoc.main(['protoc'] + sys.argv[1:]))\n"

func main() {
	out := flag.String("out", filepath.Join("python", "src", pkg), "directory of the generated package")
	check := flag.Bool("check", false, "write nothing; list files that differ and exit 100 if any")
	flag.Parse()
	files, err := generate(context.Background())
	if err == nil {
		var drift []string
		drift, err = sync(*out, files, *check)
		if err == nil && len(drift) > 0 {
			for _, d := range drift {
				fmt.Fprintln(os.Stderr, d)
			}
			fmt.Fprintf(os.Stderr, "interopschema: %s drifted from the interop schema; run `go run ./internal/interopschema`\n", *out)
			os.Exit(100)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "interopschema: %v\n", err)
		os.Exit(1)
	}
}

// descriptorSet returns the schema files and their imports, dependencies first.
func descriptorSet() (*descriptorpb.FileDescriptorSet, error) {
	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := range imports.Len() {
			add(imports.Get(i).FileDescriptor)
		}
		set.File = append(set.File, protodesc.ToFileDescriptorProto(fd))
	}
	for _, name := range schemaFiles {
		fd, err := protoregistry.GlobalFiles.FindFileByPath(name)
		if err != nil {
			return nil, fmt.Errorf("%s: not registered by grpc-go: %v", name, err)
		}
		add(fd)
	}
	return set, nil
}

// generate runs the pinned generators and returns the package's files by
// path relative to the package directory.
func generate(ctx context.Context) (map[string][]byte, error) {
	set, err := descriptorSet()
	if err != nil {
		return nil, err
	}
	lock, err := codegen.ReadLock(codegen.LockFileName)
	if err != nil {
		return nil, err
	}
	cache, err := codegen.CacheDir()
	if err != nil {
		return nil, err
	}
	tc := &codegen.Toolchain{Lock: lock, Dir: cache, Log: os.Stderr}
	env, err := tc.Python(ctx)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "protoctl-interop-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(set)
	if err != nil {
		return nil, err
	}
	setPath := filepath.Join(tmp, "schema.binpb")
	if err := os.WriteFile(setPath, data, 0o644); err != nil {
		return nil, err
	}
	gen := filepath.Join(tmp, "out")
	if err := os.Mkdir(gen, 0o755); err != nil {
		return nil, err
	}
	bin := filepath.Dir(env.Python)
	args := []string{"-c", protocMain, "--descriptor_set_in=" + setPath,
		"--plugin=protoc-gen-mypy=" + filepath.Join(bin, "protoc-gen-mypy"),
		"--plugin=protoc-gen-mypy_grpc=" + filepath.Join(bin, "protoc-gen-mypy_grpc"),
		"--python_out=" + gen, "--grpc_python_out=" + gen, "--mypy_out=" + gen, "--mypy_grpc_out=" + gen}
	args = append(args, schemaFiles...)
	cmd := exec.CommandContext(ctx, env.Python, args...)
	cmd.Dir = tmp
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("protoc: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	files := map[string][]byte{}
	err = filepath.WalkDir(gen, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(gen, p)
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	modules := map[string]bool{}
	for name := range files {
		modules[strings.ReplaceAll(strings.TrimSuffix(strings.TrimSuffix(name, ".pyi"), ".py"), "/", ".")] = true
	}
	for name, b := range files {
		files[name] = codegen.RewritePythonImports(b, pkg, modules)
		for dir := filepath.ToSlash(filepath.Dir(name)); dir != "."; dir = filepath.ToSlash(filepath.Dir(dir)) {
			if _, ok := files[dir+"/__init__.py"]; !ok {
				files[dir+"/__init__.py"] = nil
			}
		}
	}
	files["__init__.py"] = []byte("\"\"\"Generated Python code of the gRPC interop schema (grpc.testing); see internal/interopschema.\"\"\"\n")
	files["py.typed"] = nil
	return files, nil
}

// sync makes dir hold exactly files, or with check only lists what differs.
func sync(dir string, files map[string][]byte, check bool) ([]string, error) {
	var drift []string
	have := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return fs.SkipAll
		}
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if strings.Contains(rel, "__pycache__") {
			return nil
		}
		have[rel] = true
		if _, ok := files[rel]; !ok {
			drift = append(drift, "removed: "+filepath.Join(dir, rel))
			if !check {
				return os.Remove(p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if cur, err := os.ReadFile(p); err == nil && bytes.Equal(cur, files[name]) {
			continue
		}
		if have[name] {
			drift = append(drift, "changed: "+p)
		} else {
			drift = append(drift, "added: "+p)
		}
		if check {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return nil, err
		}
	}
	if check {
		return drift, nil
	}
	return nil, nil
}
