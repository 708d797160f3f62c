package compat

import (
	"sync"

	"github.com/bufbuild/protocompile/protoutil"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Editions features, resolved the way protoc does: the element's own
// options, then each enclosing element, then the edition's default.

var featureSetFields = (*descriptorpb.FeatureSet)(nil).ProtoReflect().Descriptor().Fields()

type featureKey struct {
	edition descriptorpb.Edition
	name    protoreflect.Name
}

// featureDefaults caches the edition defaults, which protocompile parses
// from text on every call.
var featureDefaults sync.Map // featureKey -> protoreflect.EnumNumber

func featureDefault(edition descriptorpb.Edition, fd protoreflect.FieldDescriptor) protoreflect.EnumNumber {
	k := featureKey{edition, fd.Name()}
	if v, ok := featureDefaults.Load(k); ok {
		return v.(protoreflect.EnumNumber)
	}
	var n protoreflect.EnumNumber
	if v, err := protoutil.GetFeatureDefault(edition, fd); err == nil && v.IsValid() {
		n = v.Enum()
	}
	featureDefaults.Store(k, n)
	return n
}

func editionOf(f *fileNode) descriptorpb.Edition {
	switch f.fd.Syntax() {
	case protoreflect.Proto3:
		return descriptorpb.Edition_EDITION_PROTO3
	case protoreflect.Editions:
		if f.p.Edition != nil {
			return f.p.GetEdition()
		}
		return descriptorpb.Edition_EDITION_2023
	}
	return descriptorpb.Edition_EDITION_PROTO2
}

func resolveFeature(f *fileNode, d protoreflect.Descriptor, name protoreflect.Name) protoreflect.EnumNumber {
	fd := featureSetFields.ByName(name)
	edition := editionOf(f)
	if edition == descriptorpb.Edition_EDITION_PROTO2 || edition == descriptorpb.Edition_EDITION_PROTO3 {
		return featureDefault(edition, fd)
	}
	for e := d; e != nil; e = e.Parent() {
		if opts := e.Options(); opts != nil {
			m := opts.ProtoReflect()
			if ffd := m.Descriptor().Fields().ByName("features"); ffd != nil && m.Has(ffd) {
				if fs := m.Get(ffd).Message(); fs.Has(fd) {
					return fs.Get(fd).Enum()
				}
			}
		}
		if _, ok := e.(protoreflect.FileDescriptor); ok {
			break
		}
	}
	return featureDefault(edition, fd)
}

func jsonFormat(f *fileNode, d protoreflect.Descriptor) descriptorpb.FeatureSet_JsonFormat {
	return descriptorpb.FeatureSet_JsonFormat(resolveFeature(f, d, "json_format"))
}

func utf8Validation(f *fileNode, d protoreflect.Descriptor) descriptorpb.FeatureSet_Utf8Validation {
	return descriptorpb.FeatureSet_Utf8Validation(resolveFeature(f, d, "utf8_validation"))
}

// customFeature resolves a field of a language feature extension of
// FeatureSet (pb.cpp is 1000, pb.java is 1001) without needing the Go
// types of those extensions: it reads the encoded features of the element
// and of each enclosing element.
func customFeature(d protoreflect.Descriptor, ext, field protowire.Number) (int32, bool) {
	for ; d != nil; d = d.Parent() {
		opts := d.Options()
		if opts == nil {
			continue
		}
		m := opts.ProtoReflect()
		if !m.IsValid() {
			continue
		}
		ffd := m.Descriptor().Fields().ByName("features")
		if ffd == nil || !m.Has(ffd) {
			continue
		}
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m.Get(ffd).Message().Interface())
		if err != nil {
			continue
		}
		if v, ok := findVarint(b, ext, field); ok {
			return v, true
		}
		if _, ok := d.(protoreflect.FileDescriptor); ok {
			break
		}
	}
	return 0, false
}

// findVarint returns the last value of varint field inner inside message
// field outer of the encoded message b.
func findVarint(b []byte, outer, inner protowire.Number) (int32, bool) {
	var val int32
	found := false
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return val, found
		}
		b = b[n:]
		if num == outer && typ == protowire.BytesType {
			sub, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return val, found
			}
			b = b[m:]
			for len(sub) > 0 {
				in, it, k := protowire.ConsumeTag(sub)
				if k < 0 {
					break
				}
				sub = sub[k:]
				if in == inner && it == protowire.VarintType {
					v, j := protowire.ConsumeVarint(sub)
					if j < 0 {
						break
					}
					val, found = int32(v), true
					sub = sub[j:]
					continue
				}
				j := protowire.ConsumeFieldValue(in, it, sub)
				if j < 0 {
					break
				}
				sub = sub[j:]
			}
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return val, found
		}
		b = b[m:]
	}
	return val, found
}
