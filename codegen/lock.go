package codegen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// LockFileName is the lock file's name, next to buf.gen.yaml.
const LockFileName = "protoctl.lock"

const lockHeader = "# protoctl.lock pins every code generator by version and hash.\n" +
	"# Written by `protoctl toolchain upgrade`; commit it, do not edit it by hand.\n"

// Lock is the decoded protoctl.lock.
type Lock struct {
	Version string     `yaml:"version"`
	Go      []GoPlugin `yaml:"go,omitempty"`
	Python  *PyPins    `yaml:"python,omitempty"`
	// raw is the file's bytes, part of cache keys.
	raw []byte
}

// GoPlugin pins a protoc plugin written in Go.
type GoPlugin struct {
	// Name is the plugin's binary name, as buf.gen.yaml's `local` names it.
	Name string `yaml:"name"`
	// Package is the main package to build.
	Package string `yaml:"package"`
	// Module is the module that holds Package.
	Module  string `yaml:"module"`
	Version string `yaml:"version"`
	// Sum is the module's h1: hash, as go.sum and the checksum database
	// record it.
	Sum string `yaml:"sum"`
}

// PyPins pins the Python generators: every package of the generator
// environment by exact version and the sha256 of each of its files.
type PyPins struct {
	// Builtins are the generator names the pinned protoc answers to, as
	// buf.gen.yaml's `protoc_builtin` names them.
	Builtins []string `yaml:"builtins"`
	// Plugins are protoc plugins the pinned packages install as console
	// scripts (mypy-protobuf's protoc-gen-mypy_grpc), run from the pinned
	// environment as buf.gen.yaml's `local` names them.
	Plugins []string `yaml:"plugins,omitempty"`
	// Packages are installed with pip --require-hashes --no-deps.
	Packages []PyPackage `yaml:"packages"`
}

// PyPackage is one pinned Python distribution.
type PyPackage struct {
	Name    string   `yaml:"name"`
	Version string   `yaml:"version"`
	Hashes  []string `yaml:"hashes"`
}

// LockError is a problem with the lock file; Fix says what to run.
type LockError struct {
	Path string
	Msg  string
}

func (e *LockError) Error() string { return e.Path + ": " + e.Msg }

// ReadLock reads and validates the lock file at path. A missing lock is
// reported as such, with the command that creates it.
func ReadLock(path string) (*Lock, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &LockError{Path: path, Msg: "no lock file: run `protoctl toolchain upgrade` to pin the generators"}
	}
	if err != nil {
		return nil, err
	}
	return ParseLock(path, data)
}

