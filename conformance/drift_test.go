package conformance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	userv1 "github.com/protoctl/protoctl/gen/acme/user/v1"
)

func workspaceFiles() []string {
	var out []string
	for _, p := range []string{"acme.", "protoctl.testing."} {
		for _, f := range filesWithPrefix(p) {
			out = append(out, f.Path())
		}
	}
	return out
}

// TestNoDrift compares the descriptors the real Go and Python testees load.
func TestNoDrift(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	goSet, err := LoadedDescriptors(ctx, goTestee(t), "-dump_descriptors")
	if err != nil {
		t.Fatal(err)
	}
	pySet, err := LoadedDescriptors(ctx, pythonTestee(t), "--dump-descriptors")
	if err != nil {
		t.Fatal(err)
	}
	d := CompareDescriptors(goSet, pySet, workspaceFiles())
	if len(d.Findings) > 0 {
		t.Errorf("drift between the generated go and python code: %+v", d.Findings)
	}
	if d.Checked < 20 {
		t.Errorf("checked %d messages and enums, want the whole contract", d.Checked)
	}
}

// TestStalePythonStub proves the drift check catches Python code generated
// from an older contract: a stub of acme/user/v1/user.proto whose User lacks
// a field and has another.
func TestStalePythonStub(t *testing.T) {
	t.Parallel()
	fdp := protodesc.ToFileDescriptorProto(userv1.File_acme_user_v1_user_proto)
	var user *descriptorpb.DescriptorProto
	for _, m := range fdp.GetMessageType() {
		if m.GetName() == "User" {
			user = m
		}
	}
	var kept []*descriptorpb.FieldDescriptorProto
	for _, f := range user.GetField() {
		if f.GetName() != "email" {
			kept = append(kept, f)
		}
	}
	user.Field = append(kept, &descriptorpb.FieldDescriptorProto{
		Name: proto.String("legacy_code"), JsonName: proto.String("legacyCode"), Number: proto.Int32(99),
		Type: descriptorpb.FieldDescriptorProto_TYPE_INT32.Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
	})
	b, err := proto.Marshal(fdp)
	if err != nil {
		t.Fatal(err)
	}
	// The stale package imports the real dependencies, then registers the
	// edited file as generated code does.
	dir := t.TempDir()
	pkg := filepath.Join(dir, "stalepb")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	src.WriteString("from google.protobuf import descriptor_pool, field_mask_pb2, timestamp_pb2  # noqa: F401\n")
	src.WriteString("from contractpb.acme.common.v1 import money_pb2, pagination_pb2  # noqa: F401\n")
	fmt.Fprintf(&src, "DESCRIPTOR = descriptor_pool.Default().AddSerializedFile(bytes.fromhex(%q))\n", fmt.Sprintf("%x", b))
	for name, text := range map[string]string{"__init__.py": "", "user_pb2.py": src.String()} {
		if err := os.WriteFile(filepath.Join(pkg, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	py := pythonTestee(t)
	py.Args = append(py.Args, "--package", "stalepb")
	py.Env = append(py.Env, "PYTHONPATH="+dir+string(os.PathListSeparator)+filepath.Join(repoRoot(t), "python", "src"))
	ctx := context.Background()
	pySet, err := LoadedDescriptors(ctx, py, "--dump-descriptors")
	if err != nil {
		t.Fatal(err)
	}
	goSet, err := LoadedDescriptors(ctx, goTestee(t), "-dump_descriptors")
	if err != nil {
		t.Fatal(err)
	}
	d := CompareDescriptors(goSet, pySet, []string{"acme/user/v1/user.proto", "acme/common/v1/money.proto"})
	var got []string
	for _, f := range d.Findings {
		got = append(got, f.Element+": "+f.Message)
	}
	want := []string{
		"acme.user.v1.User.email: field 2 only in the go code",
		"acme.user.v1.User.legacy_code: field 99 only in the python code",
		"acme/common/v1/money.proto: only the go code has this file: the python code is stale",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("drift findings (-want +got):\n%s", diff)
	}
}

func TestCompareDescriptors(t *testing.T) {
	t.Parallel()
	file := func(mutate func(*descriptorpb.FileDescriptorProto)) *descriptorpb.FileDescriptorSet {
		fd, err := protoregistry.GlobalFiles.FindFileByPath("acme/user/v1/user.proto")
		if err != nil {
			t.Fatal(err)
		}
		fdp := protodesc.ToFileDescriptorProto(fd)
		mutate(fdp)
		return &descriptorpb.FileDescriptorSet{File: []*descriptorpb.FileDescriptorProto{fdp}}
	}
	msg := func(f *descriptorpb.FileDescriptorProto, name string) *descriptorpb.DescriptorProto {
		for _, m := range f.GetMessageType() {
			if m.GetName() == name {
				return m
			}
		}
		t.Fatalf("no message %s", name)
		return nil
	}
	base := file(func(*descriptorpb.FileDescriptorProto) {})
	for _, tc := range []struct {
		name   string
		mutate func(*descriptorpb.FileDescriptorProto)
		want   []string
	}{
		{"same", func(*descriptorpb.FileDescriptorProto) {}, nil},
		{"field type", func(f *descriptorpb.FileDescriptorProto) {
			msg(f, "User").Field[0].Type = descriptorpb.FieldDescriptorProto_TYPE_BYTES.Enum()
		}, []string{"acme.user.v1.User.id: field 1 differs (go vs python): type string vs bytes"}},
		{"field renamed", func(f *descriptorpb.FileDescriptorProto) {
			msg(f, "User").Field[0].Name = proto.String("user_id")
		}, []string{"acme.user.v1.User.id: field 1 differs (go vs python): name id vs user_id"}},
		{"message removed", func(f *descriptorpb.FileDescriptorProto) {
			f.MessageType = f.MessageType[1:]
		}, []string{"acme.user.v1." + base.File[0].GetMessageType()[0].GetName() + ": message only in the go code: the python code is stale"}},
		{"enum value added", func(f *descriptorpb.FileDescriptorProto) {
			e := f.GetEnumType()[0]
			e.Value = append(e.Value, &descriptorpb.EnumValueDescriptorProto{Name: proto.String("NEW_VALUE"), Number: proto.Int32(77)})
		}, []string{"acme.user.v1." + base.File[0].GetEnumType()[0].GetName() + ".NEW_VALUE: enum value 77 only in the python code"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := CompareDescriptors(base, file(tc.mutate), []string{"acme/user/v1/user.proto"})
			var got []string
			for _, f := range d.Findings {
				got = append(got, f.Element+": "+f.Message)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}
