package grpcconf

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/stats"

	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
)

// compressionCases checks gzip both ways. A stats handler on the client
// connection sees each message's wire and uncompressed sizes and the
// response's grpc-encoding, so a silently uncompressed message fails.
// Importing grpc-go's gzip package registers the codec for the process.
func compressionCases() []Case {
	const size = 64 << 10
	payload := bytes.Repeat([]byte("compress me "), size/12)
	return []Case{
		{Name: "compression/gzip_request", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			return gzipCall(ctx, p, &testingv1.BehaviorRequest{Payload: payload, ResponseSize: 1}, true, false)
		}},
		{Name: "compression/gzip_response", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			return gzipCall(ctx, p, &testingv1.BehaviorRequest{Payload: payload, CompressResponse: true}, false, true)
		}},
		{Name: "compression/gzip_both", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			return gzipCall(ctx, p, &testingv1.BehaviorRequest{Payload: payload, CompressResponse: true}, true, true)
		}},
	}
}

func gzipCall(ctx context.Context, p *Probe, req *testingv1.BehaviorRequest, compressRequest, compressResponse bool) error {
	sizes := &sizeRecorder{}
	conn, err := p.Dial(grpc.WithStatsHandler(sizes))
	if err != nil {
		return err
	}
	defer conn.Close()
	var opts []grpc.CallOption
	if compressRequest {
		opts = append(opts, grpc.UseCompressor(gzip.Name))
	}
	resp, err := testingv1.NewBehaviorServiceClient(conn).Unary(ctx, req, opts...)
	if err != nil {
		return wantOK("Unary", err)
	}
	if req.GetResponseSize() == 0 && !bytes.Equal(resp.GetPayload(), req.GetPayload()) {
		return fmt.Errorf("the echo came back as %d different bytes", len(resp.GetPayload()))
	}
	sizes.mu.Lock()
	defer sizes.mu.Unlock()
	if compressRequest && !(sizes.outWire > 0 && sizes.outWire*4 < sizes.outLen) {
		return fmt.Errorf("request of %d bytes went out as %d on the wire, want gzip", sizes.outLen, sizes.outWire)
	}
	if compressResponse {
		if sizes.inEncoding != gzip.Name {
			return fmt.Errorf("response grpc-encoding %q, want %q", sizes.inEncoding, gzip.Name)
		}
		if !(sizes.inWire > 0 && sizes.inWire*4 < sizes.inLen) {
			return fmt.Errorf("response of %d bytes came in as %d on the wire, want gzip", sizes.inLen, sizes.inWire)
		}
	}
	return nil
}

// sizeRecorder is a stats.Handler that keeps the sizes of the last
// message each way and the response's encoding.
type sizeRecorder struct {
	mu              sync.Mutex
	outLen, outWire int
	inLen, inWire   int
	inEncoding      string
}

func (s *sizeRecorder) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (s *sizeRecorder) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (s *sizeRecorder) HandleConn(context.Context, stats.ConnStats)                       {}

func (s *sizeRecorder) HandleRPC(_ context.Context, st stats.RPCStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st := st.(type) {
	case *stats.OutPayload:
		s.outLen, s.outWire = st.Length, st.CompressedLength
	case *stats.InPayload:
		s.inLen, s.inWire = st.Length, st.CompressedLength
	case *stats.InHeader:
		s.inEncoding = st.Compression
	}
}
