package grpcconf

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/protoctl/protoctl/client"
)

// DefaultTimeout bounds one case.
const DefaultTimeout = 20 * time.Second

// Runner runs cases against running servers.
type Runner struct {
	// Targets maps each profile the cases need to its server's address.
	Targets map[Profile]string
	// Dial opens the client connections (default: DialPool).
	Dial DialFunc
	// Timeout bounds each case (default: DefaultTimeout).
	Timeout time.Duration
	// Mode is the servers' mode ("sync" or "aio"), which selects the
	// expectations that apply.
	Mode string
	// Expectations are the known failures (usually Expectations).
	Expectations []Expectation
	// Security, when set, is the mTLS and JWT setup of the servers: the
	// connections use it and the auth cases can run.
	Security *Security
	// ServerLogs are each profile's server log, for the cases that check
	// what the server said.
	ServerLogs map[Profile]ServerLog
}

// ServerLog is what a server wrote (a *pyserver.Server is one).
type ServerLog interface {
	// Written counts the bytes written so far.
	Written() int64
	// OutputSince returns what was written after mark, as far as kept.
	OutputSince(mark int64) string
}

// noLog is the log of a server whose output nobody keeps.
type noLog struct{}

func (noLog) Written() int64           { return 0 }
func (noLog) OutputSince(int64) string { return "" }

// Result is the outcome of one case.
type Result struct {
	Name     string        `json:"name"`
	Group    string        `json:"group"`
	Server   Profile       `json:"server"`
	Passed   bool          `json:"passed"`
	Expected bool          `json:"expected,omitempty"`
	Message  string        `json:"message,omitempty"`
	Reason   string        `json:"reason,omitempty"`
	Notes    []string      `json:"notes,omitempty"`
	Duration time.Duration `json:"-"`
	Millis   float64       `json:"duration_ms"`
}

// DialPlain opens a bare grpc-go ClientConn without TLS.
func DialPlain(target string, opts ...grpc.DialOption) (Conn, error) {
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)
	return grpc.NewClient(target, opts...)
}

// Run runs every case and returns the results in case order. Background
// cases start first and run alongside the others, which run one at a time
// so that timing checks are not disturbed by the suite itself. Run fails
// only when a profile has no target or a connection cannot be made.
func (r *Runner) Run(ctx context.Context, cases []Case) (*Report, error) {
	dial, dialBare := r.Dial, DialFunc(DialPlain)
	if r.Security != nil {
		dialBare = r.Security.DialBare
	}
	if dial == nil {
		dial = DialPool
		if r.Security != nil {
			dial = r.Security.DialPool
		}
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	for _, c := range cases {
		if c.Secure && r.Security == nil {
			return nil, fmt.Errorf("case %s needs the TLS suite's security (--tls)", c.Name)
		}
	}
	conns := map[Profile]Conn{}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for _, p := range Profiles(cases) {
		addr, ok := r.Targets[p]
		if !ok {
			return nil, fmt.Errorf("no server for profile %q", p)
		}
		c, err := dial(addr)
		if err != nil {
			return nil, fmt.Errorf("connect to %s: %w", addr, err)
		}
		conns[p] = c
	}
	start := time.Now()
	results := make([]Result, len(cases))
	run := func(i int) {
		c := cases[i]
		p := &Probe{Addr: r.Targets[c.Server], dial: dial, dialBare: dialBare, conn: conns[c.Server], sec: r.Security, serverLog: r.ServerLogs[c.Server]}
		if p.serverLog == nil {
			p.serverLog = noLog{}
		}
		cctx, cancel := context.WithTimeout(ctx, max(timeout, c.Timeout))
		t0 := time.Now()
		err := runCase(cctx, c, p)
		cancel()
		res := Result{Name: c.Name, Group: c.Group(), Server: c.Server, Passed: err == nil, Duration: time.Since(t0), Notes: p.takeNotes()}
		res.Millis = float64(res.Duration.Microseconds()) / 1000
		if err != nil {
			res.Message = err.Error()
		}
		judge(&res, r.Mode, r.Expectations)
		results[i] = res
	}
	var wg sync.WaitGroup
	for i, c := range cases {
		if c.Background {
			wg.Add(1)
			go func() { defer wg.Done(); run(i) }()
		}
	}
	for i, c := range cases {
		if !c.Background {
			run(i)
		}
	}
	wg.Wait()
	return &Report{Results: results, Duration: time.Since(start)}, nil
}

// runCase runs one case, turning a panic into a failure and a case that
// ignores its context into a timeout failure.
func runCase(ctx context.Context, c Case, p *Probe) (err error) {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- fmt.Errorf("case panicked: %v", v)
			}
		}()
		done <- c.Run(ctx, p)
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		select {
		case err = <-done:
		case <-time.After(2 * time.Second):
			err = fmt.Errorf("case did not finish within its timeout: %v", ctx.Err())
		}
	}
	if err != nil && strings.TrimSpace(err.Error()) == "" {
		err = fmt.Errorf("case failed without a message")
	}
	return err
}

// DialPool opens a pool of the client package with its defaults; its
// metrics go to a registry of their own.
func DialPool(target string, opts ...grpc.DialOption) (Conn, error) {
	return client.New(target, client.WithPlaintext(), client.WithDialOptions(opts...), client.WithRegisterer(prometheus.NewRegistry()))
}
