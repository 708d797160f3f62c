package client_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	channelzgrpc "google.golang.org/grpc/channelz/grpc_channelz_v1"
	channelzsvc "google.golang.org/grpc/channelz/service"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/protoctl/protoctl/client"
	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
	"github.com/protoctl/protoctl/internal/pyserver"
)

// repoRoot is the workspace root, the parent of client/.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Dir(filepath.Dir(file))
}

// python returns the interpreter of the reference server, skipping the test
// when there is none with the server's dependencies.
func python(t testing.TB) string {
	t.Helper()
	py, err := pyserver.TestPython(repoRoot(t))
	if err != nil {
		t.Skipf("no Python environment for the reference server: %v", err)
	}
	return py
}

// startPython runs the reference server with workers processes and the
// extra flags, stopped at cleanup.
func startPython(t testing.TB, workers int, args ...string) *pyserver.Server {
	t.Helper()
	py := python(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, err := pyserver.Start(ctx, pyserver.Config{Python: py, Root: repoRoot(t), Workers: workers, Args: args})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Logf("stopping the server on %s: %v", s.Addr, err)
		}
	})
	return s
}

// process is a reference server started on a given address, for the fault
// tests that restart a server on the same port.
type process struct {
	addr string
	cmd  *exec.Cmd
	done chan error
	log  *syncBuffer
}

func launch(t testing.TB, addr string, workers int, args ...string) *process {
	t.Helper()
	root := repoRoot(t)
	argv := append([]string{"-m", "protoctl_server", "--listen", addr, "--workers", strconv.Itoa(workers), "--metrics-port", "0", "--log-level", "warning", "--plaintext"}, args...)
	cmd := exec.Command(python(t), argv...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join(root, "python", "src"), "PYTHONUNBUFFERED=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &process{addr: addr, cmd: cmd, done: make(chan error, 1), log: &syncBuffer{}}
	cmd.Stderr = p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { p.signal(syscall.SIGKILL) })
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return p
		}
		select {
		case err := <-p.done:
			t.Fatalf("server on %s exited before serving (%v): %s", addr, err, p.log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server on %s not serving after 60s: %s", addr, p.log.String())
		}
	}
}

// signal sends sig to the server's process group.
func (p *process) signal(sig syscall.Signal) {
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
}

// wait waits for the launcher to exit, at most d.
func (p *process) wait(d time.Duration) error {
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(d):
		return fmt.Errorf("server on %s still running after %v", p.addr, d)
	}
}

// syncBuffer is a strings.Builder safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// The pool's connections land on several worker processes of one
// SO_REUSEPORT address: this is why there is a pool.
func TestPythonSpread(t *testing.T) {
	t.Parallel()
	srv := startPython(t, 2)
	const size = 16 // all 16 on one of 2 processes: p = 2^-15
	p := newPool(t, "dns:///"+srv.Addr, client.WithSize(size))
	c := testingv1.NewBehaviorServiceClient(p)
	ctx := ctxFor(t, 30*time.Second)
	pids := map[int32]int{}
	// size calls at once, each holding its connection for a while: the
	// least-loaded pick gives each its own connection.
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, size)
	for range size {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Unary(ctx, &testingv1.BehaviorRequest{SleepMs: 300})
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			pids[resp.GetServerPid()]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(pids) < 2 {
		t.Errorf("calls per server process %v: want at least 2 processes", pids)
	}
	t.Logf("calls per server process: %v", pids)
}

