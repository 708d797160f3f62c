// Command testee is protoctl's Go conformance testee: it speaks the protobuf
// conformance protocol on stdin/stdout (4-byte little-endian length, then a
// conformance.ConformanceRequest; the same framing back with a
// ConformanceResponse) and exits on EOF. Message types come from the
// generated Go code linked in, and from a FileDescriptorSet given with
// -descriptor_set (dynamic messages).
//
// The upstream conformance runner can drive it directly:
//
//	go build -o testee ./conformance/testee
//	conformance_test_runner --enforce_recommended ./testee
//
// with the runner's test messages supplied as a descriptor set
// (-descriptor-set FILE, e.g. built by `protoc --include_imports -o` from
// upstream's test_messages_*.proto; they are not committed here). See
// docs/conformance.md for the exact commands.
//
// With -versions it writes the versions it was built with (Go, protobuf
// runtime) as a JSON object and exits: the report header and the
// expectations' version ranges use them.
//
// With -dump_descriptors it writes the files of the generated code as a
// FileDescriptorSet and exits: the driver compares them with the Python
// side's before any payload test (the drift check).
//
// The environment variable PROTOCTL_TESTEE_FAULT ("mode" or "mode@n") makes it
// misbehave on purpose, for the driver's self-tests.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/protoctl/protoctl/conformance"
)

func main() {
	var descriptorSet string
	flag.StringVar(&descriptorSet, "descriptor-set", "", "serialized FileDescriptorSet with extra message types (dynamic messages)")
	flag.StringVar(&descriptorSet, "descriptor_set", "", "the same as -descriptor-set")
	dump := flag.Bool("dump_descriptors", false, "write the files of the generated code as a FileDescriptorSet to stdout and exit (the drift check)")
	versions := flag.Bool("versions", false, "write the Go toolchain and protobuf runtime versions as a JSON object to stdout and exit")
	flag.Parse()
	if *versions {
		b, _ := json.Marshal(conformance.GoVersions())
		fmt.Println(string(b))
		return
	}
	if *dump {
		b, err := conformance.DumpDescriptors()
		if err == nil {
			_, err = os.Stdout.Write(b)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "testee: "+err.Error())
			os.Exit(1)
		}
		return
	}
	fault, err := conformance.ParseFault(os.Getenv(conformance.FaultEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "testee: "+err.Error())
		os.Exit(1)
	}
	types, err := conformance.LoadTypes(descriptorSet)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testee: "+err.Error())
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := conformance.Serve(ctx, os.Stdin, os.Stdout, types, fault); err != nil {
		fmt.Fprintln(os.Stderr, "testee: "+err.Error())
		os.Exit(2)
	}
}
