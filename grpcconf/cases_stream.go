package grpcconf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
)

// streamCases checks the four call shapes, errors in the middle of a
// stream and empty messages and streams.
func streamCases() []Case {
	return []Case{
		{Name: "stream/unary", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			return echo(ctx, p, 31)
		}},
		{Name: "stream/server", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			stream, err := p.Behavior().ServerStream(ctx, &testingv1.BehaviorRequest{ResponseCount: 5, ResponseSize: 10})
			if err != nil {
				return wantOK("ServerStream", err)
			}
			got, err := drain(stream)
			if err != nil {
				return err
			}
			return wantSequence(got, 5, 10)
		}},
		{Name: "stream/server_error_mid_stream", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			stream, err := p.Behavior().ServerStream(ctx, &testingv1.BehaviorRequest{
				ResponseCount: 5, FailAfter: 2,
				Status: &testingv1.StatusSpec{Code: int32(codes.FailedPrecondition), Message: "mid-stream failure"},
			})
			if err != nil {
				return wantOK("ServerStream", err)
			}
			var got []*testingv1.BehaviorResponse
			for {
				r, err := stream.Recv()
				if err != nil {
					if err := wantCode(err, codes.FailedPrecondition); err != nil {
						return fmt.Errorf("after %d responses: %w", len(got), err)
					}
					break
				}
				got = append(got, r)
			}
			return wantSequence(got, 2, -1)
		}},
		{Name: "stream/client", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			stream, err := p.Behavior().ClientStream(ctx)
			if err != nil {
				return wantOK("ClientStream", err)
			}
			for i := range 10 {
				if err := stream.Send(&testingv1.BehaviorRequest{Payload: []byte{byte(i)}}); err != nil {
					return wantOK("Send", err)
				}
			}
			resp, err := stream.CloseAndRecv()
			if err != nil {
				return wantOK("CloseAndRecv", err)
			}
			if resp.GetReceivedCount() != 10 {
				return fmt.Errorf("the server counted %d requests, want 10", resp.GetReceivedCount())
			}
			return nil
		}},
		{Name: "stream/client_error_mid_stream", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			stream, err := p.Behavior().ClientStream(ctx)
			if err != nil {
				return wantOK("ClientStream", err)
			}
			for i := range 5 {
				req := &testingv1.BehaviorRequest{}
				if i == 2 {
					req.Status = &testingv1.StatusSpec{Code: int32(codes.Aborted), Message: "third request refused"}
				}
				// Once the server has failed the call, Send returns io.EOF
				// and CloseAndRecv has the status.
				if err := stream.Send(req); err != nil {
					break
				}
			}
			_, err = stream.CloseAndRecv()
			return wantCode(err, codes.Aborted)
		}},
		{Name: "stream/bidi_ping_pong", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			stream, err := p.Behavior().BidiStream(ctx)
			if err != nil {
				return wantOK("BidiStream", err)
			}
			for i := range 5 {
				payload := bytes.Repeat([]byte{byte('a' + i)}, i+1)
				if err := stream.Send(&testingv1.BehaviorRequest{Payload: payload}); err != nil {
					return wantOK("Send", err)
				}
				r, err := stream.Recv()
				if err != nil {
					return wantOK(fmt.Sprintf("Recv %d", i), err)
				}
				if r.GetSequence() != int32(i) || !bytes.Equal(r.GetPayload(), payload) {
					return fmt.Errorf("response %d: sequence %d payload %q, want %d %q", i, r.GetSequence(), r.GetPayload(), i, payload)
				}
			}
			if err := stream.CloseSend(); err != nil {
				return wantOK("CloseSend", err)
			}
			if r, err := stream.Recv(); err != io.EOF {
				return fmt.Errorf("after half-close got %v, %v, want io.EOF", r, err)
			}
			return nil
		}},
		{Name: "stream/bidi_error_mid_stream", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			stream, err := p.Behavior().BidiStream(ctx)
			if err != nil {
				return wantOK("BidiStream", err)
			}
			for i := range 2 {
				if err := stream.Send(&testingv1.BehaviorRequest{}); err != nil {
					return wantOK("Send", err)
				}
				if _, err := stream.Recv(); err != nil {
					return wantOK(fmt.Sprintf("Recv %d", i), err)
				}
			}
			if err := stream.Send(&testingv1.BehaviorRequest{Status: &testingv1.StatusSpec{Code: int32(codes.DataLoss), Message: "lost"}}); err != nil && err != io.EOF {
				return wantOK("Send", err)
			}
			_, err = stream.Recv()
			return wantCode(err, codes.DataLoss)
		}},
		{Name: "empty/unary", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			resp, err := p.Behavior().Unary(ctx, &testingv1.BehaviorRequest{})
			if err != nil {
				return wantOK("Unary", err)
			}
			if len(resp.GetPayload()) != 0 {
				return fmt.Errorf("an empty request came back with a %d-byte payload", len(resp.GetPayload()))
			}
			return nil
		}},
		{Name: "empty/client_stream", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			stream, err := p.Behavior().ClientStream(ctx)
			if err != nil {
				return wantOK("ClientStream", err)
			}
			resp, err := stream.CloseAndRecv()
			if err != nil {
				return wantOK("CloseAndRecv of an empty stream", err)
			}
			if resp.GetReceivedCount() != 0 {
				return fmt.Errorf("the server counted %d requests of an empty stream", resp.GetReceivedCount())
			}
			return nil
		}},
		{Name: "empty/bidi_stream", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			stream, err := p.Behavior().BidiStream(ctx)
			if err != nil {
				return wantOK("BidiStream", err)
			}
			if err := stream.CloseSend(); err != nil {
				return wantOK("CloseSend", err)
			}
			got, err := drain(stream)
			if err != nil {
				return err
			}
			if len(got) != 0 {
				return fmt.Errorf("an empty bidi stream got %d responses", len(got))
			}
			return nil
		}},
		{Name: "concurrency/streams_50", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			// 50 bidi and 50 server streams at once on one connection.
			const n = 50
			start := time.Now()
			errs := make([]error, 2*n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(2)
				go func() { defer wg.Done(); errs[i] = bidiBurst(ctx, p, 3) }()
				go func() {
					defer wg.Done()
					stream, err := p.Behavior().ServerStream(ctx, &testingv1.BehaviorRequest{ResponseCount: 20, ResponseSize: 100})
					if err != nil {
						errs[n+i] = wantOK("ServerStream", err)
						return
					}
					got, err := drain(stream)
					if err == nil {
						err = wantSequence(got, 20, 100)
					}
					errs[n+i] = err
				}()
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				return err
			}
			p.Notef("%d concurrent streams took %v", 2*n, time.Since(start).Round(time.Millisecond))
			return nil
		}},
		{Name: "concurrency/unary_50", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			const n = 50
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = echo(ctx, p, 31+i)
				}()
			}
			wg.Wait()
			return errors.Join(errs...)
		}},
	}
}