var (
	goVersionRE = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+incompatible)?$`)
	h1RE        = regexp.MustCompile(`^h1:[A-Za-z0-9+/]{43}=$`)
	sha256RE    = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	pyVersionRE = regexp.MustCompile(`^\d+(\.\d+)*([a-z]+\d+)?(\.post\d+)?$`)
	nameRE      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// ParseLock decodes and validates lock data; path names it in errors.
func ParseLock(path string, data []byte) (*Lock, error) {
	var l Lock
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&l); err != nil {
		return nil, &LockError{Path: path, Msg: "invalid lock file: " + yamlMessage(err)}
	}
	l.raw = data
	if l.Version != "v1" {
		return nil, &LockError{Path: path, Msg: fmt.Sprintf("unsupported lock version %q (want v1)", l.Version)}
	}
	seen := map[string]bool{}
	for _, p := range l.Go {
		switch {
		case !nameRE.MatchString(p.Name):
			return nil, &LockError{Path: path, Msg: fmt.Sprintf("go plugin %q: invalid name", p.Name)}
		case seen[p.Name]:
			return nil, &LockError{Path: path, Msg: fmt.Sprintf("go plugin %q pinned twice", p.Name)}
		case p.Module == "" || !strings.HasPrefix(p.Package, p.Module):
			return nil, &LockError{Path: path, Msg: fmt.Sprintf("go plugin %q: package %q is not in module %q", p.Name, p.Package, p.Module)}
		case !goVersionRE.MatchString(p.Version):
			return nil, &LockError{Path: path, Msg: fmt.Sprintf("go plugin %q: %q is not an exact module version", p.Name, p.Version)}
		case !h1RE.MatchString(p.Sum):
			return nil, &LockError{Path: path, Msg: fmt.Sprintf("go plugin %q: sum %q is not an h1: hash", p.Name, p.Sum)}
		}
		seen[p.Name] = true
	}
	if py := l.Python; py != nil {
		if len(py.Packages) == 0 {
			return nil, &LockError{Path: path, Msg: "python: no packages pinned"}
		}
		names := map[string]bool{}
		for _, pkg := range py.Packages {
			switch {
			case !nameRE.MatchString(pkg.Name):
				return nil, &LockError{Path: path, Msg: fmt.Sprintf("python package %q: invalid name", pkg.Name)}
			case names[normalizePyName(pkg.Name)]:
				return nil, &LockError{Path: path, Msg: fmt.Sprintf("python package %q pinned twice", pkg.Name)}
			case !pyVersionRE.MatchString(pkg.Version):
				return nil, &LockError{Path: path, Msg: fmt.Sprintf("python package %q: %q is not an exact version", pkg.Name, pkg.Version)}
			case len(pkg.Hashes) == 0:
				return nil, &LockError{Path: path, Msg: fmt.Sprintf("python package %q: no hashes", pkg.Name)}
			}
			for _, h := range pkg.Hashes {
				if !sha256RE.MatchString(h) {
					return nil, &LockError{Path: path, Msg: fmt.Sprintf("python package %q: %q is not a sha256: hash", pkg.Name, h)}
				}
			}
			names[normalizePyName(pkg.Name)] = true
		}
		if !names["grpcio-tools"] {
			return nil, &LockError{Path: path, Msg: "python: grpcio-tools is not pinned (it provides the Python generators)"}
		}
		for _, p := range py.Plugins {
			if !strings.HasPrefix(p, "protoc-gen-") || !nameRE.MatchString(p) {
				return nil, &LockError{Path: path, Msg: fmt.Sprintf("python: plugin %q is not a protoc-gen-* name", p)}
			}
			if _, dup := l.GoPlugin(p); dup {
				return nil, &LockError{Path: path, Msg: fmt.Sprintf("plugin %q is pinned as a Go plugin and as a Python plugin", p)}
			}
		}
		for _, b := range py.Builtins {
			if !slices.Contains(knownBuiltins, b) {
				return nil, &LockError{Path: path, Msg: fmt.Sprintf("python: unknown builtin %q (known: %s)", b, strings.Join(knownBuiltins, ", "))}
			}
		}
	}
	return &l, nil
}

var unknownFieldRE = regexp.MustCompile(`^line (\d+): field (\S+) not found in type \S+$`)

// yamlMessage renders a YAML decoding error on one line, in the words of
// a config file rather than of Go types.
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(err.Error(), "yaml: ")
	}
	msgs := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		if m := unknownFieldRE.FindStringSubmatch(e); m != nil {
			e = fmt.Sprintf("line %s: unknown key %q", m[1], m[2])
		}
		msgs[i] = e
	}
	return strings.Join(msgs, "; ")
}

// knownBuiltins are the generators grpcio-tools' protoc has built in.
var knownBuiltins = []string{"python", "pyi", "grpc_python"}

func normalizePyName(n string) string {
	return strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(n))
}

// Marshal encodes the lock in its canonical form.
func (l *Lock) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(lockHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(l); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Digest identifies the lock's content in cache keys.
func (l *Lock) Digest() string {
	sum := sha256.Sum256(l.raw)
	return hex.EncodeToString(sum[:])
}

// GoPlugin returns the pin for a plugin binary name.
func (l *Lock) GoPlugin(name string) (GoPlugin, bool) {
	for _, p := range l.Go {
		if p.Name == name {
			return p, true
		}
	}
	return GoPlugin{}, false
}

// HasBuiltin reports whether the pinned Python toolchain provides the named
// protoc builtin.
func (l *Lock) HasBuiltin(name string) bool {
	return l.Python != nil && slices.Contains(l.Python.Builtins, name)
}

// HasPythonPlugin reports whether the pinned Python environment provides
// the named protoc plugin.
func (l *Lock) HasPythonPlugin(name string) bool {
	return l.Python != nil && slices.Contains(l.Python.Plugins, name)
}

// pythonDigest identifies the pinned Python environment.
func (p *PyPins) digest() string {
	h := sha256.New()
	for _, pkg := range p.Packages {
		fmt.Fprintf(h, "%s==%s", normalizePyName(pkg.Name), pkg.Version)
		for _, x := range pkg.Hashes {
			fmt.Fprintf(h, " %s", x)
		}
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// requirements renders the pins as a pip requirements file with hashes.
func (p *PyPins) requirements() string {
	var b strings.Builder
	for _, pkg := range p.Packages {
		fmt.Fprintf(&b, "%s==%s", pkg.Name, pkg.Version)
		for _, x := range pkg.Hashes {
			fmt.Fprintf(&b, " --hash=%s", x)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