// Rich details from Python decode into the typed error, and the Python-side
// failures that are not statuses come out as statuses.
func TestPythonErrors(t *testing.T) {
	t.Parallel()
	srv := startPython(t, 1)
	p := newPool(t, "dns:///"+srv.Addr)
	c := testingv1.NewBehaviorServiceClient(p)
	ctx := ctxFor(t, 30*time.Second)

	spec := &testingv1.StatusSpec{Code: int32(codes.FailedPrecondition), Message: "not ready: ünïcode\tand tab", Details: []*testingv1.DetailSpec{
		{Kind: &testingv1.DetailSpec_BadRequest{BadRequest: &testingv1.FieldViolationSpec{Field: "payload", Description: "too short"}}},
		{Kind: &testingv1.DetailSpec_ErrorInfo{ErrorInfo: &testingv1.ErrorInfoSpec{Reason: "NOT_READY", Domain: "acme.dev", Metadata: map[string]string{"k": "v"}}}},
		{Kind: &testingv1.DetailSpec_RetryDelayMs{RetryDelayMs: 250}},
	}}
	_, err := c.Unary(ctx, &testingv1.BehaviorRequest{Status: spec})
	se, ok := client.Status(err)
	if !ok {
		t.Fatalf("error %T %v is not a *client.StatusError", err, err)
	}
	if se.Code() != codes.FailedPrecondition || se.Message() != spec.Message {
		t.Errorf("status %s %q, want FailedPrecondition %q", se.Code(), se.Message(), spec.Message)
	}
	want := []any{
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "payload", Description: "too short"}}},
		&errdetails.ErrorInfo{Reason: "NOT_READY", Domain: "acme.dev", Metadata: map[string]string{"k": "v"}},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(250 * time.Millisecond)},
	}
	var got []any
	for _, d := range se.Details() {
		got = append(got, d)
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}

	tests := []struct {
		name     string
		req      *testingv1.BehaviorRequest
		wantCode codes.Code
		check    func(*client.StatusError) error
	}{
		{name: "unhandled exception", req: &testingv1.BehaviorRequest{RaiseUnhandled: true}, wantCode: codes.Unknown, check: func(se *client.StatusError) error {
			if strings.Contains(se.Message(), "Traceback") || strings.Contains(se.Message(), ".py") {
				return fmt.Errorf("message leaks internals: %q", se.Message())
			}
			return nil
		}},
		{name: "details code mismatch", req: &testingv1.BehaviorRequest{Status: &testingv1.StatusSpec{Code: int32(codes.InvalidArgument), Message: "m", MismatchedCode: true,
			Details: []*testingv1.DetailSpec{{Kind: &testingv1.DetailSpec_RetryDelayMs{RetryDelayMs: 1}}}}}, wantCode: codes.Internal, check: func(se *client.StatusError) error {
			if len(se.Details()) != 0 {
				return fmt.Errorf("details %v kept from a mismatched status", se.Details())
			}
			return nil
		}},
		{name: "every code", wantCode: codes.OK},
	}
	for _, tt := range tests {
		if tt.req == nil {
			for code := codes.Canceled; code <= codes.Unauthenticated; code++ {
				_, err := c.Unary(ctx, &testingv1.BehaviorRequest{Status: &testingv1.StatusSpec{Code: int32(code), Message: code.String()}})
				se, ok := client.Status(err)
				if !ok || se.Code() != code || se.Message() != code.String() {
					t.Errorf("%s: got %v, want %s %q", tt.name, err, code, code.String())
				}
			}
			continue
		}
		_, err := c.Unary(ctx, tt.req)
		se, ok := client.Status(err)
		if !ok || se.Code() != tt.wantCode {
			t.Errorf("%s: error %v, want a *client.StatusError with %s", tt.name, err, tt.wantCode)
			continue
		}
		if err := tt.check(se); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

// The server sees the caller's trace context, or a new trace.
func TestPythonTraceContext(t *testing.T) {
	t.Parallel()
	srv := startPython(t, 1)
	p := newPool(t, "dns:///"+srv.Addr)
	c := testingv1.NewBehaviorServiceClient(p)
	const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	ctx, err := client.WithTraceParent(ctxFor(t, 30*time.Second), tp, "congo=t61rcWkgMzE")
	if err != nil {
		t.Fatal(err)
	}
	for name, ctx := range map[string]context.Context{"given": ctx, "new": ctxFor(t, 30*time.Second)} {
		resp, err := c.Unary(ctx, &testingv1.BehaviorRequest{EchoMetadata: true})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for _, e := range resp.GetReceivedMetadata() {
			if strings.HasPrefix(e.GetKey(), "trace") {
				got[e.GetKey()] = append(got[e.GetKey()], e.GetValue())
			}
		}
		if name == "given" {
			if diff := cmp.Diff(map[string][]string{"traceparent": {tp}, "tracestate": {"congo=t61rcWkgMzE"}}, got); diff != "" {
				t.Errorf("%s: trace metadata (-want +got):\n%s", name, diff)
			}
		} else if len(got["traceparent"]) != 1 || !traceParentRE.MatchString(got["traceparent"][0]) || len(got["tracestate"]) != 0 {
			t.Errorf("%s: trace metadata %v, want one new traceparent", name, got)
		}
	}
}

// Idle connections keep pinging at grpc-go's fastest rate (10s) and the
// server never answers with GOAWAY too_many_pings: the connection stays
// READY through 35s of idleness (a default grpcio server
// sends GOAWAY at about 30s: research/conformance.md G16), channelz counts the pings, and the call
// after the idle period goes out on the same connection.
func TestPythonKeepaliveIdle(t *testing.T) {
	if testing.Short() {
		t.Skip("35s idle period; skipped with -short")
	}
	t.Parallel()
	srv := startPython(t, 1)
	cz := channelzClient(t)
	p := newPool(t, "dns:///"+srv.Addr, client.WithSize(1), client.WithKeepalive(keepaliveFast))
	c := testingv1.NewBehaviorServiceClient(p)
	ctx := ctxFor(t, 60*time.Second)
	if _, err := c.Unary(ctx, &testingv1.BehaviorRequest{}); err != nil {
		t.Fatal(err)
	}
	cc := p.Conns()[0]
	changes := make(chan string, 16)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		for s := cc.GetState(); cc.WaitForStateChange(wctx, s); s = cc.GetState() {
			changes <- cc.GetState().String()
		}
	}()
	before := socketsOf(t, cz, srv.Addr)
	time.Sleep(35 * time.Second)
	if _, err := c.Unary(ctx, &testingv1.BehaviorRequest{}); err != nil {
		t.Fatalf("call after 35s idle: %v", err)
	}
	stop()
	select {
	case s := <-changes:
		t.Errorf("connection left READY during the idle period: now %s (GOAWAY?)", s)
	default:
	}
	after := socketsOf(t, cz, srv.Addr)
	if len(before) != 1 || len(after) != 1 {
		t.Fatalf("client sockets to %s: %d before, %d after, want 1", srv.Addr, len(before), len(after))
	}
	for id, pings := range after {
		if _, same := before[id]; !same {
			t.Errorf("the call after the idle period used a new connection (socket %d)", id)
		}
		if pings < 3 {
			t.Errorf("%d keepalive pings in 35s, want at least 3", pings)
		}
		t.Logf("socket %d: %d keepalive pings during 35s idle", id, pings)
	}
}

