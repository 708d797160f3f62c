package client_test

// Fault tests (issue 5, item 6) against the real Python reference server:
// a server killed and restarted under load, SIGTERM under load, a slow
// handler, an oversize message, and a backend list that changes under load.
// Each is bounded in time and reports its counts with t.Log (go test -v).

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/stats"

	"github.com/protoctl/protoctl/client"
	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
	"github.com/protoctl/protoctl/internal/pyserver"
)

// result is one call of a load run.
type result struct {
	start   time.Time
	elapsed time.Duration
	pid     int32
	err     error
}

// runLoad calls call from workers goroutines until stop is closed.
func runLoad(workers int, stop <-chan struct{}, call func() (int32, error)) []result {
	var (
		mu  sync.Mutex
		all []result
		wg  sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			var mine []result
			for {
				select {
				case <-stop:
					mu.Lock()
					all = append(all, mine...)
					mu.Unlock()
					return
				default:
				}
				start := time.Now()
				pid, err := call()
				mine = append(mine, result{start: start, elapsed: time.Since(start), pid: pid, err: err})
				if err != nil {
					// Failing fast is fine; spinning on it starves the
					// server of the cores it needs to come back.
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	sort.Slice(all, func(i, j int) bool { return all[i].start.Before(all[j].start) })
	return all
}

// tally counts results by status code.
func tally(rs []result) map[codes.Code]int {
	n := map[codes.Code]int{}
	for _, r := range rs {
		se, _ := client.Status(r.err)
		if r.err == nil {
			n[codes.OK]++
		} else {
			n[se.Code()]++
		}
	}
	return n
}

// checkFailures fails t for an error that is not a *client.StatusError or
// has a code outside allowed, and for a call that outlived its deadline.
func checkFailures(t *testing.T, rs []result, deadline time.Duration, allowed ...codes.Code) {
	t.Helper()
	// A call may end a little after its deadline: the timer fires, then
	// the goroutine has to run (more so under -race on 2 busy cores).
	const slack = 250 * time.Millisecond
	bad := 0
	for _, r := range rs {
		if r.elapsed > deadline+slack {
			t.Errorf("a call took %v, past its deadline %v", r.elapsed, deadline)
		}
		if r.err == nil {
			continue
		}
		se, ok := client.Status(r.err)
		if !ok {
			t.Errorf("failure without a status: %T %v", r.err, r.err)
			continue
		}
		okCode := false
		for _, c := range allowed {
			okCode = okCode || se.Code() == c
		}
		if !okCode && bad < 5 {
			bad++
			t.Errorf("failure %v, want one of %v", se, allowed)
		}
	}
}

// attempts counts the attempts of client calls, retries included.
type attempts struct{ n, transparent atomic.Int64 }

func (a *attempts) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (a *attempts) HandleRPC(_ context.Context, s stats.RPCStats) {
	if b, ok := s.(*stats.Begin); ok && b.IsClient() {
		a.n.Add(1)
		if b.IsTransparentRetryAttempt {
			a.transparent.Add(1)
		}
	}
}
func (a *attempts) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (a *attempts) HandleConn(context.Context, stats.ConnStats)                       {}

func unaryCall(c testingv1.BehaviorServiceClient, deadline time.Duration, req *testingv1.BehaviorRequest) func() (int32, error) {
	return func() (int32, error) {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		resp, err := c.Unary(ctx, req)
		return resp.GetServerPid(), err
	}
}

// A server killed with SIGKILL during load and started again on the same
// port: idempotent calls are retried, every failure has a status, no call
// outlives its deadline, and the pool serves again once the server is back.
func TestFaultKillRestart(t *testing.T) {
	python(t)
	port, err := pyserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	srv := launch(t, addr, 2)
	var att attempts
	p := newPool(t, "dns:///"+addr, client.WithIdempotent(unaryMethod), client.WithDialOptions(grpc.WithStatsHandler(&att)))
	c := testingv1.NewBehaviorServiceClient(p)
	const deadline = time.Second
	stop := make(chan struct{})
	var rs []result
	done := make(chan struct{})
	go func() {
		defer close(done)
		rs = runLoad(8, stop, unaryCall(c, deadline, &testingv1.BehaviorRequest{SleepMs: 5}))
	}()

	time.Sleep(time.Second)
	killedAt := time.Now()
	srv.signal(syscall.SIGKILL)
	if err := srv.wait(5 * time.Second); err == nil {
		t.Fatal("killed server exited 0")
	}
	time.Sleep(300 * time.Millisecond)
	launch(t, addr, 2)
	backAt := time.Now()
	// The pool's connections come back as their reconnect backoff (grpc-go:
	// 1s, then 1.6x) expires; give them 6s, then look at the last 1.5s.
	time.Sleep(6 * time.Second)
	close(stop)
	<-done

	checkFailures(t, rs, deadline, codes.Unavailable, codes.DeadlineExceeded)
	var before, during, after, tail []result
	end := rs[len(rs)-1].start
	for _, r := range rs {
		switch {
		case r.start.Add(r.elapsed).Before(killedAt):
			before = append(before, r)
		case r.start.Before(backAt):
			during = append(during, r)
		default:
			after = append(after, r)
			if r.start.After(end.Add(-1500 * time.Millisecond)) {
				tail = append(tail, r)
			}
		}
	}
	recovered := time.Duration(-1)
	for _, r := range after {
		if r.err == nil {
			recovered = r.start.Sub(backAt)
			break
		}
	}
	calls := int64(len(rs))
	t.Logf("calls %d; ended before the kill %v; started while the server was down (%v) %v; after restart %v; attempts %d (retries %d, transparent %d); first OK %v after restart",
		calls, tally(before), backAt.Sub(killedAt).Round(time.Millisecond), tally(during), tally(after), att.n.Load(), att.n.Load()-calls, att.transparent.Load(), recovered)
	if n := tally(before); n[codes.OK] == 0 || len(n) != 1 {
		t.Errorf("before the kill: %v, want only OK", n)
	}
	if att.n.Load() <= calls {
		t.Errorf("%d attempts for %d calls: no call was retried", att.n.Load(), calls)
	}
	if n := tally(tail); n[codes.OK] == 0 || len(n) != 1 {
		t.Errorf("last 1.5s, %v after the restart: %v, want only OK", end.Sub(backAt).Round(time.Millisecond), n)
	}
}

// SIGTERM while calls are in flight: the server drains, every call that
// was running on it finishes OK, calls that come later are refused with a
// status, and the server exits 0.
func TestFaultSIGTERMDrain(t *testing.T) {
	srv := startPython(t, 2, "--grace", "5")
	p := newPool(t, "dns:///"+srv.Addr, client.WithSize(4))
	c := testingv1.NewBehaviorServiceClient(p)

	// Long calls that are surely on the server when SIGTERM comes.
	const long = 8
	longErrs := make(chan error, long)
	for range long {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := c.Unary(ctx, &testingv1.BehaviorRequest{SleepMs: 1500})
			longErrs <- err
		}()
	}
	stop := make(chan struct{})
	var rs []result
	done := make(chan struct{})
	go func() {
		defer close(done)
		rs = runLoad(4, stop, unaryCall(c, 5*time.Second, &testingv1.BehaviorRequest{SleepMs: 20}))
	}()
	time.Sleep(500 * time.Millisecond)
	stopErr := srv.Stop() // SIGTERM, then waits for the exit
	close(stop)
	<-done

	var failed []error
	for range long {
		if err := <-longErrs; err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		t.Errorf("%d of %d in-flight calls dropped by SIGTERM: %v", len(failed), long, failed)
	}
	if stopErr != nil {
		t.Errorf("server did not exit 0 after draining: %v", stopErr)
	}
	// Short calls that reach the server as it stops are refused:
	// UNAVAILABLE, or rarely CANCELLED when grpc core had accepted the
	// stream but no handler had taken it yet.
	checkFailures(t, rs, 5*time.Second, codes.Unavailable, codes.Canceled)
	t.Logf("long calls: %d OK of %d; short calls under load: %v", long-len(failed), long, tally(rs))
}

// A handler slower than the deadline: the client gets DEADLINE_EXCEEDED at
// its deadline and the Python handler sees the cancellation.
func TestFaultSlowHandler(t *testing.T) {
	t.Parallel()
	srv := startPython(t, 1) // Observation tokens live in one process
	p := newPool(t, "dns:///"+srv.Addr)
	c := testingv1.NewBehaviorServiceClient(p)
	const deadline = 300 * time.Millisecond
	token := func(kind string) string { return fmt.Sprintf("slow-%s-%d", kind, time.Now().UnixNano()) }
	calls := map[string]func(ctx context.Context, tok string) error{
		"unary": func(ctx context.Context, tok string) error {
			_, err := c.Unary(ctx, &testingv1.BehaviorRequest{SleepMs: 5000, Token: tok})
			return err
		},
		"server stream": func(ctx context.Context, tok string) error {
			s, err := c.ServerStream(ctx, &testingv1.BehaviorRequest{SleepMs: 5000, Token: tok})
			if err != nil {
				return err
			}
			return drain(s.Recv)
		},
	}
	for kind, call := range calls {
		tok := token(kind)
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		start := time.Now()
		err := call(ctx, tok)
		elapsed := time.Since(start)
		cancel()
		if se, ok := client.Status(err); !ok || se.Code() != codes.DeadlineExceeded {
			t.Errorf("%s: %v, want a DeadlineExceeded *client.StatusError", kind, err)
		}
		if elapsed < deadline || elapsed > deadline+250*time.Millisecond {
			t.Errorf("%s: failed after %v, want about %v", kind, elapsed, deadline)
		}
		var obs *testingv1.ObservationResponse
		for end := time.Now().Add(4 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			obs, err = c.Observation(ctxFor(t, 5*time.Second), &testingv1.ObservationRequest{Token: tok})
			if err != nil {
				t.Fatal(err)
			}
			if obs.GetFinished() {
				break
			}
		}
		if !obs.GetSeen() || !obs.GetCancelled() || !obs.GetFinished() {
			t.Errorf("%s: server observed %v, want seen, cancelled and finished", kind, obs)
		}
	}
}

// Messages over the 4 MiB default fail with RESOURCE_EXHAUSTED on whichever
// side receives them, nothing crashes, and a raised limit lets them through.
func TestFaultOversize(t *testing.T) {
	t.Parallel()
	srv := startPython(t, 1, "--max-send-bytes", strconv.Itoa(8<<20))
	small := newPool(t, "dns:///"+srv.Addr)
	big := newPool(t, "dns:///"+srv.Addr, client.WithMaxRecvMsgSize(8<<20))
	ctx := ctxFor(t, 30*time.Second)
	const size = 5 << 20
	tests := []struct {
		name string
		pool *client.Pool
		req  *testingv1.BehaviorRequest
		want codes.Code
	}{
		{name: "response over the client's limit", pool: small, req: &testingv1.BehaviorRequest{ResponseSize: size}, want: codes.ResourceExhausted},
		{name: "request over the server's limit", pool: big, req: &testingv1.BehaviorRequest{Payload: make([]byte, size)}, want: codes.ResourceExhausted},
		{name: "response under a raised limit", pool: big, req: &testingv1.BehaviorRequest{ResponseSize: size}, want: codes.OK},
		{name: "small after all that", pool: small, req: &testingv1.BehaviorRequest{Payload: []byte("ok")}, want: codes.OK},
	}
	for _, tt := range tests {
		resp, err := testingv1.NewBehaviorServiceClient(tt.pool).Unary(ctx, tt.req)
		code := codes.OK
		if err != nil {
			se, ok := client.Status(err)
			if !ok {
				t.Fatalf("%s: %T %v is not a *client.StatusError", tt.name, err, err)
			}
			code = se.Code()
		}
		if code != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
		}
		if err == nil && tt.req.ResponseSize > 0 && len(resp.GetPayload()) != int(tt.req.ResponseSize) {
			t.Errorf("%s: %d bytes, want %d", tt.name, len(resp.GetPayload()), tt.req.ResponseSize)
		}
	}
	select {
	case <-srv.Done():
		t.Errorf("server exited: %s", srv.Log())
	default:
	}
}

// Three servers behind a static list: under load, one is removed and one
// added; traffic reaches the new one and leaves the removed one, which then
// stops without any call failing.
func TestFaultBackendChange(t *testing.T) {
	py := python(t)
	var (
		srvs [3]*pyserver.Server
		errs [3]error
		wg   sync.WaitGroup
	)
	for i := range srvs {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			srvs[i], errs[i] = pyserver.Start(ctx, pyserver.Config{Python: py, Root: repoRoot(t), Workers: 1})
		})
	}
	wg.Wait()
	for i, s := range srvs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		t.Cleanup(func() { _ = s.Stop() })
	}
	var pids [3]int32
	for i, s := range srvs {
		pids[i] = pidOf(t, s.Addr)
	}
	p := newPool(t, "static:///"+srvs[0].Addr+","+srvs[1].Addr, client.WithSize(2), client.WithIdempotent(unaryMethod))
	c := testingv1.NewBehaviorServiceClient(p)
	stop := make(chan struct{})
	var rs []result
	done := make(chan struct{})
	go func() {
		defer close(done)
		rs = runLoad(6, stop, unaryCall(c, 2*time.Second, &testingv1.BehaviorRequest{SleepMs: 2}))
	}()
	time.Sleep(time.Second)
	changedAt := time.Now()
	if err := p.SetBackends(srvs[1].Addr, srvs[2].Addr); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := srvs[0].Stop(); err != nil { // removed: stopping it must not matter
		t.Error(err)
	}
	time.Sleep(time.Second)
	close(stop)
	<-done

	const settle = 500 * time.Millisecond
	hits := func(from, to time.Time) map[int32]int {
		n := map[int32]int{}
		for _, r := range rs {
			if !r.start.Before(from) && r.start.Before(to) && r.err == nil {
				n[r.pid]++
			}
		}
		return n
	}
	before := hits(time.Time{}, changedAt)
	after := hits(changedAt.Add(settle), time.Now())
	t.Logf("calls per server (pids %v): before the change %v, from %v after it %v; all calls %v", pids, before, settle, after, tally(rs))
	if before[pids[0]] == 0 || before[pids[1]] == 0 || before[pids[2]] != 0 {
		t.Errorf("before the change: %v, want servers %d and %d only", before, pids[0], pids[1])
	}
	if after[pids[0]] != 0 || after[pids[1]] == 0 || after[pids[2]] == 0 {
		t.Errorf("after the change: %v, want servers %d and %d only", after, pids[1], pids[2])
	}
	checkFailures(t, rs, 2*time.Second)
}

// pidOf asks the server at addr for its process id.
func pidOf(t *testing.T, addr string) int32 {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	resp, err := testingv1.NewBehaviorServiceClient(cc).Unary(ctxFor(t, 10*time.Second), &testingv1.BehaviorRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetServerPid()
}
