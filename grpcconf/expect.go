package grpcconf

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/protoctl/protoctl/client"

	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
)

// callStatus is what the Go side made of a call's error: the view a
// caller of the client gets.
type callStatus struct {
	Code    codes.Code
	Message string
	Details []proto.Message
	// Undecoded counts details whose type is not linked into the binary.
	Undecoded int
}

func statusOf(err error) callStatus {
	if se, ok := client.Status(err); ok {
		cs := callStatus{Code: se.Code(), Message: se.Message()}
		for _, d := range se.Details() {
			if _, any := d.(*anypb.Any); any {
				cs.Undecoded++
			} else {
				cs.Details = append(cs.Details, d)
			}
		}
		return cs
	}
	st := status.Convert(err)
	cs := callStatus{Code: st.Code(), Message: st.Message()}
	for _, d := range st.Details() {
		if m, ok := d.(proto.Message); ok {
			cs.Details = append(cs.Details, m)
		} else {
			cs.Undecoded++
		}
	}
	return cs
}

func (s callStatus) String() string {
	return fmt.Sprintf("%v %q (%d details)", s.Code, s.Message, len(s.Details)+s.Undecoded)
}

// wantCode checks err carries code.
func wantCode(err error, code codes.Code) error {
	if err == nil {
		if code == codes.OK {
			return nil
		}
		return fmt.Errorf("call succeeded, want %v", code)
	}
	if got := statusOf(err); got.Code != code {
		return fmt.Errorf("got %v, want %v", got, code)
	}
	return nil
}

// wantOK turns a call error into a failure that names the status.
func wantOK(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %v", what, statusOf(err))
}

// within checks that a call ended in time.
func within(what string, elapsed, limit time.Duration) error {
	if elapsed > limit {
		return fmt.Errorf("%s took %v, want under %v", what, elapsed.Round(time.Millisecond), limit)
	}
	return nil
}

// token names a call for Observation; unique within the server's life.
func token(name string) string {
	return fmt.Sprintf("%s@%d", name, time.Now().UnixNano())
}

// observe polls Observation until the handler of the call named tok has
// finished, or fails after wait.
func observe(ctx context.Context, p *Probe, tok string, wait time.Duration) (*testingv1.ObservationResponse, error) {
	deadline := time.Now().Add(wait)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		obs, err := p.Behavior().Observation(cctx, &testingv1.ObservationRequest{Token: tok})
		cancel()
		if err != nil {
			return nil, wantOK("Observation", err)
		}
		if obs.GetFinished() {
			return obs, nil
		}
		if time.Now().After(deadline) {
			return obs, fmt.Errorf("the handler of %q had not finished %v after the call ended (seen=%v cancelled=%v)", tok, wait, obs.GetSeen(), obs.GetCancelled())
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// leaksInternals says whether a status message shows Python internals.
func leaksInternals(msg string) string {
	// The last two are what the reference server's deliberate exception
	// says ("raise_unhandled: internal state secret=42 ...").
	for _, s := range []string{"Traceback", "File \"", ".py", "Exception calling application", "raise ", "Error:", "raise_unhandled", "secret"} {
		if strings.Contains(msg, s) {
			return s
		}
	}
	return ""
}