// bidiBurst sends n requests, half-closes, then reads every response.
func bidiBurst(ctx context.Context, p *Probe, n int) error {
	stream, err := p.Behavior().BidiStream(ctx)
	if err != nil {
		return wantOK("BidiStream", err)
	}
	for range n {
		if err := stream.Send(&testingv1.BehaviorRequest{ResponseSize: 8}); err != nil {
			return wantOK("Send", err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		return wantOK("CloseSend", err)
	}
	got, err := drain(stream)
	if err != nil {
		return err
	}
	return wantSequence(got, n, 8)
}

// drain reads a stream to its end.
func drain(stream grpc.ClientStream) ([]*testingv1.BehaviorResponse, error) {
	var out []*testingv1.BehaviorResponse
	for {
		r := new(testingv1.BehaviorResponse)
		err := stream.RecvMsg(r)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, wantOK(fmt.Sprintf("Recv after %d responses", len(out)), err)
		}
		out = append(out, r)
	}
}

// wantSequence checks n responses numbered from 0, each of size bytes
// (size < 0: any).
func wantSequence(got []*testingv1.BehaviorResponse, n, size int) error {
	if len(got) != n {
		return fmt.Errorf("got %d responses, want %d", len(got), n)
	}
	for i, r := range got {
		if r.GetSequence() != int32(i) {
			return fmt.Errorf("response %d has sequence %d", i, r.GetSequence())
		}
		if size >= 0 && len(r.GetPayload()) != size {
			return fmt.Errorf("response %d has %d bytes, want %d", i, len(r.GetPayload()), size)
		}
	}
	return nil
}
