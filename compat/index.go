package compat

import (
	"encoding/binary"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/protoctl/protoctl/compile"
)

// Field numbers of descriptor.proto used to build source paths.
const (
	fileMessages   = 4
	fileEnums      = 5
	fileServices   = 6
	fileExtensions = 7
	fileOptions    = 8
	filePackage    = 2
	fileSyntax     = 12
	fileEdition    = 14

	messageFields         = 2
	messageNested         = 3
	messageEnums          = 4
	messageExtensionRange = 5
	messageExtensions     = 6
	messageOptions        = 7

	fieldName         = 1
	fieldType         = 5
	fieldTypeName     = 6
	fieldDefaultValue = 7
	fieldOptions      = 8
	fieldJSONName     = 10

	enumValues       = 2
	enumOptions      = 3
	enumValueNumber  = 2
	serviceMethods   = 2
	methodInputType  = 2
	methodOutputType = 3
	methodOptions    = 4

	// Options and features.
	fileOptJavaStringCheckUTF8 = 27
	messageOptNoStdAccessor    = 2
	messageOptFeatures         = 12
	enumOptFeatures            = 7
	fieldOptCtype              = 1
	fieldOptJstype             = 6
	fieldOptFeatures           = 21
	methodOptIdempotency       = 34
	featureEnumType            = 2
	featureUTF8Validation      = 4
	featureJSONFormat          = 6
	featureExtCpp              = 1000
	featureExtJava             = 1001
	cppFeatureStringType       = 2
	javaFeatureUTF8Validation  = 2
)

// index holds one image's elements by identity, so that the elements of
// two images can be matched in constant time.
type index struct {
	img        *compile.Image
	files      []*fileNode
	byPath     map[string]*fileNode
	messages   map[string]*messageNode
	enums      map[string]*enumNode
	services   map[string]*serviceNode
	extensions map[extKey]*fieldNode
	packages   map[string][]*fileNode
	pkgOrder   []string
}

type extKey struct {
	extendee string
	number   int32
}

type fileNode struct {
	path  string // import path
	local string // workspace-relative path, as printed
	fd    protoreflect.FileDescriptor
	p     *descriptorpb.FileDescriptorProto
	// messages, enums and extensions hold every element of the file,
	// nested ones included, in declaration order.
	messages   []*messageNode
	enums      []*enumNode
	extensions []*fieldNode
	services   []*serviceNode
	spans      map[string][]int32
	// entries maps the path of each synthesized map entry message to the
	// path of its map field: elements of an entry have no source of their
	// own, and buf points at the map field instead.
	entries map[string][]int32
}

type messageNode struct {
	file   *fileNode
	d      protoreflect.MessageDescriptor
	p      *descriptorpb.DescriptorProto
	path   []int32
	nested string // name relative to the package: Outer.Inner
	fields []*fieldNode
	byNum  map[int32]*fieldNode
}

type fieldNode struct {
	file   *fileNode
	d      protoreflect.FieldDescriptor
	p      *descriptorpb.FieldDescriptorProto
	path   []int32
	parent *messageNode // nil for extensions
	nested string
}

type enumNode struct {
	file   *fileNode
	d      protoreflect.EnumDescriptor
	p      *descriptorpb.EnumDescriptorProto
	path   []int32
	nested string
	values []*enumValueNode
}

type enumValueNode struct {
	enum *enumNode
	p    *descriptorpb.EnumValueDescriptorProto
	path []int32
}

type serviceNode struct {
	file    *fileNode
	d       protoreflect.ServiceDescriptor
	p       *descriptorpb.ServiceDescriptorProto
	path    []int32
	methods []*methodNode
	byName  map[string]*methodNode
}

type methodNode struct {
	service *serviceNode
	d       protoreflect.MethodDescriptor
	p       *descriptorpb.MethodDescriptorProto
	path    []int32
}

func newIndex(img *compile.Image) *index {
	ix := &index{
		img:        img,
		byPath:     make(map[string]*fileNode, len(img.Files)),
		messages:   map[string]*messageNode{},
		enums:      map[string]*enumNode{},
		services:   map[string]*serviceNode{},
		extensions: map[extKey]*fieldNode{},
		packages:   map[string][]*fileNode{},
	}
	for i, fd := range img.Files {
		if i >= len(img.Protos) {
			break
		}
		p := img.Protos[i]
		f := &fileNode{path: fd.Path(), local: img.LocalPath(fd.Path()), fd: fd, p: p}
		if _, dup := ix.byPath[f.path]; dup {
			continue
		}
		ix.files = append(ix.files, f)
		ix.byPath[f.path] = f
		pkg := p.GetPackage()
		if _, ok := ix.packages[pkg]; !ok {
			ix.pkgOrder = append(ix.pkgOrder, pkg)
		}
		ix.packages[pkg] = append(ix.packages[pkg], f)
		ix.addMessages(f, nil, fd.Messages(), p.GetMessageType(), []int32{fileMessages})
		ix.addEnums(f, nil, fd.Enums(), p.GetEnumType(), []int32{fileEnums})
		ix.addExtensions(f, nil, fd.Extensions(), p.GetExtension(), []int32{fileExtensions})
		sds := fd.Services()
		for j, sp := range p.GetService() {
			if j >= sds.Len() {
				break
			}
			s := &serviceNode{file: f, d: sds.Get(j), p: sp, path: []int32{fileServices, int32(j)}, byName: map[string]*methodNode{}}
			mds := s.d.Methods()
			for k, mp := range sp.GetMethod() {
				if k >= mds.Len() {
					break
				}
				m := &methodNode{service: s, d: mds.Get(k), p: mp, path: child(s.path, serviceMethods, k)}
				s.methods = append(s.methods, m)
				if _, dup := s.byName[mp.GetName()]; !dup {
					s.byName[mp.GetName()] = m
				}
			}
			f.services = append(f.services, s)
			ix.services[string(s.d.FullName())] = s
		}
	}
	return ix
}

