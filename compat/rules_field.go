package compat

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Field-level rules, over fields matched by number within matched messages
// and extensions matched by extendee and number.

func (pr *pair) fields(f func(cur, prev *fieldNode)) {
	pr.messages(func(cm, pm *messageNode) {
		for _, pfl := range pm.fields {
			if cfl, ok := cm.byNum[pfl.p.GetNumber()]; ok {
				f(cfl, pfl)
			}
		}
	})
	for _, pf := range pr.prev.files {
		for _, px := range pf.extensions {
			if cx, ok := pr.cur.extensions[extKey{px.p.GetExtendee(), px.p.GetNumber()}]; ok {
				f(cx, px)
			}
		}
	}
}

func (fl *fieldNode) at(paths ...[]int32) place { return at(fl.file, paths...) }

func (fl *fieldNode) sub(elems ...int) []int32 { return child(fl.path, elems...) }

type cardinality int

const (
	cardinalityExplicit cardinality = iota + 1
	cardinalityImplicit
	cardinalityRequired
	cardinalityRepeated
	cardinalityMap
)

func (c cardinality) String() string {
	switch c {
	case cardinalityExplicit:
		return "optional with explicit presence"
	case cardinalityImplicit:
		return "optional with implicit presence"
	case cardinalityRequired:
		return "required"
	case cardinalityRepeated:
		return "repeated"
	case cardinalityMap:
		return "map"
	}
	return fmt.Sprint(int(c))
}

func cardinalityOf(d protoreflect.FieldDescriptor) cardinality {
	switch {
	case d.IsList():
		return cardinalityRepeated
	case d.IsMap():
		return cardinalityMap
	case d.Cardinality() == protoreflect.Required:
		return cardinalityRequired
	case d.HasPresence():
		return cardinalityExplicit
	}
	return cardinalityImplicit
}

// Wire-compatible groups: cardinalities within a group read each other's
// encoding.
var (
	wireCardinality     = map[cardinality]int{cardinalityExplicit: 1, cardinalityImplicit: 1, cardinalityRequired: 2, cardinalityRepeated: 3, cardinalityMap: 3}
	wireJSONCardinality = map[cardinality]int{cardinalityExplicit: 1, cardinalityImplicit: 1, cardinalityRequired: 2, cardinalityRepeated: 3, cardinalityMap: 4}
	identity            = map[cardinality]int{cardinalityExplicit: 1, cardinalityImplicit: 2, cardinalityRequired: 3, cardinalityRepeated: 4, cardinalityMap: 5}
)

func (pr *pair) cardinality(groups map[cardinality]int) {
	pr.fields(func(c, p *fieldNode) {
		if c.isMapEntry() && p.isMapEntry() {
			return
		}
		before, after := cardinalityOf(p.d), cardinalityOf(c.d)
		if groups[before] != groups[after] {
			pr.report(c.at(c.path), p.at(p.path), `%s changed cardinality from %q to %q.`, fieldDescription(c), before, after)
		}
	})
}

func checkFieldSameCardinality(pr *pair)               { pr.cardinality(identity) }
func checkFieldWireCompatibleCardinality(pr *pair)     { pr.cardinality(wireCardinality) }
func checkFieldWireJSONCompatibleCardinality(pr *pair) { pr.cardinality(wireJSONCardinality) }

// Kinds that read each other's wire encoding, and the stricter groups that
// also read each other's JSON.
var (
	wireKind = map[protoreflect.Kind]int{
		protoreflect.Int32Kind: 1, protoreflect.Int64Kind: 1, protoreflect.Uint32Kind: 1, protoreflect.Uint64Kind: 1, protoreflect.BoolKind: 1,
		protoreflect.Sint32Kind: 2, protoreflect.Sint64Kind: 2,
		protoreflect.StringKind: 3, protoreflect.BytesKind: 4,
		protoreflect.Fixed32Kind: 5, protoreflect.Sfixed32Kind: 5,
		protoreflect.Fixed64Kind: 6, protoreflect.Sfixed64Kind: 6,
		protoreflect.DoubleKind: 7, protoreflect.FloatKind: 8,
		protoreflect.GroupKind: 9, protoreflect.MessageKind: 10, protoreflect.EnumKind: 11,
	}
	wireJSONKind = map[protoreflect.Kind]int{
		protoreflect.Int32Kind: 1, protoreflect.Uint32Kind: 1,
		protoreflect.Int64Kind: 2, protoreflect.Uint64Kind: 2,
		protoreflect.Fixed32Kind: 3, protoreflect.Sfixed32Kind: 3,
		protoreflect.Fixed64Kind: 4, protoreflect.Sfixed64Kind: 4,
		protoreflect.BoolKind: 5, protoreflect.Sint32Kind: 6, protoreflect.Sint64Kind: 7,
		protoreflect.StringKind: 8, protoreflect.BytesKind: 9,
		protoreflect.DoubleKind: 10, protoreflect.FloatKind: 11,
		protoreflect.GroupKind: 12, protoreflect.MessageKind: 13, protoreflect.EnumKind: 14,
	}
)

