package conformance

import (
	"fmt"

	pb "github.com/protoctl/protoctl/gen/conformance"
)

// Limits on the payloads a run keeps and a report shows.
const (
	// keepLimit: once a request is judged, payloads larger than this are
	// cut to ShownBytes, so a run over 65 MiB messages does not hold them.
	keepLimit = 64 << 10
	// ShownBytes is how much of a payload a report shows.
	ShownBytes = 2 << 10
)

// compact cuts the large payloads of a judged result.
func compact(res *Result) {
	if payloadSize(res.Request) > keepLimit {
		req := &pb.ConformanceRequest{MessageType: res.Request.GetMessageType(), RequestedOutputFormat: res.Request.GetRequestedOutputFormat(), TestCategory: res.Request.GetTestCategory()}
		switch p := res.Request.GetPayload().(type) {
		case *pb.ConformanceRequest_ProtobufPayload:
			req.Payload = &pb.ConformanceRequest_ProtobufPayload{ProtobufPayload: clip(p.ProtobufPayload)}
		case *pb.ConformanceRequest_JsonPayload:
			req.Payload = &pb.ConformanceRequest_JsonPayload{JsonPayload: string(clip([]byte(p.JsonPayload)))}
		case *pb.ConformanceRequest_TextPayload:
			req.Payload = &pb.ConformanceRequest_TextPayload{TextPayload: string(clip([]byte(p.TextPayload)))}
		}
		res.Request = req
	}
	res.Go, res.Python, res.Return = compactReply(res.Go), compactReply(res.Python), compactReply(res.Return)
}

func compactReply(r Reply) Reply {
	var out *pb.ConformanceResponse
	n := 0
	switch x := r.Response.GetResult().(type) {
	case *pb.ConformanceResponse_ProtobufPayload:
		if n = len(x.ProtobufPayload); n > keepLimit {
			out = &pb.ConformanceResponse{Result: &pb.ConformanceResponse_ProtobufPayload{ProtobufPayload: clip(x.ProtobufPayload)}}
		}
	case *pb.ConformanceResponse_JsonPayload:
		if n = len(x.JsonPayload); n > keepLimit {
			out = &pb.ConformanceResponse{Result: &pb.ConformanceResponse_JsonPayload{JsonPayload: string(clip([]byte(x.JsonPayload)))}}
		}
	case *pb.ConformanceResponse_TextPayload:
		if n = len(x.TextPayload); n > keepLimit {
			out = &pb.ConformanceResponse{Result: &pb.ConformanceResponse_TextPayload{TextPayload: string(clip([]byte(x.TextPayload)))}}
		}
	}
	if out == nil {
		return r
	}
	return Reply{Response: out, Failure: r.Failure, Size: n}
}

func clip(b []byte) []byte {
	return append([]byte(nil), b[:min(len(b), ShownBytes)]...)
}

// shown is the part of a payload a report shows, and a note on the rest;
// size is the full size when known to be larger than b.
func shown(b []byte, size int) ([]byte, string) {
	size = max(size, len(b))
	if size <= ShownBytes {
		return b, ""
	}
	return b[:min(len(b), ShownBytes)], fmt.Sprintf(" ... (%d bytes in all, the first %d shown)", size, ShownBytes)
}