func child(parent []int32, elems ...int) []int32 {
	out := make([]int32, len(parent), len(parent)+len(elems))
	copy(out, parent)
	for _, e := range elems {
		out = append(out, int32(e))
	}
	return out
}

func nestedName(parent *messageNode, name string) string {
	if parent == nil {
		return name
	}
	return parent.nested + "." + name
}

func (ix *index) addMessages(f *fileNode, parent *messageNode, ds protoreflect.MessageDescriptors, ps []*descriptorpb.DescriptorProto, prefix []int32) {
	for i, mp := range ps {
		if i >= ds.Len() {
			return
		}
		m := &messageNode{file: f, d: ds.Get(i), p: mp, path: child(prefix, i), nested: nestedName(parent, mp.GetName()), byNum: map[int32]*fieldNode{}}
		f.messages = append(f.messages, m)
		ix.messages[string(m.d.FullName())] = m
		fds := m.d.Fields()
		for j, fp := range mp.GetField() {
			if j >= fds.Len() {
				break
			}
			fl := &fieldNode{file: f, d: fds.Get(j), p: fp, path: child(m.path, messageFields, j), parent: m, nested: m.nested + "." + fp.GetName()}
			m.fields = append(m.fields, fl)
			if _, dup := m.byNum[fp.GetNumber()]; !dup {
				m.byNum[fp.GetNumber()] = fl
			}
		}
		for _, fl := range m.fields {
			if fl.d.IsMap() {
				if f.entries == nil {
					f.entries = map[string][]int32{}
				}
				// The entry is the nested message the field's type names.
				nds := m.d.Messages()
				for k := range nds.Len() {
					if nds.Get(k).FullName() == fl.d.Message().FullName() {
						f.entries[pathKey(child(m.path, messageNested, k))] = child(fl.path, fieldTypeName)
					}
				}
			}
		}
		ix.addMessages(f, m, m.d.Messages(), mp.GetNestedType(), child(m.path, messageNested))
		ix.addEnums(f, m, m.d.Enums(), mp.GetEnumType(), child(m.path, messageEnums))
		ix.addExtensions(f, m, m.d.Extensions(), mp.GetExtension(), child(m.path, messageExtensions))
	}
}

func (ix *index) addEnums(f *fileNode, parent *messageNode, ds protoreflect.EnumDescriptors, ps []*descriptorpb.EnumDescriptorProto, prefix []int32) {
	for i, ep := range ps {
		if i >= ds.Len() {
			return
		}
		e := &enumNode{file: f, d: ds.Get(i), p: ep, path: child(prefix, i), nested: nestedName(parent, ep.GetName())}
		for j, vp := range ep.GetValue() {
			e.values = append(e.values, &enumValueNode{enum: e, p: vp, path: child(e.path, enumValues, j)})
		}
		f.enums = append(f.enums, e)
		ix.enums[string(e.d.FullName())] = e
	}
}

func (ix *index) addExtensions(f *fileNode, parent *messageNode, ds protoreflect.ExtensionDescriptors, ps []*descriptorpb.FieldDescriptorProto, prefix []int32) {
	for i, xp := range ps {
		if i >= ds.Len() {
			return
		}
		x := &fieldNode{file: f, d: ds.Get(i), p: xp, path: child(prefix, i), nested: nestedName(parent, xp.GetName())}
		f.extensions = append(f.extensions, x)
		k := extKey{xp.GetExtendee(), xp.GetNumber()}
		if _, dup := ix.extensions[k]; !dup {
			ix.extensions[k] = x
		}
	}
}

// span returns the source span of the element at path in f, and whether
// the file has one.
func (f *fileNode) span(path []int32) ([]int32, bool) {
	if f.spans == nil {
		locs := f.p.GetSourceCodeInfo().GetLocation()
		f.spans = make(map[string][]int32, len(locs))
		for _, l := range locs {
			k := pathKey(l.GetPath())
			if _, ok := f.spans[k]; !ok {
				f.spans[k] = l.GetSpan()
			}
		}
	}
	s, ok := f.spans[pathKey(path)]
	if !ok && len(f.entries) > 0 {
		for n := len(path) - 1; n >= 2; n-- {
			if field, isEntry := f.entries[pathKey(path[:n])]; isEntry {
				s, ok = f.spans[pathKey(field)]
				break
			}
		}
	}
	return s, ok && (len(s) == 3 || len(s) == 4)
}

func pathKey(path []int32) string {
	var b strings.Builder
	b.Grow(len(path) * 4)
	var buf [4]byte
	for _, p := range path {
		binary.LittleEndian.PutUint32(buf[:], uint32(p))
		b.Write(buf[:])
	}
	return b.String()
}

// isMapEntry reports whether the field belongs to a synthesized map entry.
func (fl *fieldNode) isMapEntry() bool {
	return fl.parent != nil && fl.parent.d.IsMapEntry()
}
