package compile

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/bufbuild/protocompile/linker"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/protoctl/protoctl/diag"
)

// Encoded is a compiled workspace as the deterministic encodings of its
// descriptor protos (with source info), in dependency order, plus what a
// code generator needs to know of each file without decoding it. It is
// what CompileEncoded returns: the form plugin requests are built from.
type Encoded struct {
	Files []EncodedFile
}

// EncodedFile is one file of an Encoded workspace.
type EncodedFile struct {
	// Name is the import path.
	Name string
	// LocalPath is the workspace-relative path; empty for files that are
	// not the workspace's own (the well-known types).
	LocalPath string
	Package   string
	// Syntax is "proto2", "proto3" or "editions".
	Syntax string
	// GoPackage is the file's own go_package option.
	GoPackage string
	// Deps are the file's imports.
	Deps []string
	// Bytes is the FileDescriptorProto, deterministically encoded.
	Bytes []byte
	// symbols are the fully qualified names the file declares at package
	// scope or below (messages, enums, enum values, services,
	// extensions), to find conflicts between files that do not import
	// each other without compiling them together.
	symbols []string
}

// Target reports whether the file belongs to the workspace.
func (f EncodedFile) Target() bool { return f.LocalPath != "" }

// Cache keeps the linked, encoded descriptor of every file compiled
// before, keyed by the file's content and the keys of everything it
// imports, so that a file whose content and imports did not change is
// never parsed or linked again. Entries are immutable; the directory can
// be deleted at any time.
type Cache struct {
	// Dir is where entries live; empty disables the cache.
	Dir string
}

// cacheVersion changes whenever what an entry holds could change for the
// same input (the compiler, the entry format).
const cacheVersion = "protoctl-compile-v3 protocompile-v0.14.1"

type entryMeta struct {
	Name      string   `json:"name"`
	Package   string   `json:"package"`
	Syntax    string   `json:"syntax"`
	GoPackage string   `json:"go_package,omitempty"`
	Deps      []string `json:"deps"`
	Symbols   []string `json:"symbols"`
	// SHA256 is the hash of the encoded descriptor that follows the
	// metadata; an entry that does not match it is ignored.
	SHA256 string `json:"sha256"`
}

// CompileEncoded compiles the workspace like Compile and returns it
// encoded. With a cache, only files whose content changed, and the files
// that import them, are parsed and linked; the others come from the cache
// as bytes, and a run where nothing changed links nothing at all.
func CompileEncoded(ctx context.Context, ws Workspace, cache *Cache) (*Encoded, error) {
	srcs, byImport, contents, err := readSources(ws)
	if err != nil {
		return nil, err
	}
	hashes := make(map[string]string, len(srcs))
	for name, data := range contents {
		sum := sha256.Sum256(data)
		hashes[name] = hex.EncodeToString(sum[:])
	}
	c := &compileCache{dir: "", hashes: hashes, contents: contents}
	if cache != nil {
		c.dir = cache.Dir
	}
	selected := func(Source) bool { return true }
	if len(ws.Files) > 0 {
		want := map[string]bool{}
		for _, f := range ws.Files {
			want[f] = true
		}
		selected = func(s Source) bool { return want[s.LocalPath] }
	}
	files := map[string]*EncodedFile{}
	var dirty []string
	isDirty := map[string]bool{}
	var need func(name string)
	need = func(name string) {
		s, ok := byImport[name]
		if !ok || files[name] != nil || isDirty[name] {
			return
		}
		if f := c.load(name); f != nil {
			f.LocalPath = s.LocalPath
			files[name] = f
			for _, d := range f.Deps {
				need(d)
			}
			return
		}
		isDirty[name] = true
		dirty = append(dirty, name)
	}
	for _, s := range srcs {
		if selected(s) {
			need(s.ImportPath)
		}
	}
	if len(dirty) > 0 {
		fresh, findings, err := compileDirty(ctx, dirty, byImport, contents, files, c)
		if len(findings) > 0 {
			return nil, diag.NewSet(findings...)
		}
		if err != nil {
			return nil, err
		}
		c.storeAll(fresh)
	}
	if len(ws.Files) == 0 && conflict(files) {
		// Two files that do not import each other declare the same
		// name: they were never compiled together. Compile everything
		// from source, so the compiler reports the clash where it is.
		_, findings := compileSources(ctx, names(srcs), byImport, contents, false, nil)
		if len(findings) == 0 {
			findings = []diag.Finding{{Type: "COMPILE", Message: "two files declare the same name"}}
		}
		return nil, diag.NewSet(findings...)
	}
	if len(ws.Files) > 0 {
		// Only the selected files are targets; the rest of the closure
		// is there as imports.
		for name, f := range files {
			if s := byImport[name]; !selected(s) {
				cp := *f
				cp.LocalPath = ""
				files[name] = &cp
			}
		}
	}
	return order(files)
}

