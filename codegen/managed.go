package codegen

import (
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

// ManagedFile is what managed mode changes in one workspace file.
type ManagedFile struct {
	// Options are the file options to set.
	Options []FileOption
	// JSType gives a field, by full name (package.Message.field, or an
	// extension's full name), the google.protobuf.FieldOptions.JSType enum
	// number to set, or false to leave it; nil leaves every field alone.
	// It is applied to 64-bit integer fields only.
	JSType func(field string) (int32, bool)
}

// apply returns the encoded FileDescriptorProto b with the changes made.
// File options are appended without decoding the file (withFileOptions);
// field options, which are rare, need the file decoded and encoded again.
func (m ManagedFile) apply(b []byte) ([]byte, error) {
	if m.JSType != nil {
		var err error
		if b, err = withJSType(b, m.JSType); err != nil {
			return nil, err
		}
	}
	return withFileOptions(b, m.Options), nil
}

// FileOption is a google.protobuf.FileOptions field that managed mode sets
// on a workspace file before generation.
type FileOption struct {
	// Number is the field number in google.protobuf.FileOptions.
	Number int32
	// Value is a string, a bool, or an int32 enum number.
	Value any
}

// Field numbers of google.protobuf.FileDescriptorProto and FileOptions
// that managed mode reads.
const (
	fileOptionsField  = 8  // FileDescriptorProto.options
	fileEditionField  = 14 // FileDescriptorProto.edition
	optimizeForNumber = 9  // FileOptions.optimize_for, default SPEED
	javaMultipleFiles = 10 // FileOptions.java_multiple_files, removed in edition 2024
	ccEnableArenas    = 31 // FileOptions.cc_enable_arenas, default true, removed in edition 2026

	edition2024 = 1001
	edition2026 = 1002
)

// withFileOptions sets file options on an encoded FileDescriptorProto the
// way buf's managed mode does: an option whose value equals the file's
// (its own, or the field's default where it has none) is left alone, so
// the option's presence does not change, and an option the file's
// edition removed is never set. The others are appended as one
// `options { ... }` field: protobuf merges a repeated occurrence of a
// message field into the first and the last scalar wins, so every reader
// decodes exactly the file with those options set, without the file being
// decoded and encoded again. Only the file's options and edition are read.
func withFileOptions(b []byte, opts []FileOption) []byte {
	if len(opts) == 0 {
		return b
	}
	cur, edition := currentOptions(b, opts)
	var add []byte
	for i, o := range opts {
		switch {
		case o.Number == javaMultipleFiles && edition >= edition2024,
			o.Number == ccEnableArenas && edition >= edition2026:
			continue
		}
		n := protowire.Number(o.Number)
		switch v := o.Value.(type) {
		case string:
			if s, _ := cur[i].(string); s == v {
				continue
			}
			add = protowire.AppendTag(add, n, protowire.BytesType)
			add = protowire.AppendString(add, v)
		case bool:
			c, ok := cur[i].(uint64)
			if !ok && o.Number == ccEnableArenas {
				c = 1
			}
			if (c != 0) == v {
				continue
			}
			add = protowire.AppendTag(add, n, protowire.VarintType)
			add = protowire.AppendVarint(add, protowire.EncodeBool(v))
		case int32:
			c, ok := cur[i].(uint64)
			if !ok && o.Number == optimizeForNumber {
				c = 1
			}
			if int32(c) == v {
				continue
			}
			add = protowire.AppendTag(add, n, protowire.VarintType)
			add = protowire.AppendVarint(add, uint64(int64(v)))
		}
	}
	if len(add) == 0 {
		return b
	}
	out := make([]byte, 0, len(b)+len(add)+8)
	out = append(out, b...)
	out = protowire.AppendTag(out, fileOptionsField, protowire.BytesType)
	return protowire.AppendBytes(out, add)
}

// currentOptions reads, from an encoded FileDescriptorProto, the file's
// edition and the value of each of opts (a string, or a uint64 varint;
// nil where the file does not set it). Later occurrences win, as in
// decoding. Malformed input ends the scan early: what was read stands.
func currentOptions(b []byte, opts []FileOption) (cur []any, edition int32) {
	cur = make([]any, len(opts))
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return cur, edition
		}
		b = b[n:]
		switch {
		case num == fileOptionsField && typ == protowire.BytesType:
			msg, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return cur, edition
			}
			readOptions(msg, opts, cur)
			n = m
		case num == fileEditionField && typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return cur, edition
			}
			edition, n = int32(v), m
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return cur, edition
			}
		}
		b = b[n:]
	}
	return cur, edition
}

// readOptions records the values of opts found in one encoded FileOptions.
func readOptions(b []byte, opts []FileOption, cur []any) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return
		}
		b = b[n:]
		i := -1
		for j, o := range opts {
			if protowire.Number(o.Number) == num {
				i = j
				break
			}
		}
		switch {
		case i >= 0 && typ == protowire.BytesType:
			s, m := protowire.ConsumeString(b)
			if m < 0 {
				return
			}
			cur[i], n = s, m
		case i >= 0 && typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return
			}
			cur[i], n = v, m
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return
			}
		}
		b = b[n:]
	}
}

// withJSType sets the jstype option of the 64-bit integer fields of an
// encoded FileDescriptorProto that jsType names, unless a field has that
// value already (as buf does, an explicit JS_NORMAL is set on a field that
// has no jstype).
func withJSType(b []byte, jsType func(field string) (int32, bool)) ([]byte, error) {
	var fd descriptorpb.FileDescriptorProto
	if err := proto.Unmarshal(b, &fd); err != nil {
		return nil, err
	}
	changed := false
	visit := func(scope string, fields []*descriptorpb.FieldDescriptorProto) {
		for _, f := range fields {
			v, ok := jsType(scope + f.GetName())
			if !ok || !is64BitInteger(f.GetType()) {
				continue
			}
			if f.GetOptions() != nil && f.GetOptions().Jstype != nil && int32(f.GetOptions().GetJstype()) == v {
				continue
			}
			if f.Options == nil {
				f.Options = &descriptorpb.FieldOptions{}
			}
			f.Options.Jstype = descriptorpb.FieldOptions_JSType(v).Enum()
			changed = true
		}
	}
	var message func(scope string, m *descriptorpb.DescriptorProto)
	message = func(scope string, m *descriptorpb.DescriptorProto) {
		name := scope + m.GetName() + "."
		visit(name, m.GetField())
		visit(name, m.GetExtension())
		for _, n := range m.GetNestedType() {
			message(name, n)
		}
	}
	pkg := ""
	if fd.GetPackage() != "" {
		pkg = fd.GetPackage() + "."
	}
	for _, m := range fd.GetMessageType() {
		message(pkg, m)
	}
	visit(pkg, fd.GetExtension())
	if !changed {
		return b, nil
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(&fd)
}

func is64BitInteger(t descriptorpb.FieldDescriptorProto_Type) bool {
	switch t {
	case descriptorpb.FieldDescriptorProto_TYPE_INT64, descriptorpb.FieldDescriptorProto_TYPE_UINT64,
		descriptorpb.FieldDescriptorProto_TYPE_SINT64, descriptorpb.FieldDescriptorProto_TYPE_FIXED64,
		descriptorpb.FieldDescriptorProto_TYPE_SFIXED64:
		return true
	}
	return false
}
