package client_test

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
)

// behavior is an in-process Go BehaviorService with the Python server's
// semantics for what these tests use, plus failFirst: the first failFirst
// attempts of each token fail with UNAVAILABLE (to watch retries).
type behavior struct {
	testingv1.UnimplementedBehaviorServiceServer
	id        int32 // stands in for server_pid
	failFirst int

	mu       sync.Mutex
	attempts map[string]int
	cancels  map[string]bool
	conns    map[string]bool // remote addresses seen
}

// serveBehavior starts a behavior server with id on 127.0.0.1:0.
func serveBehavior(t testing.TB, id int32, opts ...grpc.ServerOption) (*behavior, string) {
	t.Helper()
	b := &behavior{id: id, attempts: map[string]int{}, cancels: map[string]bool{}, conns: map[string]bool{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(opts...)
	testingv1.RegisterBehaviorServiceServer(s, b)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return b, lis.Addr().String()
}

func (b *behavior) attempt(token string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.attempts[token]++
	return b.attempts[token]
}

func (b *behavior) attemptsOf(token string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.attempts[token]
}

func (b *behavior) answer(ctx context.Context, req *testingv1.BehaviorRequest, seq int32) (*testingv1.BehaviorResponse, error) {
	n := 0
	if req.GetToken() != "" {
		n = b.attempt(req.GetToken())
	}
	if n > 0 && n <= b.failFirst {
		return nil, status.Error(codes.Unavailable, "failing attempt on purpose")
	}
	if req.GetSleepMs() > 0 {
		select {
		case <-time.After(time.Duration(req.GetSleepMs()) * time.Millisecond):
		case <-ctx.Done():
			b.mu.Lock()
			b.cancels[req.GetToken()] = true
			b.mu.Unlock()
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
	if sp := req.GetStatus(); sp != nil && req.GetFailAfter() <= seq {
		return nil, specError(sp)
	}
	resp := &testingv1.BehaviorResponse{Payload: req.GetPayload(), Sequence: seq, ServerPid: b.id, DeadlineRemainingMs: -1}
	if req.GetResponseSize() > 0 {
		resp.Payload = make([]byte, req.GetResponseSize())
	}
	if d, ok := ctx.Deadline(); ok {
		resp.DeadlineRemainingMs = float64(time.Until(d).Milliseconds())
	}
	if req.GetEchoMetadata() {
		md, _ := metadata.FromIncomingContext(ctx)
		for k, vs := range md {
			for _, v := range vs {
				resp.ReceivedMetadata = append(resp.ReceivedMetadata, &testingv1.MetadataEntry{Key: k, Value: v})
			}
		}
	}
	return resp, nil
}

func specError(sp *testingv1.StatusSpec) error {
	st := status.New(codes.Code(sp.GetCode()), sp.GetMessage())
	var ds []protoadapt.MessageV1
	for _, d := range sp.GetDetails() {
		switch k := d.GetKind().(type) {
		case *testingv1.DetailSpec_BadRequest:
			ds = append(ds, &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: k.BadRequest.GetField(), Description: k.BadRequest.GetDescription()}}})
		case *testingv1.DetailSpec_ErrorInfo:
			ds = append(ds, &errdetails.ErrorInfo{Reason: k.ErrorInfo.GetReason(), Domain: k.ErrorInfo.GetDomain(), Metadata: k.ErrorInfo.GetMetadata()})
		case *testingv1.DetailSpec_RetryDelayMs:
			ds = append(ds, &errdetails.RetryInfo{RetryDelay: durationpb.New(time.Duration(k.RetryDelayMs) * time.Millisecond)})
		}
	}
	if len(ds) > 0 {
		var err error
		if st, err = st.WithDetails(ds...); err != nil {
			return status.Error(codes.Internal, err.Error())
		}
	}
	return st.Err()
}

func (b *behavior) Unary(ctx context.Context, req *testingv1.BehaviorRequest) (*testingv1.BehaviorResponse, error) {
	return b.answer(ctx, req, 0)
}

func (b *behavior) ServerStream(req *testingv1.BehaviorRequest, s grpc.ServerStreamingServer[testingv1.BehaviorResponse]) error {
	n := req.GetResponseCount()
	if n == 0 {
		n = 1
	}
	for i := range n {
		resp, err := b.answer(s.Context(), req, i)
		if err != nil {
			return err
		}
		if err := s.Send(resp); err != nil {
			return err
		}
	}
	return nil
}

func (b *behavior) ClientStream(s grpc.ClientStreamingServer[testingv1.BehaviorRequest, testingv1.BehaviorResponse]) error {
	var last *testingv1.BehaviorRequest
	count := int32(0)
	for {
		req, err := s.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if req.GetStatus() != nil {
			return specError(req.GetStatus())
		}
		last, count = req, count+1
	}
	resp, err := b.answer(s.Context(), last, 0)
	if err != nil {
		return err
	}
	resp.ReceivedCount = count
	return s.SendAndClose(resp)
}

func (b *behavior) BidiStream(s grpc.BidiStreamingServer[testingv1.BehaviorRequest, testingv1.BehaviorResponse]) error {
	for i := int32(0); ; i++ {
		req, err := s.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		resp, err := b.answer(s.Context(), req, i)
		if err != nil {
			return err
		}
		if err := s.Send(resp); err != nil {
			return err
		}
	}
}

func (b *behavior) Observation(_ context.Context, req *testingv1.ObservationRequest) (*testingv1.ObservationResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return &testingv1.ObservationResponse{Seen: b.attempts[req.GetToken()] > 0, Cancelled: b.cancels[req.GetToken()], Finished: true}, nil
}
