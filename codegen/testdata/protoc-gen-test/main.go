// Command protoc-gen-test is a protoc plugin for protoctl's tests. Its
// parameter picks a behaviour: ok (one .txt file per input file), crash,
// hang, escape, abs, garbage, error, twice.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		panic(err)
	}
	var req pluginpb.CodeGeneratorRequest
	if err := proto.Unmarshal(in, &req); err != nil {
		panic(err)
	}
	resp := &pluginpb.CodeGeneratorResponse{}
	switch mode := req.GetParameter(); mode {
	case "crash":
		fmt.Fprintln(os.Stderr, "protoc-gen-test: crashing on purpose")
		os.Exit(3)
	case "hang":
		time.Sleep(time.Hour)
	case "garbage":
		_, _ = os.Stdout.Write([]byte{0xff, 0xff, 0xff, 0x01})
		return
	case "error":
		resp.Error = proto.String("no good: " + strings.Join(req.GetFileToGenerate(), ","))
	case "escape":
		resp.File = append(resp.File, &pluginpb.CodeGeneratorResponse_File{Name: proto.String("../escaped.txt"), Content: proto.String("x")})
	case "abs":
		resp.File = append(resp.File, &pluginpb.CodeGeneratorResponse_File{Name: proto.String("/tmp/abs.txt"), Content: proto.String("x")})
	default:
		for _, f := range req.GetFileToGenerate() {
			resp.File = append(resp.File, &pluginpb.CodeGeneratorResponse_File{
				Name:    proto.String(strings.TrimSuffix(f, ".proto") + ".txt"),
				Content: proto.String(fmt.Sprintf("%s generated with %q\n", f, mode)),
			})
		}
	}
	out, err := proto.Marshal(resp)
	if err != nil {
		panic(err)
	}
	_, _ = os.Stdout.Write(out)
}