var keepaliveFast = keepalive.ClientParameters{Time: 10 * time.Second, Timeout: 5 * time.Second, PermitWithoutStream: true}

// channelzClient serves grpc-go's channelz (turned on by importing its
// service) in process and returns a client of it.
func channelzClient(t testing.TB) channelzgrpc.ChannelzClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	channelzsvc.RegisterChannelzServiceToServer(s)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return channelzgrpc.NewChannelzClient(cc)
}

// socketsOf returns the keepalive pings sent on each open client socket of
// the channels to dns:///addr, by socket id.
func socketsOf(t testing.TB, cz channelzgrpc.ChannelzClient, addr string) map[int64]int64 {
	t.Helper()
	ctx := ctxFor(t, 10*time.Second)
	top, err := cz.GetTopChannels(ctx, &channelzgrpc.GetTopChannelsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]int64{}
	for _, ch := range top.GetChannel() {
		if ch.GetData().GetTarget() != "dns:///"+addr {
			continue
		}
		for _, ref := range ch.GetSubchannelRef() {
			sub, err := cz.GetSubchannel(ctx, &channelzgrpc.GetSubchannelRequest{SubchannelId: ref.GetSubchannelId()})
			if err != nil {
				t.Fatal(err)
			}
			for _, sref := range sub.GetSubchannel().GetSocketRef() {
				sock, err := cz.GetSocket(ctx, &channelzgrpc.GetSocketRequest{SocketId: sref.GetSocketId()})
				if err != nil {
					t.Fatal(err)
				}
				out[sref.GetSocketId()] = sock.GetSocket().GetData().GetKeepAlivesSent()
			}
		}
	}
	return out
}
