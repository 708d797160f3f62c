package compile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/descriptorpb"
)

func TestServiceSourceInfo(t *testing.T) {
	t.Parallel()
	loc := func(comment string, path ...int32) *descriptorpb.SourceCodeInfo_Location {
		return &descriptorpb.SourceCodeInfo_Location{Path: path, Span: []int32{1, 2, 3}, LeadingComments: proto.String(comment)}
	}
	file := &descriptorpb.FileDescriptorProto{
		Name:        proto.String("a.proto"),
		Package:     proto.String("a"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("M")}},
		Service: []*descriptorpb.ServiceDescriptorProto{{
			Name:   proto.String("S"),
			Method: []*descriptorpb.MethodDescriptorProto{{Name: proto.String("A")}, {Name: proto.String("B")}},
		}},
		SourceCodeInfo: &descriptorpb.SourceCodeInfo{Location: []*descriptorpb.SourceCodeInfo_Location{
			loc("file"),
			loc("package", 2),
			loc("message", 4, 0),
			loc("field", 4, 0, 2, 0),
			loc("service", 6, 0),
			loc("service name", 6, 0, 1),
			loc("method A", 6, 0, 2, 0),
			loc("method A input", 6, 0, 2, 0, 2),
			loc("method B", 6, 0, 2, 1),
			loc("service option", 6, 0, 3),
		}},
	}
	in, err := proto.MarshalOptions{Deterministic: true}.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	got := &descriptorpb.FileDescriptorProto{}
	if err := proto.Unmarshal(ServiceSourceInfo(in), got); err != nil {
		t.Fatal(err)
	}
	want := proto.Clone(file).(*descriptorpb.FileDescriptorProto)
	want.SourceCodeInfo.Location = []*descriptorpb.SourceCodeInfo_Location{
		loc("service", 6, 0), loc("method A", 6, 0, 2, 0), loc("method B", 6, 0, 2, 1),
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("ServiceSourceInfo (-want +got):\n%s", diff)
	}

	// Without source info, and undecodable, the input comes back as is.
	file.SourceCodeInfo = nil
	plain, err := proto.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"no source info": plain, "garbage": []byte{0xff, 0xff, 0xff}} {
		if got := ServiceSourceInfo(b); string(got) != string(b) {
			t.Errorf("%s: ServiceSourceInfo changed the input", name)
		}
	}
}
