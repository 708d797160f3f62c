package loadgen

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/protoctl/protoctl/client"
	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
)

// Strategy is how the calls of a run get their connection.
type Strategy string

// The strategies, in the order a bench compares them.
const (
	// PerCall opens a new grpc-go ClientConn for every call and closes
	// it after: the classic anti-pattern, a TCP and HTTP/2 handshake per
	// call.
	PerCall Strategy = "per-call"
	// Single shares one bare grpc-go ClientConn among all workers: the
	// baseline for the client's CPU per call.
	Single Strategy = "single"
	// Pool shares the client package's pool (several connections, the
	// least-loaded one per call, its interceptors and metrics).
	Pool Strategy = "pool"
)

// Strategies lists every strategy.
var Strategies = []Strategy{PerCall, Single, Pool}

// ParseStrategy checks a strategy name.
func ParseStrategy(s string) (Strategy, error) {
	for _, k := range Strategies {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("strategy %q: want per-call, single or pool", s)
}

// caller makes calls the way a strategy does.
type caller interface {
	// call makes one call and returns the pid of the server process that
	// answered.
	call(ctx context.Context, req *testingv1.BehaviorRequest) (int32, error)
	// dials counts the TCP connections opened so far.
	dials() int64
	close() error
}

// counter counts the TCP connections a grpc-go ClientConn opens.
type counter struct{ n atomic.Int64 }

func (c *counter) dialOption() grpc.DialOption {
	var d net.Dialer
	return grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
		c.n.Add(1)
		return d.DialContext(ctx, "tcp", addr)
	})
}

// Plaintext is the Security name of runs without TLS.
const Plaintext = "plaintext"

// Security is how the runs of a Spec reach a server over TLS with a
// token on every call.
type Security struct {
	// Name labels the results, e.g. "mtls+jwt".
	Name string
	// TLS is the client's TLS settings (root CA, server name, client
	// certificate for mTLS).
	TLS client.TLS
	// Tokens is the source of the calls' tokens; nil sends none.
	Tokens client.TokenSource
}

func (s *Security) name() string {
	if s == nil {
		return Plaintext
	}
	return s.Name
}

// dialOptions are the credentials of bare grpc-go connections.
func (s *Security) dialOptions() ([]grpc.DialOption, error) {
	if s == nil {
		return []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, nil
	}
	creds, err := s.TLS.Credentials()
	if err != nil {
		return nil, err
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if s.Tokens != nil {
		opts = append(opts, grpc.WithPerRPCCredentials(client.PerRPCCredentials(s.Tokens)))
	}
	return opts, nil
}

// poolOptions are the credentials of a pool.
func (s *Security) poolOptions() []client.Option {
	if s == nil {
		return []client.Option{client.WithPlaintext()}
	}
	opts := []client.Option{client.WithTLS(s.TLS)}
	if s.Tokens != nil {
		opts = append(opts, client.WithTokenSource(s.Tokens))
	}
	return opts
}

func (s Strategy) open(target string, poolSize int, sec *Security) (caller, error) {
	creds, err := sec.dialOptions()
	if err != nil {
		return nil, err
	}
	switch s {
	case PerCall:
		return &perCall{target: target, creds: creds}, nil
	case Single:
		cn := &counter{}
		cc, err := grpc.NewClient(target, append(creds, cn.dialOption())...)
		if err != nil {
			return nil, err
		}
		cc.Connect()
		return &shared{conn: cc, stub: testingv1.NewBehaviorServiceClient(cc), counter: cn}, nil
	case Pool:
		cn := &counter{}
		opts := append(sec.poolOptions(), client.WithRegisterer(prometheus.NewRegistry()), client.WithDialOptions(cn.dialOption()))
		if poolSize > 0 {
			opts = append(opts, client.WithSize(poolSize))
		}
		p, err := client.New(target, opts...)
		if err != nil {
			return nil, err
		}
		return &shared{conn: p, stub: testingv1.NewBehaviorServiceClient(p), counter: cn}, nil
	}
	return nil, fmt.Errorf("strategy %q: want per-call, single or pool", s)
}

// shared calls through one long-lived connection or pool.
type shared struct {
	conn interface{ Close() error }
	stub testingv1.BehaviorServiceClient
	*counter
}

func (s *shared) call(ctx context.Context, req *testingv1.BehaviorRequest) (int32, error) {
	resp, err := s.stub.Unary(ctx, req)
	return resp.GetServerPid(), err
}

func (s *shared) dials() int64 { return s.n.Load() }
func (s *shared) close() error { return s.conn.Close() }

// perCall opens, uses and closes a ClientConn for every call.
type perCall struct {
	target string
	creds  []grpc.DialOption
	counter
}

func (p *perCall) call(ctx context.Context, req *testingv1.BehaviorRequest) (int32, error) {
	cc, err := grpc.NewClient(p.target, append(p.creds[:len(p.creds):len(p.creds)], p.dialOption())...)
	if err != nil {
		return 0, err
	}
	defer cc.Close()
	resp, err := testingv1.NewBehaviorServiceClient(cc).Unary(ctx, req)
	return resp.GetServerPid(), err
}

func (p *perCall) dials() int64 { return p.n.Load() }
func (p *perCall) close() error { return nil }