func kindString(d protoreflect.FieldDescriptor) string {
	if d.Kind() == protoreflect.GroupKind && d.Syntax() != protoreflect.Proto2 {
		return "message (delimited encoding)"
	}
	return d.Kind().String()
}

func isNamedKind(k protoreflect.Kind) bool {
	return k == protoreflect.MessageKind || k == protoreflect.EnumKind || k == protoreflect.GroupKind
}

// typePlace is the field's type (a scalar keyword) or type name.
func (fl *fieldNode) typePlace() place {
	if isNamedKind(fl.d.Kind()) {
		return fl.typeNamePlace()
	}
	return fl.at(fl.sub(fieldType))
}

// typeNamePlace is the field's type name; for a proto2 group, whose name
// is also its type, buf points at the group keyword.
func (fl *fieldNode) typeNamePlace() place {
	if fl.p.GetType() == descriptorpb.FieldDescriptorProto_TYPE_GROUP {
		return fl.at(fl.sub(fieldType))
	}
	return fl.at(fl.sub(fieldTypeName))
}

func (pr *pair) changedType(c, p *fieldNode, extra string) {
	if extra != "" {
		extra = " " + extra
	}
	pr.report(c.typePlace(), p.typePlace(), `%s changed type from %q to %q.%s`, fieldDescription(c), kindString(p.d), kindString(c.d), extra)
}

func (pr *pair) changedTypeName(c, p *fieldNode) {
	pr.report(c.typeNamePlace(), p.typeNamePlace(), `%s changed type from %q to %q.`, fieldDescription(c),
		strings.TrimPrefix(p.p.GetTypeName(), "."), strings.TrimPrefix(c.p.GetTypeName(), "."))
}

func checkFieldSameType(pr *pair) {
	pr.fields(func(c, p *fieldNode) {
		if p.d.Kind() != c.d.Kind() {
			pr.changedType(c, p, "")
			return
		}
		switch c.p.GetType() {
		case descriptorpb.FieldDescriptorProto_TYPE_ENUM, descriptorpb.FieldDescriptorProto_TYPE_GROUP, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE:
			if p.p.GetTypeName() != c.p.GetTypeName() {
				pr.changedTypeName(c, p)
			}
		}
	})
}

const (
	wireRulesNote     = "See https://developers.google.com/protocol-buffers/docs/proto3#updating for wire compatibility rules."
	wireJSONRulesNote = "See https://developers.google.com/protocol-buffers/docs/proto3#updating for wire compatibility rules and https://developers.google.com/protocol-buffers/docs/proto3#json for JSON compatibility rules."
	bytesToStringNote = "Note that while string and bytes are compatible if the data is valid UTF-8, there is no way to enforce that a bytes field is UTF-8, so these fields may be incompatible."
)

func checkFieldWireCompatibleType(pr *pair) {
	pr.fields(func(c, p *fieldNode) {
		if wireKind[p.d.Kind()] != wireKind[c.d.Kind()] {
			switch {
			case p.d.Kind() == protoreflect.StringKind && c.d.Kind() == protoreflect.BytesKind:
				return
			case p.d.Kind() == protoreflect.BytesKind && c.d.Kind() == protoreflect.StringKind:
				pr.changedType(c, p, wireRulesNote+" "+bytesToStringNote)
				return
			}
			pr.changedType(c, p, wireRulesNote)
			return
		}
		switch c.p.GetType() {
		case descriptorpb.FieldDescriptorProto_TYPE_ENUM:
			if p.p.GetTypeName() != c.p.GetTypeName() {
				pr.enumWireCompatible(c, p)
			}
		case descriptorpb.FieldDescriptorProto_TYPE_GROUP, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE:
			if p.p.GetTypeName() != c.p.GetTypeName() {
				pr.changedTypeName(c, p)
			}
		}
	})
}

