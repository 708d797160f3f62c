package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/protoctl/protoctl/client"
	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
)

const (
	unaryMethod  = "protoctl.testing.v1.BehaviorService/Unary"
	behaviorName = "protoctl.testing.v1.BehaviorService"
)

// newPool opens a plaintext pool with its own metrics registry, closed at
// cleanup.
func newPool(t testing.TB, target string, opts ...client.Option) *client.Pool {
	t.Helper()
	return openPool(t, target, append([]client.Option{client.WithPlaintext()}, opts...)...)
}

// openPool opens a pool with its own metrics registry, closed at cleanup;
// opts must choose the transport security.
func openPool(t testing.TB, target string, opts ...client.Option) *client.Pool {
	t.Helper()
	opts = append([]client.Option{client.WithRegisterer(prometheus.NewRegistry())}, opts...)
	p, err := client.New(target, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// waitIdle waits until no call is in flight on any connection of p.
func waitIdle(t testing.TB, p *client.Pool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		idle := true
		for _, n := range p.InFlight() {
			if n != 0 {
				idle = false
			}
		}
		if idle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("calls in flight after the calls ended: %v", p.InFlight())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNewBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		target string
		opts   []client.Option
		want   string
	}{
		{name: "size", target: "dns:///x:1", opts: []client.Option{client.WithSize(0)}, want: "pool size 0: want at least 1"},
		{name: "method", target: "dns:///x:1", opts: []client.Option{client.WithIdempotent("a/b/c")}, want: `idempotent method "a/b/c": want package.Service/Method or package.Service`},
		{name: "attempts", target: "dns:///x:1", opts: []client.Option{client.WithIdempotent("a.B/C"), client.WithRetryPolicy(client.RetryPolicy{MaxAttempts: 1})}, want: "retry policy: max attempts 1: want at least 2"},
		{name: "timeout", target: "dns:///x:1", opts: []client.Option{client.WithDefaultTimeout(-time.Second)}, want: "default timeout -1s: want 0 or more"},
		{name: "static empty", target: "static:///", want: `target "static:///": static target: no addresses; want static:///host:port,host:port`},
		{name: "static port", target: "static:///localhost", want: `target "static:///localhost": static target: address "localhost": want host:port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := client.New(tt.target, append([]client.Option{client.WithPlaintext()}, tt.opts...)...)
			if err == nil {
				p.Close()
				t.Fatalf("New succeeded, want error %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
}

func TestServiceConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []client.Option
		want string
	}{
		{
			name: "default",
			want: `{"loadBalancingConfig":[{"round_robin":{}}]}`,
		},
		{
			name: "idempotent",
			opts: []client.Option{client.WithIdempotent("/pkg.Svc/Get", "pkg.Svc/List", "other.Svc", "pkg.Svc/Get")},
			want: `{"loadBalancingConfig":[{"round_robin":{}}],"methodConfig":[{"name":[{"service":"pkg.Svc","method":"Get"},{"service":"pkg.Svc","method":"List"},{"service":"other.Svc"}],` +
				`"retryPolicy":{"maxAttempts":4,"initialBackoff":"0.05s","maxBackoff":"1s","backoffMultiplier":2,"retryableStatusCodes":["UNAVAILABLE"]}}]}`,
		},
		{
			name: "policy",
			opts: []client.Option{client.WithIdempotent("a.B/C"), client.WithRetryPolicy(client.RetryPolicy{
				MaxAttempts: 5, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 2500 * time.Millisecond, Multiplier: 1.5,
				Codes: []codes.Code{codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded},
			})},
			want: `{"loadBalancingConfig":[{"round_robin":{}}],"methodConfig":[{"name":[{"service":"a.B","method":"C"}],` +
				`"retryPolicy":{"maxAttempts":5,"initialBackoff":"0.01s","maxBackoff":"2.5s","backoffMultiplier":1.5,"retryableStatusCodes":["UNAVAILABLE","RESOURCE_EXHAUSTED","DEADLINE_EXCEEDED"]}}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := client.ServiceConfig(tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("service config (-want +got):\n%s", diff)
			}
			// grpc-go parses it (it rejects an invalid default config).
			cc, err := grpc.NewClient("passthrough:///127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDefaultServiceConfig(got))
			if err != nil {
				t.Fatalf("grpc rejects the service config: %v", err)
			}
			cc.Close()
		})
	}
	// And the check above can fail.
	if _, err := grpc.NewClient("passthrough:///127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(`{"methodConfig":[{"name":[{"service":"a"}],"retryPolicy":{"maxAttempts":1}}]}`)); err == nil {
		t.Error("grpc accepted an invalid retry policy")
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		opts         []client.Option
		wantCode     codes.Code
		wantAttempts int
	}{
		{name: "idempotent method", opts: []client.Option{client.WithIdempotent(unaryMethod)}, wantCode: codes.OK, wantAttempts: 2},
		{name: "idempotent service", opts: []client.Option{client.WithIdempotent(behaviorName)}, wantCode: codes.OK, wantAttempts: 2},
		{name: "other method", opts: []client.Option{client.WithIdempotent(behaviorName + "/Observation")}, wantCode: codes.Unavailable, wantAttempts: 1},
		{name: "not idempotent", wantCode: codes.Unavailable, wantAttempts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, addr := serveBehavior(t, 1)
			srv.failFirst = 1
			p := newPool(t, "dns:///"+addr, tt.opts...)
			_, err := testingv1.NewBehaviorServiceClient(p).Unary(ctxFor(t, 10*time.Second), &testingv1.BehaviorRequest{Token: "t"})
			if got := status.Code(err); got != tt.wantCode {
				t.Errorf("code %s (%v), want %s", got, err, tt.wantCode)
			}
			if got := srv.attemptsOf("t"); got != tt.wantAttempts {
				t.Errorf("server saw %d attempts, want %d", got, tt.wantAttempts)
			}
		})
	}
}

func TestDefaultDeadline(t *testing.T) {
	t.Parallel()
	_, addr := serveBehavior(t, 1)
	tests := []struct {
		name     string
		opts     []client.Option
		ctx      time.Duration // 0: no deadline on the caller's context
		min, max float64       // deadline_remaining_ms bounds
	}{
		{name: "default", min: 9000, max: 10000},
		{name: "option", opts: []client.Option{client.WithDefaultTimeout(3 * time.Second)}, min: 2000, max: 3000},
		{name: "caller's wins", opts: []client.Option{client.WithDefaultTimeout(3 * time.Second)}, ctx: 7 * time.Second, min: 6000, max: 7000},
		{name: "none", opts: []client.Option{client.WithDefaultTimeout(0)}, min: -1, max: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPool(t, "dns:///"+addr, tt.opts...)
			ctx := context.Background()
			if tt.ctx > 0 {
				ctx = ctxFor(t, tt.ctx)
			}
			resp, err := testingv1.NewBehaviorServiceClient(p).Unary(ctx, &testingv1.BehaviorRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.GetDeadlineRemainingMs(); got < tt.min || got > tt.max {
				t.Errorf("deadline remaining %vms, want %v..%v", got, tt.min, tt.max)
			}
		})
	}
	t.Run("stream", func(t *testing.T) {
		t.Parallel()
		p := newPool(t, "dns:///"+addr, client.WithStreamTimeout(2*time.Second))
		s, err := testingv1.NewBehaviorServiceClient(p).ServerStream(context.Background(), &testingv1.BehaviorRequest{})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := s.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.GetDeadlineRemainingMs(); got < 1000 || got > 2000 {
			t.Errorf("deadline remaining %vms, want 1000..2000", got)
		}
		if _, err := s.Recv(); err != io.EOF {
			t.Errorf("end of stream: %v, want io.EOF", err)
		}
		waitIdle(t, p)
	})
}

// Every kind of stream gives its slot back exactly once, however it ends.
func TestStreamSlots(t *testing.T) {
	t.Parallel()
	_, addr := serveBehavior(t, 1)
	fail := &testingv1.StatusSpec{Code: int32(codes.FailedPrecondition), Message: "mid-stream"}
	tests := []struct {
		name     string
		run      func(ctx context.Context, c testingv1.BehaviorServiceClient) error
		wantCode codes.Code
	}{
		{name: "server stream to the end", run: func(ctx context.Context, c testingv1.BehaviorServiceClient) error {
			s, err := c.ServerStream(ctx, &testingv1.BehaviorRequest{ResponseCount: 3})
			if err != nil {
				return err
			}
			return drain(s.Recv)
		}},
		{name: "server stream error mid-stream", wantCode: codes.FailedPrecondition, run: func(ctx context.Context, c testingv1.BehaviorServiceClient) error {
			s, err := c.ServerStream(ctx, &testingv1.BehaviorRequest{ResponseCount: 3, FailAfter: 2, Status: fail})
			if err != nil {
				return err
			}
			return drain(s.Recv)
		}},
		{name: "server stream cancelled", wantCode: codes.Canceled, run: func(ctx context.Context, c testingv1.BehaviorServiceClient) error {
			ctx, cancel := context.WithCancel(ctx)
			s, err := c.ServerStream(ctx, &testingv1.BehaviorRequest{ResponseCount: 3})
			if err != nil {
				cancel()
				return err
			}
			if _, err := s.Recv(); err != nil {
				cancel()
				return err
			}
			cancel() // and never read again
			return status.Error(codes.Canceled, "cancelled by the test")
		}},
		{name: "server stream deadline", wantCode: codes.DeadlineExceeded, run: func(ctx context.Context, c testingv1.BehaviorServiceClient) error {
			ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			s, err := c.ServerStream(ctx, &testingv1.BehaviorRequest{SleepMs: 2000})
			if err != nil {
				return err
			}
			return drain(s.Recv)
		}},
		{name: "client stream", run: func(ctx context.Context, c testingv1.BehaviorServiceClient) error {
			s, err := c.ClientStream(ctx)
			if err != nil {
				return err
			}
			for range 3 {
				if err := s.Send(&testingv1.BehaviorRequest{}); err != nil {
					return err
				}
			}
			resp, err := s.CloseAndRecv()
			if err == nil && resp.GetReceivedCount() != 3 {
				return errors.New("server did not get 3 requests")
			}
			return err
		}},
		{name: "client stream failing", wantCode: codes.FailedPrecondition, run: func(ctx context.Context, c testingv1.BehaviorServiceClient) error {
			s, err := c.ClientStream(ctx)
			if err != nil {
				return err
			}
			if err := s.Send(&testingv1.BehaviorRequest{Status: fail}); err != nil {
				return err
			}
			_, err = s.CloseAndRecv()
			return err
		}},
		{name: "bidi", run: func(ctx context.Context, c testingv1.BehaviorServiceClient) error {
			s, err := c.BidiStream(ctx)
			if err != nil {
				return err
			}
			for range 2 {
				if err := s.Send(&testingv1.BehaviorRequest{}); err != nil {
					return err
				}
				if _, err := s.Recv(); err != nil {
					return err
				}
			}
			if err := s.CloseSend(); err != nil {
				return err
			}
			return drain(s.Recv)
		}},
		{name: "bidi cancelled before any message", wantCode: codes.Canceled, run: func(ctx context.Context, c testingv1.BehaviorServiceClient) error {
			ctx, cancel := context.WithCancel(ctx)
			if _, err := c.BidiStream(ctx); err != nil {
				cancel()
				return err
			}
			cancel()
			return status.Error(codes.Canceled, "cancelled by the test")
		}},
		{name: "unimplemented", wantCode: codes.Unimplemented, run: func(ctx context.Context, c testingv1.BehaviorServiceClient) error {
			return nil // replaced below
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPool(t, "dns:///"+addr, client.WithSize(2))
			c := testingv1.NewBehaviorServiceClient(p)
			run := tt.run
			if tt.name == "unimplemented" {
				run = func(ctx context.Context, _ testingv1.BehaviorServiceClient) error {
					s, err := p.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, "/nope.Svc/Method")
					if err != nil {
						return err
					}
					if err := s.SendMsg(&testingv1.BehaviorRequest{}); err != nil {
						return err
					}
					_ = s.CloseSend()
					return s.RecvMsg(&testingv1.BehaviorResponse{})
				}
			}
			for range 3 { // a leaked or doubly released slot adds up
				err := run(ctxFor(t, 10*time.Second), c)
				if got := status.Code(err); got != tt.wantCode {
					t.Fatalf("code %s (%v), want %s", got, err, tt.wantCode)
				}
				if err != nil && !strings.Contains(err.Error(), "by the test") {
					if _, ok := client.Status(err); !ok {
						t.Errorf("error %T is not a *client.StatusError", err)
					}
				}
			}
			waitIdle(t, p)
		})
	}
}

func drain[T any](recv func() (T, error)) error {
	for {
		if _, err := recv(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func TestStatusErrorDetails(t *testing.T) {
	t.Parallel()
	_, addr := serveBehavior(t, 1)
	p := newPool(t, "dns:///"+addr)
	c := testingv1.NewBehaviorServiceClient(p)
	spec := &testingv1.StatusSpec{Code: int32(codes.InvalidArgument), Message: "bad\tinput ünïcode", Details: []*testingv1.DetailSpec{
		{Kind: &testingv1.DetailSpec_BadRequest{BadRequest: &testingv1.FieldViolationSpec{Field: "payload", Description: "too short"}}},
		{Kind: &testingv1.DetailSpec_ErrorInfo{ErrorInfo: &testingv1.ErrorInfoSpec{Reason: "SHORT", Domain: "acme.dev", Metadata: map[string]string{"min": "3"}}}},
		{Kind: &testingv1.DetailSpec_RetryDelayMs{RetryDelayMs: 1500}},
	}}
	wantDetails := []any{
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "payload", Description: "too short"}}},
		&errdetails.ErrorInfo{Reason: "SHORT", Domain: "acme.dev", Metadata: map[string]string{"min": "3"}},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(1500 * time.Millisecond)},
	}
	ctx := ctxFor(t, 10*time.Second)
	_, unaryErr := c.Unary(ctx, &testingv1.BehaviorRequest{Status: spec})
	s, err := c.ServerStream(ctx, &testingv1.BehaviorRequest{Status: spec, ResponseCount: 2, FailAfter: 1})
	if err != nil {
		t.Fatal(err)
	}
	streamErr := drain(s.Recv)
	for name, err := range map[string]error{"unary": unaryErr, "stream": streamErr} {
		var se *client.StatusError
		if !errors.As(err, &se) {
			t.Fatalf("%s: error %T %v is not a *client.StatusError", name, err, err)
		}
		if se.Code() != codes.InvalidArgument || se.Message() != spec.Message {
			t.Errorf("%s: %s %q, want InvalidArgument %q", name, se.Code(), se.Message(), spec.Message)
		}
		var got []any
		for _, d := range se.Details() {
			got = append(got, d)
		}
		if diff := cmp.Diff(wantDetails, got, protocmp.Transform()); diff != "" {
			t.Errorf("%s: details (-want +got):\n%s", name, diff)
		}
		if st, ok := status.FromError(err); !ok || st.Code() != codes.InvalidArgument || len(st.Details()) != 3 {
			t.Errorf("%s: status.FromError = %v, %v", name, st, ok)
		}
		ri, ok := client.Detail[*errdetails.RetryInfo](err)
		if !ok || ri.GetRetryDelay().AsDuration() != 1500*time.Millisecond {
			t.Errorf("%s: Detail RetryInfo = %v, %v", name, ri, ok)
		}
		if want := "rpc error: code = InvalidArgument desc = " + spec.Message; err.Error() != want {
			t.Errorf("%s: Error() %q, want %q", name, err.Error(), want)
		}
	}
	if _, ok := client.Detail[*errdetails.QuotaFailure](unaryErr); ok {
		t.Error("Detail found a QuotaFailure that is not there")
	}
	if _, ok := client.Status(errors.New("plain")); ok {
		t.Error("Status accepted a plain error")
	}
}

