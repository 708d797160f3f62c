package codegen

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/descriptorpb"
)

func TestWithFileOptions(t *testing.T) {
	t.Parallel()
	all := []FileOption{
		{Number: 1, Value: "com.acme.v1"},
		{Number: 8, Value: "AProto"},
		{Number: 9, Value: int32(1)},
		{Number: 10, Value: true},
		{Number: 27, Value: false},
		{Number: 31, Value: true},
		{Number: 36, Value: "AXX"},
	}
	tests := []struct {
		name      string
		file      *descriptorpb.FileDescriptorProto
		opts      []FileOption
		want      *descriptorpb.FileOptions
		unchanged bool
	}{
		{
			name: "defaults equal to the field defaults are not set",
			file: &descriptorpb.FileDescriptorProto{Name: proto.String("a.proto")},
			opts: all,
			want: &descriptorpb.FileOptions{JavaPackage: proto.String("com.acme.v1"), JavaOuterClassname: proto.String("AProto"),
				JavaMultipleFiles: proto.Bool(true), ObjcClassPrefix: proto.String("AXX")},
		},
		{
			name: "values the file has are left alone",
			file: &descriptorpb.FileDescriptorProto{Name: proto.String("a.proto"), Options: &descriptorpb.FileOptions{
				JavaPackage: proto.String("com.acme.v1"), JavaOuterClassname: proto.String("AProto"), JavaMultipleFiles: proto.Bool(true),
				ObjcClassPrefix: proto.String("AXX"), GoPackage: proto.String("x/y")}},
			opts:      all,
			unchanged: true,
		},
		{
			name: "values that differ are replaced, non-default flags set",
			file: &descriptorpb.FileDescriptorProto{Name: proto.String("a.proto"), Options: &descriptorpb.FileOptions{
				JavaPackage: proto.String("org.old"), CcEnableArenas: proto.Bool(false), OptimizeFor: descriptorpb.FileOptions_CODE_SIZE.Enum(),
				GoPackage: proto.String("x/y")}},
			opts: []FileOption{{Number: 1, Value: "com.new"}, {Number: 31, Value: true}, {Number: 9, Value: int32(3)}, {Number: 27, Value: true}},
			want: &descriptorpb.FileOptions{JavaPackage: proto.String("com.new"), CcEnableArenas: proto.Bool(true),
				OptimizeFor: descriptorpb.FileOptions_LITE_RUNTIME.Enum(), JavaStringCheckUtf8: proto.Bool(true), GoPackage: proto.String("x/y")},
		},
		{
			name: "false overrides of true defaults are set",
			file: &descriptorpb.FileDescriptorProto{Name: proto.String("a.proto")},
			opts: []FileOption{{Number: 31, Value: false}, {Number: 10, Value: false}, {Number: 9, Value: int32(1)}},
			want: &descriptorpb.FileOptions{CcEnableArenas: proto.Bool(false)},
		},
		{
			name: "edition 2024 files get no java_multiple_files",
			file: &descriptorpb.FileDescriptorProto{Name: proto.String("a.proto"), Syntax: proto.String("editions"), Edition: descriptorpb.Edition_EDITION_2024.Enum()},
			opts: []FileOption{{Number: 10, Value: true}, {Number: 36, Value: "AXX"}},
			want: &descriptorpb.FileOptions{ObjcClassPrefix: proto.String("AXX")},
		},
		{
			name:      "edition 2026 files get no cc_enable_arenas",
			file:      &descriptorpb.FileDescriptorProto{Name: proto.String("a.proto"), Syntax: proto.String("editions"), Edition: descriptorpb.Edition_EDITION_2026.Enum()},
			opts:      []FileOption{{Number: 31, Value: false}},
			unchanged: true,
		},
		{
			name:      "no options",
			file:      &descriptorpb.FileDescriptorProto{Name: proto.String("a.proto")},
			unchanged: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := proto.Marshal(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got := withFileOptions(b, tt.opts)
			if tt.unchanged {
				if !bytes.Equal(got, b) {
					t.Errorf("withFileOptions changed a file that already has every option")
				}
				return
			}
			var fd descriptorpb.FileDescriptorProto
			if err := proto.Unmarshal(got, &fd); err != nil {
				t.Fatal(err)
			}
			want := proto.Clone(tt.file).(*descriptorpb.FileDescriptorProto)
			want.Options = tt.want
			if diff := cmp.Diff(want, &fd, protocmp.Transform()); diff != "" {
				t.Errorf("decoded file mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWithFileOptionsMergedOptions checks that options split over
// several occurrences of the options field are read as a decoder merges
// them: the last value wins.
func TestWithFileOptionsMergedOptions(t *testing.T) {
	t.Parallel()
	b, err := proto.Marshal(&descriptorpb.FileDescriptorProto{Name: proto.String("a.proto"), Options: &descriptorpb.FileOptions{JavaPackage: proto.String("first")}})
	if err != nil {
		t.Fatal(err)
	}
	b = withFileOptions(b, []FileOption{{Number: 1, Value: "second"}})
	if again := withFileOptions(b, []FileOption{{Number: 1, Value: "second"}}); !bytes.Equal(again, b) {
		t.Errorf("a value set by an earlier append was not seen")
	}
	b = withFileOptions(b, []FileOption{{Number: 1, Value: "first"}})
	var fd descriptorpb.FileDescriptorProto
	if err := proto.Unmarshal(b, &fd); err != nil {
		t.Fatal(err)
	}
	if got := fd.GetOptions().GetJavaPackage(); got != "first" {
		t.Errorf("java_package = %q, want %q", got, "first")
	}
}

func TestWithJSType(t *testing.T) {
	t.Parallel()
	i64 := descriptorpb.FieldDescriptorProto_TYPE_INT64.Enum()
	field := func(name string, typ *descriptorpb.FieldDescriptorProto_Type, js *descriptorpb.FieldOptions_JSType) *descriptorpb.FieldDescriptorProto {
		f := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Type: typ}
		if js != nil {
			f.Options = &descriptorpb.FieldOptions{Jstype: js}
		}
		return f
	}
	str, num, normal := descriptorpb.FieldOptions_JS_STRING.Enum(), descriptorpb.FieldOptions_JS_NUMBER.Enum(), descriptorpb.FieldOptions_JS_NORMAL.Enum()
	file := func(js ...*descriptorpb.FieldOptions_JSType) *descriptorpb.FileDescriptorProto {
		return &descriptorpb.FileDescriptorProto{
			Name: proto.String("a.proto"), Package: proto.String("p"),
			MessageType: []*descriptorpb.DescriptorProto{{
				Name: proto.String("M"),
				Field: []*descriptorpb.FieldDescriptorProto{
					field("a", i64, js[0]), field("s", descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(), nil),
					field("u", descriptorpb.FieldDescriptorProto_TYPE_FIXED64.Enum(), js[1]),
				},
				NestedType: []*descriptorpb.DescriptorProto{{Name: proto.String("N"), Field: []*descriptorpb.FieldDescriptorProto{field("n", i64, js[2])}}},
				Extension:  []*descriptorpb.FieldDescriptorProto{field("me", i64, js[3])},
			}},
			Extension: []*descriptorpb.FieldDescriptorProto{field("e", i64, js[4])},
		}
	}
	rules := map[string]int32{"p.M.a": 1, "p.M.s": 1, "p.M.u": 0, "p.M.N.n": 2, "p.M.me": 1, "p.e": 0}
	b, err := proto.Marshal(file(nil, num, nil, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	got, err := withJSType(b, func(f string) (int32, bool) { v, ok := rules[f]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	var fd descriptorpb.FileDescriptorProto
	if err := proto.Unmarshal(got, &fd); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(file(str, normal, num, str, normal), &fd, protocmp.Transform()); diff != "" {
		t.Errorf("fields mismatch (-want +got):\n%s", diff)
	}
	again, err := withJSType(got, func(f string) (int32, bool) { v, ok := rules[f]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, got) {
		t.Errorf("a file whose fields have their jstype already was encoded again")
	}
	if _, err := withJSType([]byte{0xff}, func(string) (int32, bool) { return 1, true }); err == nil {
		t.Errorf("withJSType accepted a malformed file")
	}
}
