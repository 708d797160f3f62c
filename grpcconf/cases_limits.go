package grpcconf

import (
	"bytes"
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
)

// DefaultLimit is the default maximum received message size of both
// grpc-go and grpcio.
const DefaultLimit = 4 << 20

// limitCases checks the 4 MiB receive limits in both directions, and that
// raised limits on both sides let bigger messages through but still bound
// them.
func limitCases() []Case {
	over := DefaultLimit + 1<<20
	return []Case{
		{Name: "limits/under_default", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			// Payload plus framing stays just under 4 MiB both ways.
			return echo(ctx, p, DefaultLimit-64)
		}},
		{Name: "limits/request_over_default", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			// The Go client sends without limit; the Python server refuses.
			_, err := p.Behavior().Unary(ctx, &testingv1.BehaviorRequest{Payload: make([]byte, over), ResponseSize: 1})
			if err := wantCode(err, codes.ResourceExhausted); err != nil {
				return fmt.Errorf("a %d-byte request to a server with default limits: %w", over, err)
			}
			return nil
		}},
		{Name: "limits/response_over_default", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			// The Python server sends without limit; the Go client refuses.
			_, err := p.Behavior().Unary(ctx, &testingv1.BehaviorRequest{ResponseSize: int32(over)})
			if err := wantCode(err, codes.ResourceExhausted); err != nil {
				return fmt.Errorf("a %d-byte response to a client with default limits: %w", over, err)
			}
			return nil
		}},
		{Name: "limits/raised_request", Server: ProfileRaised, Run: func(ctx context.Context, p *Probe) error {
			return echo(ctx, p, over, grpc.MaxCallRecvMsgSize(RaisedLimit), grpc.MaxCallSendMsgSize(RaisedLimit))
		}},
		{Name: "limits/raised_response", Server: ProfileRaised, Run: func(ctx context.Context, p *Probe) error {
			size := RaisedLimit - 1<<20
			resp, err := p.Behavior().Unary(ctx, &testingv1.BehaviorRequest{ResponseSize: int32(size)}, grpc.MaxCallRecvMsgSize(RaisedLimit))
			if err != nil {
				return wantOK(fmt.Sprintf("a %d-byte response with raised limits", size), err)
			}
			if len(resp.GetPayload()) != size {
				return fmt.Errorf("got a %d-byte payload, want %d", len(resp.GetPayload()), size)
			}
			return nil
		}},
		{Name: "limits/raised_still_bounded", Server: ProfileRaised, Run: func(ctx context.Context, p *Probe) error {
			size := RaisedLimit + 1<<20
			_, err := p.Behavior().Unary(ctx, &testingv1.BehaviorRequest{Payload: make([]byte, size), ResponseSize: 1}, grpc.MaxCallSendMsgSize(2*RaisedLimit))
			if err := wantCode(err, codes.ResourceExhausted); err != nil {
				return fmt.Errorf("a %d-byte request over the raised server limit: %w", size, err)
			}
			return nil
		}},
	}
}

// echo sends size bytes and checks they come back.
func echo(ctx context.Context, p *Probe, size int, opts ...grpc.CallOption) error {
	payload := bytes.Repeat([]byte("protoctl"), size/8+1)[:size]
	resp, err := p.Behavior().Unary(ctx, &testingv1.BehaviorRequest{Payload: payload}, opts...)
	if err != nil {
		return wantOK(fmt.Sprintf("echo of %d bytes", size), err)
	}
	if !bytes.Equal(resp.GetPayload(), payload) {
		return fmt.Errorf("echo of %d bytes came back as %d different bytes", size, len(resp.GetPayload()))
	}
	return nil
}