func checkFieldWireJSONCompatibleType(pr *pair) {
	pr.fields(func(c, p *fieldNode) {
		if wireJSONKind[p.d.Kind()] != wireJSONKind[c.d.Kind()] {
			pr.changedType(c, p, wireJSONRulesNote)
			return
		}
		switch c.d.Kind() {
		case protoreflect.EnumKind:
			if p.p.GetTypeName() != c.p.GetTypeName() {
				pr.enumWireCompatible(c, p)
			}
		case protoreflect.GroupKind, protoreflect.MessageKind:
			if p.p.GetTypeName() != c.p.GetTypeName() {
				pr.changedTypeName(c, p)
			}
		}
	})
}

// enumWireCompatible accepts a change of enum type when the enums have the
// same short name and the new one has every value of the old one.
func (pr *pair) enumWireCompatible(c, p *fieldNode) {
	pe := pr.prev.enums[strings.TrimPrefix(p.p.GetTypeName(), ".")]
	ce := pr.cur.enums[strings.TrimPrefix(c.p.GetTypeName(), ".")]
	if pe == nil || ce == nil || pe.p.GetName() != ce.p.GetName() {
		pr.changedTypeName(c, p)
		return
	}
	numbers := make(map[string]int32, len(ce.values))
	for _, v := range ce.values {
		numbers[v.p.GetName()] = v.p.GetNumber()
	}
	for _, v := range pe.values {
		if n, ok := numbers[v.p.GetName()]; !ok || n != v.p.GetNumber() {
			pr.changedTypeName(c, p)
			return
		}
	}
}

func checkFieldSameName(pr *pair) {
	pr.fields(func(c, p *fieldNode) {
		before, after := p.p.GetName(), c.p.GetName()
		if p.parent == nil {
			before, after = string(p.d.FullName()), string(c.d.FullName())
		}
		if before != after {
			pr.report(c.at(c.sub(fieldName)), p.at(p.sub(fieldName)), `%s changed name from %q to %q.`,
				fieldDescriptionWithName(c, ""), before, after)
		}
	})
}

func checkFieldSameJSONName(pr *pair) {
	pr.fields(func(c, p *fieldNode) {
		if p.parent == nil {
			return
		}
		if p.p.GetJsonName() != c.p.GetJsonName() {
			pr.report(c.at(c.sub(fieldJSONName), c.path), p.at(p.sub(fieldJSONName), p.path),
				`%s changed option "json_name" from %q to %q.`, fieldDescription(c), p.p.GetJsonName(), c.p.GetJsonName())
		}
	})
}

func is64BitInteger(t descriptorpb.FieldDescriptorProto_Type) bool {
	switch t {
	case descriptorpb.FieldDescriptorProto_TYPE_INT64, descriptorpb.FieldDescriptorProto_TYPE_SINT64,
		descriptorpb.FieldDescriptorProto_TYPE_UINT64, descriptorpb.FieldDescriptorProto_TYPE_FIXED64,
		descriptorpb.FieldDescriptorProto_TYPE_SFIXED64:
		return true
	}
	return false
}

func checkFieldSameJstype(pr *pair) {
	pr.fields(func(c, p *fieldNode) {
		if !is64BitInteger(p.p.GetType()) || !is64BitInteger(c.p.GetType()) {
			return
		}
		before, after := p.p.GetOptions().GetJstype(), c.p.GetOptions().GetJstype()
		if before != after {
			pr.report(c.at(c.sub(fieldOptions, fieldOptJstype), c.path), p.at(p.sub(fieldOptions, fieldOptJstype), p.path),
				`%s changed option "jstype" from %q to %q.`, fieldDescription(c), before.String(), after.String())
		}
	})
}

func checkFieldSameUtf8Validation(pr *pair) {
	pr.fields(func(c, p *fieldNode) {
		if p.d.Kind() != protoreflect.StringKind || c.d.Kind() != protoreflect.StringKind {
			return
		}
		before, after := utf8Validation(p.file, p.d), utf8Validation(c.file, c.d)
		if before != after {
			path := func(f *fieldNode) place {
				return f.at(f.sub(fieldOptions, fieldOptFeatures, featureUTF8Validation), f.path)
			}
			pr.report(path(c), path(p), `%s changed UTF8 validation from %v to %v.`, fieldDescription(c), before, after)
		}
	})
}

