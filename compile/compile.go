package compile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/protoctl/protoctl/diag"
)

// Options tune a compilation.
type Options struct {
	// NoSourceInfo drops comments and locations (smaller, faster images for
	// callers that never print a place).
	NoSourceInfo bool
}

// Compile parses and links every file of the workspace. A compile error is
// returned as a diag.Set holding every problem found; other errors (an
// unreadable directory) are returned as they are.
func Compile(ctx context.Context, ws Workspace, opts Options) (*Image, error) {
	srcs, byImport, contents, err := readSources(ws)
	if err != nil {
		return nil, err
	}
	files, findings := compileSources(ctx, names(srcs), byImport, contents, opts.NoSourceInfo, nil)
	if len(findings) > 0 {
		return nil, diag.NewSet(findings...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return newImage(files, srcs)
}

// readSources lists the workspace's files and reads them, indexed by
// import path.
func readSources(ws Workspace) ([]Source, map[string]Source, map[string][]byte, error) {
	srcs, err := ws.Sources()
	if err != nil {
		return nil, nil, nil, err
	}
	if len(srcs) == 0 {
		return nil, nil, nil, fmt.Errorf("%s: no .proto files found", describe(ws))
	}
	byImport := make(map[string]Source, len(srcs))
	contents := make(map[string][]byte, len(srcs))
	for _, s := range srcs {
		data, err := fs.ReadFile(ws.FS, s.LocalPath)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", s.LocalPath, unwrapPathError(err))
		}
		byImport[s.ImportPath] = s
		contents[s.ImportPath] = data
	}
	return srcs, byImport, contents, nil
}

func names(srcs []Source) []string {
	out := make([]string, len(srcs))
	for i, s := range srcs {
		out[i] = s.ImportPath
	}
	return out
}

func describe(ws Workspace) string {
	if ws.Name != "" {
		return ws.Name
	}
	return "workspace"
}

// compileSources compiles the named files. known, when set, supplies
// already linked descriptor protos for files that are not compiled from
// source.
func compileSources(ctx context.Context, files []string, byImport map[string]Source, contents map[string][]byte, noSourceInfo bool, known func(string) *descriptorpb.FileDescriptorProto) (linker.Files, []diag.Finding) {
	var findings []diag.Finding
	report := func(err reporter.ErrorWithPos) error {
		pos := err.GetPosition()
		f := diag.Finding{
			Path:        pos.Filename,
			StartLine:   pos.Line,
			StartColumn: pos.Col,
			Type:        "COMPILE",
			Message:     err.Unwrap().Error(),
		}
		f.Path = localOf(byImport, pos.Filename)
		findings = append(findings, f)
		return nil // keep going: report every error
	}
	resolver := protocompile.ResolverFunc(func(name string) (protocompile.SearchResult, error) {
		if known != nil {
			if fdp := known(name); fdp != nil {
				return protocompile.SearchResult{Proto: fdp}, nil
			}
		}
		data, ok := contents[name]
		if !ok {
			return protocompile.SearchResult{}, fs.ErrNotExist
		}
		return protocompile.SearchResult{Source: io.NopCloser(bytes.NewReader(data))}, nil
	})
	mode := protocompile.SourceInfoStandard
	if noSourceInfo {
		mode = protocompile.SourceInfoNone
	}
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(resolver),
		MaxParallelism: runtime.GOMAXPROCS(0),
		SourceInfoMode: mode,
		Reporter:       reporter.NewReporter(report, nil),
	}
	linked, err := c.Compile(ctx, files...)
	if err != nil && len(findings) == 0 {
		// Not reported through the reporter: an import that cannot be
		// found, a panic, a cancelled context.
		var ewp reporter.ErrorWithPos
		var pe protocompile.PanicError
		switch {
		case errors.As(err, &ewp):
			_ = report(ewp)
		case errors.As(err, &pe):
			findings = append(findings, diag.Finding{Path: localOf(byImport, pe.File), Type: "COMPILE", Message: fmt.Sprintf("internal compiler error: %v", pe.Value)})
		default:
			findings = append(findings, diag.Finding{Type: "COMPILE", Message: err.Error()})
		}
	}
	return linked, findings
}

// newImage orders the compiled files and their imports so that every file
// comes after the files it imports, and records which are the workspace's.
func newImage(files linker.Files, srcs []Source) (*Image, error) {
	img := &Image{local: map[string]string{}}
	for _, s := range srcs {
		img.local[s.ImportPath] = s.LocalPath
	}
	seen := map[string]bool{}
	var visit func(fd protoreflect.FileDescriptor)
	visit = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := range imports.Len() {
			visit(imports.Get(i).FileDescriptor)
		}
		img.Files = append(img.Files, fd)
	}
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b linker.File) int { return strings.Compare(a.Path(), b.Path()) })
	for _, f := range sorted {
		visit(f)
	}
	img.Protos = make([]*descriptorpb.FileDescriptorProto, len(img.Files))
	for i, fd := range img.Files {
		if r, ok := fd.(linker.Result); ok {
			img.Protos[i] = r.FileDescriptorProto()
		} else {
			img.Protos[i] = protodesc.ToFileDescriptorProto(fd)
		}
	}
	return img, nil
}

func localOf(byImport map[string]Source, name string) string {
	if s, ok := byImport[name]; ok {
		return s.LocalPath
	}
	return name
}
