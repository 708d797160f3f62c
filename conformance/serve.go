package conformance

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	pb "github.com/protoctl/protoctl/gen/conformance"
)

// Resolver finds message and extension types by full name. Both
// *protoregistry.Types and protoregistry.GlobalTypes are Resolvers.
type Resolver interface {
	protoregistry.MessageTypeResolver
	protoregistry.ExtensionTypeResolver
	FindMessageByName(protoreflect.FullName) (protoreflect.MessageType, error)
}

// ErrCrash is returned by Serve when its Fault asks it to crash.
var ErrCrash = errors.New("deliberate crash (fault injection)")

// Serve is the Go testee: it answers framed ConformanceRequests from r on w
// until r ends, resolving message types through types. It returns nil on a
// clean EOF; an error only when the stream itself breaks (a bad frame, a
// failed write), never because a payload is bad.
func Serve(ctx context.Context, r io.Reader, w io.Writer, types Resolver, fault Fault) error {
	in := bufio.NewReaderSize(r, 64<<10)
	out := bufio.NewWriterSize(w, 64<<10)
	var buf []byte
	for n := 1; ; n++ {
		// Flush only when no further request is already buffered, so a
		// pipelined batch is answered with few writes.
		if in.Buffered() == 0 {
			if err := out.Flush(); err != nil {
				return err
			}
		}
		frame, err := ReadFrame(in)
		if err == io.EOF {
			return out.Flush()
		}
		if err != nil {
			return err
		}
		var resp *pb.ConformanceResponse
		req := &pb.ConformanceRequest{}
		if err := proto.Unmarshal(frame, req); err != nil {
			resp = &pb.ConformanceResponse{Result: &pb.ConformanceResponse_RuntimeError{RuntimeError: "cannot parse ConformanceRequest: " + err.Error()}}
		} else {
			if req.GetMessageType() != "conformance.FailureSet" {
				switch {
				case fault.fires("hang", n):
					_ = out.Flush()
					<-ctx.Done()
					return ctx.Err()
				case fault.fires("crash", n):
					_ = out.Flush()
					return ErrCrash
				case fault.fires("garbage", n):
					_, _ = out.Write([]byte{0xff, 0xff, 0xff, 0x7f, 'g', 'a', 'r', 'b', 'a', 'g', 'e'})
					return out.Flush()
				}
			}
			resp = Answer(req, types, fault)
		}
		b, err := proto.Marshal(resp)
		if err != nil {
			b, _ = proto.Marshal(&pb.ConformanceResponse{Result: &pb.ConformanceResponse_RuntimeError{RuntimeError: "cannot serialize ConformanceResponse: " + err.Error()}})
		}
		// The length, then the response, without copying a large one.
		buf = binary.LittleEndian.AppendUint32(buf[:0], uint32(len(b)))
		if _, err := out.Write(buf); err != nil {
			return err
		}
		if _, err := out.Write(b); err != nil {
			return err
		}
	}
}