// C++ string types as (pb.cpp).string_type spells them; STRING_PIECE only
// exists as a ctype.
const (
	cppView   = 1
	cppCord   = 2
	cppString = 3
)

func cppTypeName(t int32, piece bool) string {
	if piece {
		return "STRING_PIECE"
	}
	switch t {
	case cppView:
		return "VIEW"
	case cppCord:
		return "CORD"
	case cppString:
		return "STRING"
	case 0:
		return "STRING_TYPE_UNKNOWN"
	}
	return fmt.Sprint(t)
}

func cppStringType(f *fieldNode) (int32, bool) {
	if o := f.p.GetOptions(); o != nil && o.Ctype != nil {
		switch o.GetCtype() {
		case descriptorpb.FieldOptions_CORD:
			return cppCord, false
		case descriptorpb.FieldOptions_STRING_PIECE:
			return cppString, true
		case descriptorpb.FieldOptions_STRING:
			return cppString, false
		}
		if f.file.fd.Syntax() != protoreflect.Editions {
			return cppString, false
		}
	}
	if f.file.fd.Syntax() == protoreflect.Editions {
		if v, ok := customFeature(f.d, featureExtCpp, cppFeatureStringType); ok {
			return v, false
		}
		if f.file.p.GetEdition() >= descriptorpb.Edition_EDITION_2024 {
			return cppView, false
		}
	}
	return cppString, false
}

func checkFieldSameCppStringType(pr *pair) {
	pr.fields(func(c, p *fieldNode) {
		if c.isMapEntry() && p.isMapEntry() {
			return
		}
		stringy := func(k protoreflect.Kind) bool { return k == protoreflect.StringKind || k == protoreflect.BytesKind }
		if !stringy(p.d.Kind()) || !stringy(c.d.Kind()) {
			return
		}
		bt, bp := cppStringType(p)
		at, ap := cppStringType(c)
		if (bt != at || bp != ap) && !(bp && at == cppString) {
			path := func(f *fieldNode) place {
				return f.at(f.sub(fieldOptions, fieldOptCtype), f.sub(fieldOptions, fieldOptFeatures, featureExtCpp, cppFeatureStringType), f.path)
			}
			pr.report(path(c), path(p), `%s changed C++ string type from %q to %q.`, fieldDescription(c), cppTypeName(bt, bp), cppTypeName(at, ap))
		}
	})
}

func javaUTF8Validation(f *fieldNode) descriptorpb.FeatureSet_Utf8Validation {
	def := utf8Validation(f.file, f.d)
	opts := f.file.p.GetOptions()
	if f.file.fd.Syntax() != protoreflect.Editions || (opts != nil && opts.JavaStringCheckUtf8 != nil) {
		if opts.GetJavaStringCheckUtf8() {
			return descriptorpb.FeatureSet_VERIFY
		}
		return def
	}
	if v, ok := customFeature(f.d, featureExtJava, javaFeatureUTF8Validation); ok && v == 2 {
		return descriptorpb.FeatureSet_VERIFY
	}
	return def
}

func checkFieldSameJavaUtf8Validation(pr *pair) {
	pr.fields(func(c, p *fieldNode) {
		if p.d.Kind() != protoreflect.StringKind || c.d.Kind() != protoreflect.StringKind {
			return
		}
		before, after := javaUTF8Validation(p), javaUTF8Validation(c)
		if before != after {
			path := func(f *fieldNode) place {
				return at(f.file, []int32{fileOptions, fileOptJavaStringCheckUTF8},
					f.sub(fieldOptions, fieldOptFeatures, featureExtJava, javaFeatureUTF8Validation), f.path)
			}
			pr.report(path(c), path(p), `%s changed Java string UTF8 validation from %q to %q.`, fieldDescription(c), before, after)
		}
	})
}

func checkFieldSameOneof(pr *pair) {
	pr.fields(func(c, p *fieldNode) {
		if p.parent == nil {
			return
		}
		oneof := func(f *fieldNode) protoreflect.OneofDescriptor {
			o := f.d.ContainingOneof()
			if o == nil || o.IsSynthetic() {
				return nil
			}
			return o
		}
		before, after := oneof(p), oneof(c)
		switch {
		case before == nil && after == nil:
			return
		case before != nil && after != nil:
			if before.Name() != after.Name() {
				pr.report(c.at(c.path), p.at(p.path), `%sq moved from oneof %q to oneof %q.`, fieldDescription(c), before.Name(), after.Name())
			}
			return
		}
		from, to := "inside", "outside"
		if after != nil {
			from, to = "outside", "inside"
		}
		pr.report(c.at(c.path), p.at(p.path), `%s moved from %s to %s a oneof.`, fieldDescription(c), from, to)
	})
}