var traceParentRE = regexp.MustCompile(`^00-[0-9a-f]{32}-[0-9a-f]{16}-01$`)

func TestTraceParent(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		tp := client.NewTraceParent()
		if !traceParentRE.MatchString(tp) {
			t.Fatalf("NewTraceParent() = %q, not a traceparent", tp)
		}
		if seen[tp[3:35]] {
			t.Fatalf("trace id %s repeated", tp[3:35])
		}
		seen[tp[3:35]] = true
	}
	for _, bad := range []string{"", "00-abc-def-01", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"} {
		if _, err := client.WithTraceParent(context.Background(), bad, ""); err == nil {
			t.Errorf("WithTraceParent(%q) accepted it", bad)
		}
	}

	_, addr := serveBehavior(t, 1)
	p := newPool(t, "dns:///"+addr)
	c := testingv1.NewBehaviorServiceClient(p)
	const given = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	withGiven, err := client.WithTraceParent(context.Background(), given, "a=1,b=2")
	if err != nil {
		t.Fatal(err)
	}
	explicit := metadata.AppendToOutgoingContext(withGiven, "traceparent", "00-11111111111111111111111111111111-2222222222222222-00")
	tests := []struct {
		name       string
		ctx        context.Context
		wantParent string // "" means: a new valid one
		wantState  []string
	}{
		{name: "new trace", ctx: context.Background()},
		{name: "from context", ctx: withGiven, wantParent: given, wantState: []string{"a=1,b=2"}},
		{name: "explicit metadata wins", ctx: explicit, wantParent: "00-11111111111111111111111111111111-2222222222222222-00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, kind := range []string{"unary", "stream"} {
				var md []*testingv1.MetadataEntry
				req := &testingv1.BehaviorRequest{EchoMetadata: true}
				if kind == "unary" {
					resp, err := c.Unary(tt.ctx, req)
					if err != nil {
						t.Fatal(err)
					}
					md = resp.GetReceivedMetadata()
				} else {
					s, err := c.ServerStream(tt.ctx, req)
					if err != nil {
						t.Fatal(err)
					}
					resp, err := s.Recv()
					if err != nil {
						t.Fatal(err)
					}
					md = resp.GetReceivedMetadata()
					_ = drain(s.Recv)
				}
				var parents, states []string
				for _, e := range md {
					switch e.GetKey() {
					case "traceparent":
						parents = append(parents, e.GetValue())
					case "tracestate":
						states = append(states, e.GetValue())
					}
				}
				if len(parents) != 1 {
					t.Fatalf("%s: server saw traceparent %q, want one", kind, parents)
				}
				if tt.wantParent == "" && !traceParentRE.MatchString(parents[0]) || tt.wantParent != "" && parents[0] != tt.wantParent {
					t.Errorf("%s: traceparent %q, want %q", kind, parents[0], tt.wantParent)
				}
				if diff := cmp.Diff(tt.wantState, states); diff != "" {
					t.Errorf("%s: tracestate (-want +got):\n%s", kind, diff)
				}
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	_, addr := serveBehavior(t, 1)
	reg := prometheus.NewRegistry()
	p := newPool(t, "dns:///"+addr, client.WithRegisterer(reg))
	c := testingv1.NewBehaviorServiceClient(p)
	ctx := ctxFor(t, 10*time.Second)
	for range 3 {
		if _, err := c.Unary(ctx, &testingv1.BehaviorRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = c.Unary(ctx, &testingv1.BehaviorRequest{Status: &testingv1.StatusSpec{Code: int32(codes.NotFound)}})
	s, err := c.BidiStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.CloseSend()
	if err := drain(s.Recv); err != nil {
		t.Fatal(err)
	}
	// A second pool on the same registry shares the collectors.
	p2 := newPool(t, "dns:///"+addr, client.WithRegisterer(reg))
	if _, err := testingv1.NewBehaviorServiceClient(p2).Unary(ctx, &testingv1.BehaviorRequest{}); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, p)

	want := `
# HELP protoctl_client_rpcs_total Calls through the pool that ended, by status code.
# TYPE protoctl_client_rpcs_total counter
protoctl_client_rpcs_total{grpc_code="NotFound",grpc_method="Unary",grpc_service="protoctl.testing.v1.BehaviorService",grpc_type="unary"} 1
protoctl_client_rpcs_total{grpc_code="OK",grpc_method="BidiStream",grpc_service="protoctl.testing.v1.BehaviorService",grpc_type="bidi_stream"} 1
protoctl_client_rpcs_total{grpc_code="OK",grpc_method="Unary",grpc_service="protoctl.testing.v1.BehaviorService",grpc_type="unary"} 4
# HELP protoctl_client_rpcs_in_flight Calls through the pool that started and have not ended.
# TYPE protoctl_client_rpcs_in_flight gauge
protoctl_client_rpcs_in_flight{grpc_method="BidiStream",grpc_service="protoctl.testing.v1.BehaviorService",grpc_type="bidi_stream"} 0
protoctl_client_rpcs_in_flight{grpc_method="Unary",grpc_service="protoctl.testing.v1.BehaviorService",grpc_type="unary"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), client.MetricCalls, client.MetricInFlight); err != nil {
		t.Error(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var samples uint64
	for _, mf := range mfs {
		if mf.GetName() != client.MetricDuration {
			continue
		}
		for _, m := range mf.GetMetric() {
			h := m.GetHistogram()
			samples += h.GetSampleCount()
			if len(h.GetBucket()) != len(client.DurationBuckets) {
				t.Errorf("histogram has %d buckets, want %d", len(h.GetBucket()), len(client.DurationBuckets))
			}
		}
	}
	if samples != 6 {
		t.Errorf("latency histogram has %d samples, want 6", samples)
	}
}

func TestDebugListener(t *testing.T) {
	t.Parallel()
	_, addr := serveBehavior(t, 1)
	p := newPool(t, "dns:///"+addr, client.WithDebugListener("127.0.0.1:0"))
	if _, err := testingv1.NewBehaviorServiceClient(p).Unary(ctxFor(t, 10*time.Second), &testingv1.BehaviorRequest{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, want string }{
		{"/metrics", client.MetricCalls + `{grpc_code="OK"`},
		{"/debug/pprof/", "goroutine"},
		{"/debug/pprof/goroutine?debug=1", "goroutine profile:"},
		{"/debug/pprof/heap", ""}, // binary, just 200
	}
	for _, tt := range tests {
		resp, err := http.Get("http://" + p.DebugAddr() + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), tt.want) {
			t.Errorf("GET %s: %s, body without %q:\n%.300s", tt.path, resp.Status, tt.want, body)
		}
	}
	if resp, err := http.Get("http://" + p.DebugAddr() + "/debug/pprof/nope"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown profile: %v %v, want 404", resp, err)
	}
	if newPool(t, "dns:///"+addr).DebugAddr() != "" {
		t.Error("DebugAddr without a debug listener is not empty")
	}
}

// A static target with several servers spreads calls over all of them, and
// SetBackends moves traffic to the new list.
func TestStaticBackends(t *testing.T) {
	t.Parallel()
	var addrs []string
	for id := range int32(3) {
		_, a := serveBehavior(t, id)
		addrs = append(addrs, a)
	}
	p := newPool(t, "static:///"+addrs[0]+","+addrs[1], client.WithSize(2))
	c := testingv1.NewBehaviorServiceClient(p)
	ctx := ctxFor(t, 20*time.Second)
	hits := func() map[int32]int {
		got := map[int32]int{}
		for range 40 {
			resp, err := c.Unary(ctx, &testingv1.BehaviorRequest{})
			if err != nil {
				t.Fatal(err)
			}
			got[resp.GetServerPid()]++
		}
		return got
	}
	if got := hits(); got[0] == 0 || got[1] == 0 || got[2] != 0 {
		t.Errorf("calls per server %v, want servers 0 and 1 only", got)
	}
	if err := p.SetBackends(addrs[1], addrs[2]); err != nil {
		t.Fatal(err)
	}
	// The change lands on each connection as its balancer takes it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := hits()
		if got[0] == 0 && got[1] > 0 && got[2] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("calls per server %v after SetBackends, want servers 1 and 2 only", got)
		}
	}
	if err := newPool(t, "dns:///"+addrs[0]).SetBackends(addrs[0]); err == nil {
		t.Error("SetBackends on a dns target succeeded")
	}
	if err := p.SetBackends("nope"); err == nil {
		t.Error("SetBackends accepted an address without a port")
	}
}

func TestServiceConfigIsJSON(t *testing.T) {
	t.Parallel()
	sc, err := client.ServiceConfig(client.WithIdempotent("a.B"))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(sc), &v); err != nil {
		t.Fatalf("service config is not JSON: %v", err)
	}
}

// BenchmarkUnary compares a unary call through a pool of one connection
// (pick, default deadline, metrics, trace context) with the same call on a
// bare grpc.ClientConn, against an in-process Go server.
func BenchmarkUnary(b *testing.B) {
	_, addr := serveBehavior(b, 1)
	bare, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer bare.Close()
	for _, bc := range []struct {
		name     string
		cc       grpc.ClientConnInterface
		deadline bool
	}{
		{"bare", bare, false},
		{"bare-deadline", bare, true}, // what the pool's default deadline costs grpc-go
		{"pool", newPool(b, "dns:///"+addr, client.WithSize(1)), false},
		{"pool-nometrics", newPool(b, "dns:///"+addr, client.WithSize(1), client.WithRegisterer(nil)), false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := testingv1.NewBehaviorServiceClient(bc.cc)
			req := &testingv1.BehaviorRequest{Payload: []byte("0123456789012345678901234567890")}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					ctx, cancel := context.Background(), context.CancelFunc(func() {})
					if bc.deadline {
						ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
					}
					_, err := c.Unary(ctx, req)
					cancel()
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func TestIdempotentFrom(t *testing.T) {
	t.Parallel()
	level := func(l descriptorpb.MethodOptions_IdempotencyLevel) *descriptorpb.MethodOptions {
		return &descriptorpb.MethodOptions{IdempotencyLevel: l.Enum()}
	}
	fdp := &descriptorpb.FileDescriptorProto{
		Name:        proto.String("x/v1/x.proto"),
		Package:     proto.String("x.v1"),
		Syntax:      proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("M")}},
		Service: []*descriptorpb.ServiceDescriptorProto{{
			Name: proto.String("S"),
			Method: []*descriptorpb.MethodDescriptorProto{
				{Name: proto.String("Get"), InputType: proto.String(".x.v1.M"), OutputType: proto.String(".x.v1.M"), Options: level(descriptorpb.MethodOptions_NO_SIDE_EFFECTS)},
				{Name: proto.String("Put"), InputType: proto.String(".x.v1.M"), OutputType: proto.String(".x.v1.M"), Options: level(descriptorpb.MethodOptions_IDEMPOTENT)},
				{Name: proto.String("Post"), InputType: proto.String(".x.v1.M"), OutputType: proto.String(".x.v1.M")},
				{Name: proto.String("Other"), InputType: proto.String(".x.v1.M"), OutputType: proto.String(".x.v1.M"), Options: level(descriptorpb.MethodOptions_IDEMPOTENCY_UNKNOWN)},
			},
		}},
	}
	fd, err := protodesc.NewFile(fdp, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := client.ServiceConfig(client.WithIdempotentFrom(fd.Services().Get(0)))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"loadBalancingConfig":[{"round_robin":{}}],"methodConfig":[{"name":[{"service":"x.v1.S","method":"Get"},{"service":"x.v1.S","method":"Put"}],` +
		`"retryPolicy":{"maxAttempts":4,"initialBackoff":"0.05s","maxBackoff":"1s","backoffMultiplier":2,"retryableStatusCodes":["UNAVAILABLE"]}}]}`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("service config (-want +got):\n%s", diff)
	}
}
