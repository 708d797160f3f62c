package release

import (
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/protoctl/protoctl/compile"
)

// commentChanges lists the elements present in both images whose comments
// differ: a patch-level change, invisible to the descriptor comparison of
// compat.Summarize, that shows in generated code and documentation.
// Elements are named as compat names them (enum values under their enum).
func commentChanges(previous, current *compile.Image) []Change {
	before, after := comments(previous), comments(current)
	var out []Change
	for key, c := range after {
		p, ok := before[key]
		if ok && p.text != c.text {
			out = append(out, Change{Change: ChangeChanged, Kind: c.kind, Name: c.name, Path: c.path, Message: "comments"})
		}
	}
	return out
}

type commented struct {
	kind, name, path, text string
}

// comments collects the comments of every element of the image's targets,
// keyed by kind and name.
func comments(img *compile.Image) map[string]commented {
	out := map[string]commented{}
	for _, fd := range img.Files {
		if !img.IsTarget(fd.Path()) {
			continue
		}
		local := img.LocalPath(fd.Path())
		locs := fd.SourceLocations()
		add := func(kind, name string, d protoreflect.Descriptor) {
			l := locs.ByDescriptor(d)
			text := strings.Join(append([]string{l.LeadingComments, l.TrailingComments}, l.LeadingDetachedComments...), "\x00")
			out[kind+" "+name] = commented{kind: kind, name: name, path: local, text: text}
		}
		add("file", fd.Path(), fd)
		var messages func(protoreflect.MessageDescriptors)
		var enums func(protoreflect.EnumDescriptors)
		enums = func(es protoreflect.EnumDescriptors) {
			for i := range es.Len() {
				e := es.Get(i)
				add("enum", string(e.FullName()), e)
				for j := range e.Values().Len() {
					v := e.Values().Get(j)
					add("enum_value", string(e.FullName())+"."+string(v.Name()), v)
				}
			}
		}
		extensions := func(xs protoreflect.ExtensionDescriptors) {
			for i := range xs.Len() {
				add("extension", string(xs.Get(i).FullName()), xs.Get(i))
			}
		}
		messages = func(ms protoreflect.MessageDescriptors) {
			for i := range ms.Len() {
				m := ms.Get(i)
				if m.IsMapEntry() {
					continue
				}
				add("message", string(m.FullName()), m)
				for j := range m.Fields().Len() {
					add("field", string(m.Fields().Get(j).FullName()), m.Fields().Get(j))
				}
				for j := range m.Oneofs().Len() {
					add("oneof", string(m.Oneofs().Get(j).FullName()), m.Oneofs().Get(j))
				}
				enums(m.Enums())
				extensions(m.Extensions())
				messages(m.Messages())
			}
		}
		messages(fd.Messages())
		enums(fd.Enums())
		extensions(fd.Extensions())
		for i := range fd.Services().Len() {
			s := fd.Services().Get(i)
			add("service", string(s.FullName()), s)
			for j := range s.Methods().Len() {
				add("rpc", string(s.FullName())+"."+string(s.Methods().Get(j).Name()), s.Methods().Get(j))
			}
		}
	}
	return out
}