// fieldDefault is a default value in a form that compares across types
// (comparable) and in the form buf prints (printable).
type fieldDefault struct {
	comparable any
	printable  any
}

func defaultOf(d protoreflect.FieldDescriptor) fieldDefault {
	switch d.Kind() {
	case protoreflect.BytesKind:
		data := d.Default().Bytes()
		parts := make([]string, len(data))
		for i, b := range data {
			parts[i] = fmt.Sprintf("0x%X", b)
		}
		return fieldDefault{comparable: string(data), printable: "[" + strings.Join(parts, ",") + "]"}
	case protoreflect.StringKind:
		return fieldDefault{comparable: d.Default().String(), printable: fmt.Sprintf("%q", d.Default().String())}
	case protoreflect.EnumKind:
		n := d.Default().Enum()
		ed := d.Enum()
		printable := fmt.Sprintf("%s.%d(?)", ed.Name(), n)
		if v := ed.Values().ByNumber(n); v != nil {
			printable = fmt.Sprintf("%s.%s", ed.Name(), v.Name())
		}
		return fieldDefault{comparable: int32(n), printable: printable}
	}
	v := d.Default().Interface()
	return fieldDefault{comparable: v, printable: v}
}

func (f fieldDefault) isZero() bool {
	v := reflect.ValueOf(f.comparable)
	return !v.IsValid() || v.IsZero()
}

func defaultsEqual(a, b fieldDefault) bool {
	_, as := a.comparable.(string)
	_, bs := b.comparable.(string)
	if as || bs {
		return a.comparable == b.comparable
	}
	switch af := a.comparable.(type) {
	case float32:
		if bf, ok := b.comparable.(float64); ok {
			return (math.IsNaN(float64(af)) && math.IsNaN(bf)) || af == float32(bf)
		}
	case float64:
		if bf, ok := b.comparable.(float32); ok {
			return (math.IsNaN(af) && math.IsNaN(float64(bf))) || float32(af) == bf
		}
	}
	av, an := bigFloat(a.comparable)
	bv, bn := bigFloat(b.comparable)
	if an || bn {
		return an == bn
	}
	if av == nil || bv == nil {
		return a.comparable == b.comparable
	}
	return av.Cmp(bv) == 0
}

func bigFloat(v any) (*big.Float, bool) {
	switch v := v.(type) {
	case bool:
		if v {
			return big.NewFloat(1), false
		}
		return big.NewFloat(0), false
	case int32:
		return new(big.Float).SetInt64(int64(v)), false
	case int64:
		return new(big.Float).SetInt64(v), false
	case uint32:
		return new(big.Float).SetUint64(uint64(v)), false
	case uint64:
		return new(big.Float).SetUint64(v), false
	case float32:
		if math.IsNaN(float64(v)) {
			return nil, true
		}
		if math.IsInf(float64(v), 0) {
			return new(big.Float).SetInf(v < 0), false
		}
		return big.NewFloat(float64(v)), false
	case float64:
		if math.IsNaN(v) {
			return nil, true
		}
		if math.IsInf(v, 0) {
			return new(big.Float).SetInf(v < 0), false
		}
		return big.NewFloat(v), false
	}
	return nil, false
}

func canHaveDefault(d protoreflect.FieldDescriptor) bool {
	return !d.IsList() && !d.IsMap() && d.Message() == nil
}

func checkFieldSameDefault(pr *pair) {
	pr.fields(func(c, p *fieldNode) {
		if !canHaveDefault(p.d) || !canHaveDefault(c.d) {
			return
		}
		before, after := defaultOf(p.d), defaultOf(c.d)
		if before.isZero() && after.isZero() {
			return
		}
		if !defaultsEqual(before, after) {
			pr.report(c.at(c.sub(fieldDefaultValue), c.path), p.at(p.sub(fieldDefaultValue), p.path),
				`%s changed default value from %v to %v.`, fieldDescription(c), before.printable, after.printable)
		}
	})
}
