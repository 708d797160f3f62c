package grpcconf

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"

	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
)

// deadlineCases checks that the Go deadline reaches the Python handler
// and that expiry and cancellation stop it (seen through Observation).
func deadlineCases() []Case {
	return []Case{
		{Name: "deadline/propagated", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			const d = 5 * time.Second
			cctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			resp, err := p.Behavior().Unary(cctx, &testingv1.BehaviorRequest{})
			if err != nil {
				return wantOK("Unary", err)
			}
			got := resp.GetDeadlineRemainingMs()
			if got <= float64(d.Milliseconds())-2000 || got > float64(d.Milliseconds()) {
				return fmt.Errorf("the handler saw %.1f ms left of a %v deadline, want between %d and %d", got, d, d.Milliseconds()-2000, d.Milliseconds())
			}
			return nil
		}},
		{Name: "deadline/exceeded_reaches_handler", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			return stopHandler(ctx, p, "deadline/exceeded_reaches_handler", codes.DeadlineExceeded)
		}},
		{Name: "deadline/cancel_reaches_handler", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			return stopHandler(ctx, p, "deadline/cancel_reaches_handler", codes.Canceled)
		}},
		{Name: "deadline/cancel_after_first_response", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			stream, err := p.Behavior().ServerStream(cctx, &testingv1.BehaviorRequest{ResponseCount: 1000, SleepMs: 10})
			if err != nil {
				return wantOK("ServerStream", err)
			}
			if _, err := stream.Recv(); err != nil {
				return wantOK("first Recv", err)
			}
			cancel()
			for range 1001 {
				if _, err = stream.Recv(); err != nil {
					break
				}
			}
			return wantCode(err, codes.Canceled)
		}},
	}
}

// stopHandler starts a slow call, ends it from the client by deadline or
// cancel, and checks the client saw the right code promptly and the
// Python handler saw the call end and returned.
func stopHandler(ctx context.Context, p *Probe, name string, code codes.Code) error {
	const after = 300 * time.Millisecond
	tok := token(name)
	var cctx context.Context
	var cancel context.CancelFunc
	if code == codes.DeadlineExceeded {
		cctx, cancel = context.WithTimeout(ctx, after)
	} else {
		cctx, cancel = context.WithCancel(ctx)
		time.AfterFunc(after, cancel)
	}
	defer cancel()
	start := time.Now()
	_, err := p.Behavior().Unary(cctx, &testingv1.BehaviorRequest{SleepMs: 10_000, Token: tok})
	elapsed := time.Since(start)
	if err := wantCode(err, code); err != nil {
		return err
	}
	if err := within("the call", elapsed, after+time.Second); err != nil {
		return err
	}
	obs, err := observe(ctx, p, tok, 3*time.Second)
	if err != nil {
		return err
	}
	if !obs.GetSeen() || !obs.GetCancelled() {
		return fmt.Errorf("the python handler did not see the call end: seen=%v cancelled=%v finished=%v", obs.GetSeen(), obs.GetCancelled(), obs.GetFinished())
	}
	return nil
}
