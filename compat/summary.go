package compat

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/protoctl/protoctl/compile"
)

// Severity rates a change of the contract for versioning.
type Severity string

const (
	// SeverityNone: nothing that generated code or encodings see changed.
	SeverityNone Severity = "none"
	// SeverityAdditive: elements were added or changed compatibly (a minor
	// version).
	SeverityAdditive Severity = "additive"
	// SeverityBreaking: at least one FILE rule fires (a major version).
	SeverityBreaking Severity = "breaking"
)

// Change is one element that was added, removed or changed.
type Change struct {
	// Kind is file, message, field, extension, enum, enum_value, service
	// or rpc.
	Kind string `json:"kind"`
	// Name is the fully-qualified name: the import path for a file,
	// parent.name for fields, enum values and RPCs (fields and extensions
	// are matched by number, so a renamed field is "changed" under its new
	// name).
	Name string `json:"name"`
	// Path is the workspace-relative file that holds the element.
	Path string `json:"path"`
}

// Summary is what changed between two images, for changelogs and
// versioning. Lists are sorted by kind, then name.
type Summary struct {
	Severity Severity `json:"severity"`
	Added    []Change `json:"added"`
	Removed  []Change `json:"removed"`
	Changed  []Change `json:"changed"`
	// Breaking counts the findings of buf's default rules (FILE).
	Breaking int `json:"breaking"`
}

// Summarize compares two images element by element. The severity is
// breaking when buf's default rules (the FILE category) find anything,
// additive when anything else was added, removed or changed, none
// otherwise.
func Summarize(previous, current *compile.Image) Summary {
	s := Summary{Added: []Change{}, Removed: []Change{}, Changed: []Change{}}
	if previous == nil || current == nil {
		s.Severity = SeverityNone
		return s
	}
	prev, cur := newIndex(previous), newIndex(current)
	d := differ{s: &s}
	d.elements(prev, cur)
	for _, l := range []*[]Change{&s.Added, &s.Removed, &s.Changed} {
		slices.SortFunc(*l, func(a, b Change) int {
			return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Path, b.Path))
		})
	}
	findings, _, err := Check(context.Background(), previous, current, Config{})
	if err == nil {
		s.Breaking = len(findings)
	}
	switch {
	case s.Breaking > 0:
		s.Severity = SeverityBreaking
	case len(s.Added)+len(s.Removed)+len(s.Changed) > 0:
		s.Severity = SeverityAdditive
	default:
		s.Severity = SeverityNone
	}
	return s
}

type differ struct{ s *Summary }

// element is one comparable element of an index: its identity, its file
// and the parts of its descriptor that define it (children excluded).
type element struct {
	kind, name string
	file       *fileNode
	shape      proto.Message
	// key identifies the element across images when the name does not
	// (fields and extensions are matched by number).
	key string
}

func (d differ) elements(prev, cur *index) {
	before, after := collect(prev), collect(cur)
	for key, p := range before {
		c, ok := after[key]
		if !ok {
			d.s.Removed = append(d.s.Removed, Change{Kind: p.kind, Name: p.name, Path: p.file.local})
			continue
		}
		if !proto.Equal(p.shape, c.shape) {
			d.s.Changed = append(d.s.Changed, Change{Kind: c.kind, Name: c.name, Path: c.file.local})
		}
	}
	for key, c := range after {
		if _, ok := before[key]; !ok {
			d.s.Added = append(d.s.Added, Change{Kind: c.kind, Name: c.name, Path: c.file.local})
		}
	}
}

func collect(ix *index) map[string]element {
	out := map[string]element{}
	add := func(e element) {
		k := e.key
		if k == "" {
			k = e.name
		}
		out[e.kind+" "+k] = e
	}
	for _, f := range ix.files {
		add(element{"file", f.path, f, &descriptorpb.FileDescriptorProto{
			Package: f.p.Package, Syntax: f.p.Syntax, Edition: f.p.Edition, Options: f.p.GetOptions(),
		}, ""})
		for _, m := range f.messages {
			name := string(m.d.FullName())
			add(element{"message", name, f, &descriptorpb.DescriptorProto{
				Options: m.p.GetOptions(), OneofDecl: m.p.GetOneofDecl(), ExtensionRange: m.p.GetExtensionRange(),
				ReservedRange: m.p.GetReservedRange(), ReservedName: m.p.GetReservedName(),
			}, ""})
			for _, fl := range m.fields {
				add(element{"field", name + "." + fl.p.GetName(), f, fl.p, fmt.Sprintf("%s.%d", name, fl.p.GetNumber())})
			}
		}
		for _, x := range f.extensions {
			add(element{"extension", string(x.d.FullName()), f, x.p, fmt.Sprintf("%s.%d", x.p.GetExtendee(), x.p.GetNumber())})
		}
		for _, e := range f.enums {
			name := string(e.d.FullName())
			add(element{"enum", name, f, &descriptorpb.EnumDescriptorProto{
				Options: e.p.GetOptions(), ReservedRange: e.p.GetReservedRange(), ReservedName: e.p.GetReservedName(),
			}, ""})
			for _, v := range e.values {
				add(element{"enum_value", name + "." + v.p.GetName(), f, v.p, ""})
			}
		}
		for _, sv := range f.services {
			name := string(sv.d.FullName())
			add(element{"service", name, f, &descriptorpb.ServiceDescriptorProto{Options: sv.p.GetOptions()}, ""})
			for _, m := range sv.methods {
				add(element{"rpc", name + "." + m.p.GetName(), f, m.p, ""})
			}
		}
	}
	return out
}