// compileDirty compiles the files that did not come from the cache, in
// batches (see batches), adding them and the workspace files they import
// to files. On a compile error it compiles every dirty file at once, so
// that the findings are exactly those of one compilation.
func compileDirty(ctx context.Context, dirty []string, byImport map[string]Source, contents map[string][]byte, files map[string]*EncodedFile, c *compileCache) ([]*EncodedFile, []diag.Finding, error) {
	cached := make(map[string]bool, len(files))
	for name := range files {
		cached[name] = true
	}
	known := func(only map[string]bool) func(string) *descriptorpb.FileDescriptorProto {
		return func(name string) *descriptorpb.FileDescriptorProto {
			f, ok := files[name]
			if !ok || (only != nil && !only[name]) {
				return nil
			}
			return c.decode(f)
		}
	}
	var fresh []*EncodedFile
	bs := batches(dirty, contents)
	for _, batch := range bs {
		todo := make([]string, 0, len(batch))
		for _, name := range batch {
			if files[name] == nil {
				todo = append(todo, name)
			}
		}
		if len(todo) == 0 {
			continue
		}
		linked, findings := compileSources(ctx, todo, byImport, contents, false, known(nil))
		if len(findings) > 0 {
			if len(bs) > 1 {
				_, findings = compileSources(ctx, dirty, byImport, contents, false, known(cached))
			}
			return nil, findings, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		encoded, err := encodeAll(withImports(linked, byImport, files))
		if err != nil {
			return nil, nil, err
		}
		for _, f := range encoded {
			f.LocalPath = byImport[f.Name].LocalPath
			files[f.Name] = f
		}
		fresh = append(fresh, encoded...)
	}
	return fresh, nil, nil
}

// order lays the files out in dependency order, adding the well-known
// types they import.
func order(files map[string]*EncodedFile) (*Encoded, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	out := &Encoded{Files: make([]EncodedFile, 0, len(files)+8)}
	seen := map[string]bool{}
	var visit func(name string) error
	visit = func(name string) error {
		if seen[name] {
			return nil
		}
		seen[name] = true
		f, ok := files[name]
		if !ok {
			wkt, err := standardFile(name)
			if err != nil {
				return err
			}
			f = wkt
		}
		for _, d := range f.Deps {
			if err := visit(d); err != nil {
				return err
			}
		}
		out.Files = append(out.Files, *f)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var (
	stdMu    sync.Mutex
	stdFiles = map[string]*EncodedFile{}
)

// standardFile encodes a file that protocompile provides as a standard
// import (a well-known type), from the Go protobuf registry.
func standardFile(name string) (*EncodedFile, error) {
	stdMu.Lock()
	defer stdMu.Unlock()
	if f, ok := stdFiles[name]; ok {
		return f, nil
	}
	desc, err := protoregistry.GlobalFiles.FindFileByPath(name)
	if err != nil {
		return nil, fmt.Errorf("import %q: not in the workspace nor a well-known type", name)
	}
	f, err := encodeFile(protodesc.ToFileDescriptorProto(desc))
	if err != nil {
		return nil, err
	}
	stdFiles[name] = f
	return f, nil
}

func encodeFile(fdp *descriptorpb.FileDescriptorProto) (*EncodedFile, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(fdp)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", fdp.GetName(), err)
	}
	syntax := fdp.GetSyntax()
	if syntax == "" {
		syntax = "proto2"
	}
	return &EncodedFile{
		Name: fdp.GetName(), Package: fdp.GetPackage(), Syntax: syntax,
		GoPackage: fdp.GetOptions().GetGoPackage(), Deps: fdp.GetDependency(), Bytes: b,
		symbols: declared(fdp),
	}, nil
}

// declared lists the fully qualified names a file declares.
func declared(fdp *descriptorpb.FileDescriptorProto) []string {
	var out []string
	prefix := fdp.GetPackage()
	join := func(scope, name string) string {
		if scope == "" {
			return name
		}
		return scope + "." + name
	}
	enums := func(scope string, es []*descriptorpb.EnumDescriptorProto) {
		for _, e := range es {
			out = append(out, join(scope, e.GetName()))
			for _, v := range e.GetValue() {
				// Enum values are scoped like their enum's siblings.
				out = append(out, join(scope, v.GetName()))
			}
		}
	}
	var messages func(scope string, ms []*descriptorpb.DescriptorProto)
	messages = func(scope string, ms []*descriptorpb.DescriptorProto) {
		for _, m := range ms {
			full := join(scope, m.GetName())
			out = append(out, full)
			for _, f := range m.GetField() {
				out = append(out, join(full, f.GetName()))
			}
			for _, x := range m.GetExtension() {
				out = append(out, join(full, x.GetName()))
			}
			for _, o := range m.GetOneofDecl() {
				out = append(out, join(full, o.GetName()))
			}
			enums(full, m.GetEnumType())
			messages(full, m.GetNestedType())
		}
	}
	messages(prefix, fdp.GetMessageType())
	enums(prefix, fdp.GetEnumType())
	for _, x := range fdp.GetExtension() {
		out = append(out, join(prefix, x.GetName()))
	}
	for _, svc := range fdp.GetService() {
		full := join(prefix, svc.GetName())
		out = append(out, full)
		for _, m := range svc.GetMethod() {
			out = append(out, join(full, m.GetName()))
		}
	}
	return out
}

// conflict reports whether two files declare the same name, or a file
// declares a name that is also a package.
func conflict(files map[string]*EncodedFile) bool {
	owner := map[string]string{}
	packages := map[string]bool{}
	all := make([]*EncodedFile, 0, len(files))
	for _, f := range files {
		all = append(all, f)
	}
	for _, f := range all {
		for p := f.Package; p != ""; {
			packages[p] = true
			i := strings.LastIndexByte(p, '.')
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	for _, f := range all {
		for _, s := range f.symbols {
			if prev, ok := owner[s]; ok && prev != f.Name {
				return true
			}
			if packages[s] {
				return true
			}
			owner[s] = f.Name
		}
	}
	return false
}

// withImports adds to the compiled files the workspace files they import
// that the compiler parsed on the way and the caller does not have yet.
func withImports(linked linker.Files, byImport map[string]Source, have map[string]*EncodedFile) []protoreflect.FileDescriptor {
	out := make([]protoreflect.FileDescriptor, 0, len(linked))
	seen := map[string]bool{}
	var visit func(fd protoreflect.FileDescriptor)
	visit = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		if _, ok := byImport[fd.Path()]; !ok || have[fd.Path()] != nil {
			return
		}
		out = append(out, fd)
		imps := fd.Imports()
		for i := range imps.Len() {
			visit(imps.Get(i).FileDescriptor)
		}
	}
	for _, f := range linked {
		visit(f)
	}
	return out
}

// encodeAll encodes the compiled files on every core.
func encodeAll(linked []protoreflect.FileDescriptor) ([]*EncodedFile, error) {
	out := make([]*EncodedFile, len(linked))
	errs := make([]error, len(linked))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				var fdp *descriptorpb.FileDescriptorProto
				if r, ok := linked[i].(interface {
					FileDescriptorProto() *descriptorpb.FileDescriptorProto
				}); ok {
					fdp = r.FileDescriptorProto()
				} else {
					fdp = protodesc.ToFileDescriptorProto(linked[i])
				}
				out[i], errs[i] = encodeFile(fdp)
			}
		}()
	}
	for i := range linked {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, errors.Join(errs...)
}

// compileCache reads and writes entries. The key of a file is the hash of
// its content and of the keys of its imports, so it is known before
// compiling only when the imports of every file in its closure are
// known: the imports of a content hash are recorded beside the entries.
type compileCache struct {
	dir      string
	hashes   map[string]string
	contents map[string][]byte

	keys     map[string]string
	visiting map[string]bool
	// memDeps are imports learnt by compiling, before they reach the disk.
	memDeps map[string][]string
	mu      sync.Mutex
	decoded map[string]*descriptorpb.FileDescriptorProto
}

func (c *compileCache) depsPath(hash string) string {
	return filepath.Join(c.dir, "deps", hash[:2], hash)
}

func (c *compileCache) entryPath(key string) string {
	return filepath.Join(c.dir, "files", key[:2], key)
}

// key returns the cache key of a file, or "" when it cannot be known
// before compiling.
func (c *compileCache) key(name string) string {
	if c.keys == nil {
		c.keys, c.visiting = map[string]string{}, map[string]bool{}
	}
	if k, ok := c.keys[name]; ok {
		return k
	}
	if c.visiting[name] {
		return "" // an import cycle: let the compiler report it
	}
	c.visiting[name] = true
	defer delete(c.visiting, name)
	k := ""
	if hash, ok := c.hashes[name]; !ok {
		if _, err := protoregistry.GlobalFiles.FindFileByPath(name); err == nil {
			k = "std:" + name
		}
	} else if deps, ok := c.importsOf(name, hash); ok {
		h := sha256.New()
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00", cacheVersion, name, hash)
		complete := true
		for _, d := range deps {
			dk := c.key(d)
			if dk == "" {
				complete = false
				break
			}
			fmt.Fprintf(h, "%s\x00%s\x00", d, dk)
		}
		if complete {
			k = hex.EncodeToString(h.Sum(nil))
		}
	}
	c.keys[name] = k
	return k
}

func (c *compileCache) importsOf(name, hash string) ([]string, bool) {
	if deps, ok := c.memDeps[name]; ok {
		return deps, true
	}
	if c.dir == "" {
		return nil, false
	}
	data, err := os.ReadFile(c.depsPath(hash))
	if err != nil {
		return nil, false
	}
	var deps []string
	if json.Unmarshal(data, &deps) != nil {
		return nil, false
	}
	return deps, true
}

func (c *compileCache) load(name string) *EncodedFile {
	if c.dir == "" {
		return nil
	}
	k := c.key(name)
	if k == "" || strings.HasPrefix(k, "std:") {
		return nil
	}
	data, err := os.ReadFile(c.entryPath(k))
	if err != nil || len(data) < 4 {
		return nil
	}
	n := binary.LittleEndian.Uint32(data)
	if uint64(n)+4 > uint64(len(data)) {
		return nil
	}
	var m entryMeta
	if json.Unmarshal(data[4:4+n], &m) != nil || m.Name != name {
		return nil
	}
	if sum := sha256.Sum256(data[4+n:]); hex.EncodeToString(sum[:]) != m.SHA256 {
		return nil // damaged: compile the file again
	}
	return &EncodedFile{Name: m.Name, Package: m.Package, Syntax: m.Syntax, GoPackage: m.GoPackage, Deps: m.Deps, Bytes: data[4+n:], symbols: m.Symbols}
}

// decode returns the descriptor proto of a cached file, for the compiler
// to link files that import it.
func (c *compileCache) decode(f *EncodedFile) *descriptorpb.FileDescriptorProto {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.decoded == nil {
		c.decoded = map[string]*descriptorpb.FileDescriptorProto{}
	}
	if fdp, ok := c.decoded[f.Name]; ok {
		return fdp
	}
	fdp := &descriptorpb.FileDescriptorProto{}
	if err := proto.Unmarshal(StripSourceInfo(f.Bytes), fdp); err != nil {
		return nil
	}
	c.decoded[f.Name] = fdp
	return fdp
}

// StripSourceInfo drops the source_code_info field (9) of an encoded
// FileDescriptorProto, keeping every other byte as it is. Linking against
// a file, or generating code for the files that import it, never needs its
// comments and spans, and they are most of its size. Bytes that do not
// parse are returned unchanged.
func StripSourceInfo(b []byte) []byte {
	out := make([]byte, 0, len(b))
	if !eachField(b, func(num protowire.Number, _ protowire.Type, field, _ []byte) bool {
		if num != 9 {
			out = append(out, field...)
		}
		return true
	}) {
		return b
	}
	return out
}

// eachField calls fn with every field of an encoded message: its number,
// wire type, whole encoding (tag included) and value (the tag's payload;
// for a length-delimited field the bytes inside the length). It reports
// false when b does not decode or fn returns false.
func eachField(b []byte, fn func(num protowire.Number, typ protowire.Type, field, value []byte) bool) bool {
	for rest := b; len(rest) > 0; {
		num, typ, n := protowire.ConsumeTag(rest)
		if n < 0 {
			return false
		}
		m := protowire.ConsumeFieldValue(num, typ, rest[n:])
		if m < 0 {
			return false
		}
		value := rest[n : n+m]
		if typ == protowire.BytesType {
			value, _ = protowire.ConsumeBytes(value)
		}
		if !fn(num, typ, rest[:n+m], value) {
			return false
		}
		rest = rest[n+m:]
	}
	return true
}

// ServiceSourceInfo returns an encoded FileDescriptorProto whose source
// info keeps only the locations of services and methods (paths [6, i] and
// [6, i, 2, j]): their comments are all that protoc's python, pyi and
// grpc_python generators read (grpc_python turns them into docstrings),
// and the rest of the source info costs protoc more to load than the
// generation itself. Undecodable input comes back unchanged.
func ServiceSourceInfo(b []byte) []byte {
	out := make([]byte, 0, len(b))
	if !eachField(b, func(num protowire.Number, typ protowire.Type, field, value []byte) bool {
		if num != 9 || typ != protowire.BytesType {
			out = append(out, field...)
			return true
		}
		kept, ok := serviceLocations(value)
		out = protowire.AppendTag(out, 9, protowire.BytesType)
		out = protowire.AppendBytes(out, kept)
		return ok
	}) {
		return b
	}
	return out
}

// serviceLocations keeps the service and method locations of an encoded
// SourceCodeInfo.
func serviceLocations(info []byte) ([]byte, bool) {
	var out []byte
	ok := eachField(info, func(num protowire.Number, typ protowire.Type, field, loc []byte) bool {
		if num != 1 || typ != protowire.BytesType {
			return true
		}
		path, ok := locationPath(loc)
		if ok && len(path) >= 2 && path[0] == 6 && (len(path) == 2 || len(path) == 4 && path[2] == 2) {
			out = append(out, field...)
		}
		return ok
	})
	return out, ok
}

// locationPath decodes the path of an encoded SourceCodeInfo.Location,
// packed or not; it stops after 5 elements, which no kept path exceeds.
func locationPath(loc []byte) ([]uint64, bool) {
	var path []uint64
	ok := eachField(loc, func(num protowire.Number, typ protowire.Type, _, value []byte) bool {
		if num != 1 {
			return true
		}
		if typ == protowire.VarintType {
			v, _ := protowire.ConsumeVarint(value)
			path = append(path, v)
			return true
		}
		for len(value) > 0 && len(path) < 5 {
			v, k := protowire.ConsumeVarint(value)
			if k < 0 {
				return false
			}
			path = append(path, v)
			value = value[k:]
		}
		return true
	})
	return path, ok
}

// storeAll records freshly compiled files. Failing to write only makes
// the next run slower.
func (c *compileCache) storeAll(fresh []*EncodedFile) {
	if c.dir == "" {
		return
	}
	if c.memDeps == nil {
		c.memDeps = map[string][]string{}
	}
	for _, f := range fresh {
		c.memDeps[f.Name] = f.Deps
	}
	c.keys = nil // imports just became known: recompute keys
	var wg sync.WaitGroup
	next := make(chan *EncodedFile)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range next {
				c.store(f)
			}
		}()
	}
	for _, f := range fresh {
		_ = c.key(f.Name) // fill the memo before the workers read it
	}
	for _, f := range fresh {
		next <- f
	}
	close(next)
	wg.Wait()
}

func (c *compileCache) store(f *EncodedFile) {
	deps, err := json.Marshal(f.Deps)
	if err != nil {
		return
	}
	if err := writeFileAtomic(c.depsPath(c.hashes[f.Name]), deps); err != nil {
		return
	}
	k := c.keys[f.Name]
	if k == "" {
		return
	}
	sum := sha256.Sum256(f.Bytes)
	meta, err := json.Marshal(entryMeta{Name: f.Name, Package: f.Package, Syntax: f.Syntax, GoPackage: f.GoPackage, Deps: f.Deps, Symbols: f.symbols, SHA256: hex.EncodeToString(sum[:])})
	if err != nil {
		return
	}
	buf := make([]byte, 4, 4+len(meta)+len(f.Bytes))
	binary.LittleEndian.PutUint32(buf, uint32(len(meta)))
	buf = append(append(buf, meta...), f.Bytes...)
	_ = writeFileAtomic(c.entryPath(k), buf)
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
