package conformance

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// dynamicSet writes a FileDescriptorSet with a message the generated code
// does not have (dyn.v1.Dyn, which uses a well-known type) and returns its
// path.
func dynamicSet(t *testing.T) string {
	t.Helper()
	fd := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("dyn/v1/dyn.proto"),
		Package:    proto.String("dyn.v1"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"google/protobuf/duration.proto"},
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("Dyn"),
			Field: []*descriptorpb.FieldDescriptorProto{
				{Name: proto.String("count"), JsonName: proto.String("count"), Number: proto.Int32(1), Type: descriptorpb.FieldDescriptorProto_TYPE_INT32.Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()},
				{Name: proto.String("took"), JsonName: proto.String("took"), Number: proto.Int32(2), Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(".google.protobuf.Duration"), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()},
			},
		}},
	}
	set := &descriptorpb.FileDescriptorSet{File: []*descriptorpb.FileDescriptorProto{
		protodesc.ToFileDescriptorProto(durationpb.File_google_protobuf_duration_proto), fd,
	}}
	b, err := proto.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dyn.binpb")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDynamicTypes serves a type from a descriptor set in both testees.
func TestDynamicTypes(t *testing.T) {
	t.Parallel()
	set := dynamicSet(t)
	types, err := LoadTypes(set)
	if err != nil {
		t.Fatal(err)
	}
	goCmd := goTestee(t)
	// The flag spelling docs/conformance.md gives for the upstream runner.
	goCmd.Args = []string{"--descriptor-set", set}
	pyCmd := PythonTestee(python(t), repoRoot(t), "", "--descriptor-set", set)
	g, p := NewProcess(goCmd), NewProcess(pyCmd)
	defer g.Close()
	defer p.Close()
	s, err := ParseSuite("dyn.yaml", []byte(`suite: dynamic
cases:
  - {name: binary, type: dyn.v1.Dyn, binary: "0807 1202 0801", want: ok}
  - {name: json, type: dyn.v1.Dyn, json: '{"count": 7, "took": "1.5s"}', want: ok}
  - {name: bad, type: dyn.v1.Dyn, json: '{"took": "soon"}', want: parse_error}
  - {name: failure_set, type: conformance.FailureSet, binary: "", outputs: [protobuf], want: ok}
`))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := (&Run{Go: g, Python: p, Types: types}).Execute(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.ID+" "+string(r.Status)+" "+string(KindOf(r.Go)))
	}
	want := []string{
		"binary.protobuf passed protobuf_payload", "binary.json passed json_payload",
		"json.protobuf passed protobuf_payload", "json.json passed json_payload",
		"bad.protobuf passed parse_error", "bad.json passed parse_error",
		"failure_set.protobuf passed protobuf_payload", // the upstream runner's first request
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if j := rep.Results[1].Go.Response.GetJsonPayload(); !strings.Contains(strings.Join(strings.Fields(j), ""), `"took":"1s"`) {
		t.Errorf("go JSON output %q lacks the duration", j)
	}
}

func TestLoadTypesErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.binpb")
	if err := os.WriteFile(garbage, []byte("\xff\xff"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.binpb"), "no such file"},
		{garbage, garbage + ": not a FileDescriptorSet"},
	} {
		if _, err := LoadTypes(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadTypes(%s) = %v, want an error containing %q", tc.path, err, tc.want)
		}
	}
}