// Answer computes the Go runtime's response to one request.
func Answer(req *pb.ConformanceRequest, types Resolver, fault Fault) (resp *pb.ConformanceResponse) {
	defer func() {
		if r := recover(); r != nil {
			resp = runtimeError(fmt.Sprintf("panic: %v", r))
		}
	}()
	mt, err := types.FindMessageByName(protoreflect.FullName(req.GetMessageType()))
	if err != nil {
		return runtimeError(fmt.Sprintf("unknown message type %q", req.GetMessageType()))
	}
	msg := mt.New().Interface()
	switch p := req.GetPayload().(type) {
	case *pb.ConformanceRequest_ProtobufPayload:
		opts := proto.UnmarshalOptions{Resolver: types, DiscardUnknown: fault.Mode == "drop-unknown"}
		err = opts.Unmarshal(p.ProtobufPayload, msg)
	case *pb.ConformanceRequest_JsonPayload:
		opts := protojson.UnmarshalOptions{Resolver: types, DiscardUnknown: req.GetTestCategory() == pb.TestCategory_JSON_IGNORE_UNKNOWN_PARSING_TEST}
		err = opts.Unmarshal([]byte(p.JsonPayload), msg)
	case *pb.ConformanceRequest_TextPayload:
		opts := prototext.UnmarshalOptions{Resolver: types}
		err = opts.Unmarshal([]byte(p.TextPayload), msg)
	case *pb.ConformanceRequest_JspbPayload:
		return &pb.ConformanceResponse{Result: &pb.ConformanceResponse_Skipped{Skipped: "jspb is not supported"}}
	default:
		return runtimeError("request has no payload")
	}
	if err != nil {
		if fault.Mode == "accept-invalid" {
			return &pb.ConformanceResponse{Result: &pb.ConformanceResponse_ProtobufPayload{}}
		}
		return &pb.ConformanceResponse{Result: &pb.ConformanceResponse_ParseError{ParseError: err.Error()}}
	}
	switch req.GetRequestedOutputFormat() {
	case pb.WireFormat_PROTOBUF:
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
		if err != nil {
			return serializeError(err)
		}
		if fault.Mode == "reorder-map" {
			b = reverseMapEntries(b, msg.ProtoReflect().Descriptor())
		}
		if fault.Mode == "flip-byte" && len(b) > 0 {
			b[len(b)-1] ^= 0x01
		}
		return &pb.ConformanceResponse{Result: &pb.ConformanceResponse_ProtobufPayload{ProtobufPayload: b}}
	case pb.WireFormat_JSON:
		b, err := protojson.MarshalOptions{Resolver: types}.Marshal(msg)
		if err != nil {
			return serializeError(err)
		}
		return &pb.ConformanceResponse{Result: &pb.ConformanceResponse_JsonPayload{JsonPayload: string(b)}}
	case pb.WireFormat_TEXT_FORMAT:
		b, err := prototext.MarshalOptions{Resolver: types, EmitUnknown: req.GetPrintUnknownFields()}.Marshal(msg)
		if err != nil {
			return serializeError(err)
		}
		return &pb.ConformanceResponse{Result: &pb.ConformanceResponse_TextPayload{TextPayload: string(b)}}
	case pb.WireFormat_JSPB:
		return &pb.ConformanceResponse{Result: &pb.ConformanceResponse_Skipped{Skipped: "jspb is not supported"}}
	default:
		return runtimeError(fmt.Sprintf("unknown requested output format %v", req.GetRequestedOutputFormat()))
	}
}

func runtimeError(msg string) *pb.ConformanceResponse {
	return &pb.ConformanceResponse{Result: &pb.ConformanceResponse_RuntimeError{RuntimeError: msg}}
}

func serializeError(err error) *pb.ConformanceResponse {
	return &pb.ConformanceResponse{Result: &pb.ConformanceResponse_SerializeError{SerializeError: err.Error()}}
}

// reverseMapEntries reverses the order of the top-level map entries in the
// binary message b, leaving every other record in place: a deliberately
// non-deterministic encoder, for the reorder-map fault.
func reverseMapEntries(b []byte, md protoreflect.MessageDescriptor) []byte {
	type record struct {
		raw   []byte
		isMap bool
	}
	var recs []record
	var maps [][]byte
	for rest := b; len(rest) > 0; {
		num, _, n := protowire.ConsumeField(rest)
		if n < 0 {
			return b
		}
		fd := md.Fields().ByNumber(num)
		r := record{raw: rest[:n], isMap: fd != nil && fd.IsMap()}
		if r.isMap {
			maps = append(maps, r.raw)
		}
		recs = append(recs, r)
		rest = rest[n:]
	}
	out := make([]byte, 0, len(b))
	for _, r := range recs {
		if r.isMap {
			r.raw, maps = maps[len(maps)-1], maps[:len(maps)-1]
		}
		out = append(out, r.raw...)
	}
	return out
}
