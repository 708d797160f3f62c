package grpcconf

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"

	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
)

// specialMessage has what a status message must survive: control
// characters, percent signs (grpc-message is percent-encoded on the wire),
// and BMP and non-BMP Unicode.
const specialMessage = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n 100% %41 %zz é"

// statusCases checks every non-OK code with its message, the special
// message, rich details, an unhandled exception and an inconsistent
// details code.
func statusCases() []Case {
	var cases []Case
	for c := codes.Canceled; c <= codes.Unauthenticated; c++ {
		cases = append(cases, Case{
			Name:   "status/" + snake(c.String()),
			Server: ProfileDefault,
			Run: func(ctx context.Context, p *Probe) error {
				msg := fmt.Sprintf("failed with %v on purpose", c)
				return checkStatus(ctx, p, &testingv1.StatusSpec{Code: int32(c), Message: msg}, c, msg, nil)
			},
		})
	}
	return append(cases,
		Case{Name: "status/special_message", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			return checkStatus(ctx, p, &testingv1.StatusSpec{Code: int32(codes.InvalidArgument), Message: specialMessage}, codes.InvalidArgument, specialMessage, nil)
		}},
		Case{Name: "status/rich_details", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			spec := &testingv1.StatusSpec{
				Code:    int32(codes.InvalidArgument),
				Message: "bad request",
				Details: []*testingv1.DetailSpec{
					{Kind: &testingv1.DetailSpec_BadRequest{BadRequest: &testingv1.FieldViolationSpec{Field: "payload", Description: "too short ☺"}}},
					{Kind: &testingv1.DetailSpec_ErrorInfo{ErrorInfo: &testingv1.ErrorInfoSpec{Reason: "PAYLOAD_TOO_SHORT", Domain: "protoctl.dev", Metadata: map[string]string{"min": "1", "got": "0"}}}},
					{Kind: &testingv1.DetailSpec_RetryDelayMs{RetryDelayMs: 1500}},
				},
			}
			want := []proto.Message{
				&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "payload", Description: "too short ☺"}}},
				&errdetails.ErrorInfo{Reason: "PAYLOAD_TOO_SHORT", Domain: "protoctl.dev", Metadata: map[string]string{"min": "1", "got": "0"}},
				&errdetails.RetryInfo{RetryDelay: durationpb.New(1500 * time.Millisecond)},
			}
			return checkStatus(ctx, p, spec, codes.InvalidArgument, "bad request", want)
		}},
		Case{Name: "status/details_on_every_code", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			// Rich details ride in the trailers of any code, e.g. a
			// RetryInfo with UNAVAILABLE and RESOURCE_EXHAUSTED.
			for _, c := range []codes.Code{codes.Unavailable, codes.ResourceExhausted, codes.FailedPrecondition, codes.Internal} {
				spec := &testingv1.StatusSpec{Code: int32(c), Message: "retry later", Details: []*testingv1.DetailSpec{{Kind: &testingv1.DetailSpec_RetryDelayMs{RetryDelayMs: 250}}}}
				want := []proto.Message{&errdetails.RetryInfo{RetryDelay: durationpb.New(250 * time.Millisecond)}}
				if err := checkStatus(ctx, p, spec, c, "retry later", want); err != nil {
					return fmt.Errorf("%v: %w", c, err)
				}
			}
			return nil
		}},
		Case{Name: "status/unhandled_exception", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			_, err := p.Behavior().Unary(ctx, &testingv1.BehaviorRequest{RaiseUnhandled: true})
			if err := wantCode(err, codes.Unknown); err != nil {
				return err
			}
			st := statusOf(err)
			if leak := leaksInternals(st.Message); leak != "" {
				return fmt.Errorf("the message %q shows Python internals (%q)", st.Message, leak)
			}
			if len(st.Details)+st.Undecoded > 0 {
				return fmt.Errorf("an unhandled exception came with %d details, want none", len(st.Details)+st.Undecoded)
			}
			p.Notef("an unhandled exception arrives as %v", st)
			return nil
		}},
		Case{Name: "status/details_code_mismatch", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			// The server packs a google.rpc.Status whose code differs from
			// grpc-status. grpc-go refuses the inconsistent pair: the call
			// fails with INTERNAL naming the mismatch, and the details are
			// dropped, so nobody acts on details meant for another code.
			spec := &testingv1.StatusSpec{
				Code: int32(codes.InvalidArgument), Message: "inconsistent", MismatchedCode: true,
				Details: []*testingv1.DetailSpec{{Kind: &testingv1.DetailSpec_ErrorInfo{ErrorInfo: &testingv1.ErrorInfoSpec{Reason: "R", Domain: "d"}}}},
			}
			_, err := p.Behavior().Unary(ctx, &testingv1.BehaviorRequest{Status: spec})
			if err := wantCode(err, codes.Internal); err != nil {
				return fmt.Errorf("a details code that differs from grpc-status must be noticed: %w", err)
			}
			st := statusOf(err)
			if !strings.Contains(st.Message, "mismatch") {
				return fmt.Errorf("message %q does not name the mismatch", st.Message)
			}
			if n := len(st.Details) + st.Undecoded; n > 0 {
				return fmt.Errorf("got %d details from an inconsistent status, want them dropped", n)
			}
			p.Notef("a details code mismatch arrives as %v", st)
			return nil
		}},
		Case{Name: "status/unimplemented_method", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			err := p.Conn().Invoke(ctx, "/protoctl.testing.v1.BehaviorService/NoSuchMethod", &testingv1.BehaviorRequest{}, &testingv1.BehaviorResponse{})
			if err := wantCode(err, codes.Unimplemented); err != nil {
				return err
			}
			err = p.Conn().Invoke(ctx, "/protoctl.testing.v1.NoSuchService/Unary", &testingv1.BehaviorRequest{}, &testingv1.BehaviorResponse{})
			return wantCode(err, codes.Unimplemented)
		}},
	)
}

// checkStatus makes a unary call fail with spec and compares what the Go
// side decoded.
func checkStatus(ctx context.Context, p *Probe, spec *testingv1.StatusSpec, code codes.Code, msg string, details []proto.Message) error {
	_, err := p.Behavior().Unary(ctx, &testingv1.BehaviorRequest{Status: spec})
	if err := wantCode(err, code); err != nil {
		return err
	}
	st := statusOf(err)
	if st.Message != msg {
		return fmt.Errorf("message (-want +got):\n%s", cmp.Diff(msg, st.Message))
	}
	if st.Undecoded > 0 {
		return fmt.Errorf("%d details could not be decoded (type not linked?)", st.Undecoded)
	}
	if len(details) == 0 && len(st.Details) == 0 {
		return nil
	}
	if diff := cmp.Diff(details, st.Details, protocmp.Transform()); diff != "" {
		return fmt.Errorf("details (-want +got):\n%s", diff)
	}
	return nil
}

// snake turns a code name ("InvalidArgument") into "invalid_argument".
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
