package compat_test

import (
	"context"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/protoctl/protoctl/compat"
	"github.com/protoctl/protoctl/compile"
)

// FuzzCheck merges fuzz bytes into one descriptor of a seed image and runs
// every rule in both directions, plus Summarize: whatever valid descriptors
// come out, the engine must not panic.
func FuzzCheck(f *testing.F) {
	seed := compileDir(f, "testdata/proto2/previous")
	f.Add(uint8(0), []byte{})
	f.Add(uint8(1), mustMarshal(f, &descriptorpb.FileDescriptorProto{Syntax: proto.String("proto3")}))
	f.Add(uint8(2), mustMarshal(f, &descriptorpb.FileDescriptorProto{MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("Extra")}}}))
	f.Add(uint8(3), mustMarshal(f, &descriptorpb.FileDescriptorProto{Options: &descriptorpb.FileOptions{GoPackage: proto.String("x/y")}}))
	all := compat.Config{Use: []string{"FILE", "PACKAGE", "WIRE_JSON", "WIRE"}}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		set := seed.FileDescriptorSet()
		i := int(which) % len(set.File)
		file := proto.Clone(set.File[i]).(*descriptorpb.FileDescriptorProto)
		if err := (proto.UnmarshalOptions{Merge: true}).Unmarshal(data, file); err != nil {
			return
		}
		set.File[i] = file
		raw, err := proto.Marshal(set)
		if err != nil {
			return
		}
		mutated, err := compile.ReadImage(raw)
		if err != nil {
			return // not a valid set of descriptors
		}
		ctx := context.Background()
		if _, _, err := compat.Check(ctx, seed, mutated, all); err != nil {
			t.Fatal(err)
		}
		if _, _, err := compat.Check(ctx, mutated, seed, all); err != nil {
			t.Fatal(err)
		}
		compat.Summarize(seed, mutated)
	})
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
