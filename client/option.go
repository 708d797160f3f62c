package client

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Defaults of a Pool; docs/client.md explains each.
const (
	// DefaultSize is the number of connections of a pool: enough that
	// SO_REUSEPORT's random spread of connections over the processes of a
	// server is rarely lopsided (with 4 over 2 processes, 3:1 or 4:0 half
	// the time, measured by protoctl bench).
	DefaultSize = 8
	// DefaultTimeout is the deadline of a unary call whose context has none.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxRecvMsgSize is the largest message a call accepts (4 MiB).
	DefaultMaxRecvMsgSize = 4 << 20
)

// DefaultKeepalive is the keepalive of every connection: a ping after 20s
// without activity, 5s to answer it, with or without calls in flight. The
// Python reference server accepts pings down to every 10s (grpc-go never
// pings more often than that).
var DefaultKeepalive = keepalive.ClientParameters{
	Time:                20 * time.Second,
	Timeout:             5 * time.Second,
	PermitWithoutStream: true,
}

// DefaultRetryPolicy is the retry policy of idempotent methods.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:    4,
	InitialBackoff: 50 * time.Millisecond,
	MaxBackoff:     time.Second,
	Multiplier:     2,
	Codes:          []codes.Code{codes.Unavailable},
}

// RetryPolicy is the retryPolicy of gRPC's service config: grpc-go retries a
// call that failed with one of Codes, up to MaxAttempts attempts in all
// (grpc-go caps it at 5), waiting a random time up to
// min(InitialBackoff*Multiplier^(n-1), MaxBackoff) before attempt n+1.
type RetryPolicy struct {
	MaxAttempts    int
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	Multiplier     float64
	Codes          []codes.Code
}

// Option configures a Pool.
type Option func(*config)

type config struct {
	size          int
	timeout       time.Duration
	streamTimeout time.Duration
	keepalive     keepalive.ClientParameters
	idempotent    []string
	retry         RetryPolicy
	maxRecv       int
	registerer    prometheus.Registerer
	debugAddr     string
	dialOpts      []grpc.DialOption
	err           error

	transport      []string // the transport options given, in order
	tlsConf        *TLS
	creds          credentials.TransportCredentials
	plaintext      bool
	tokens         TokenSource
	insecureTokens bool
	refreshBefore  time.Duration
	now            func() time.Time
}

func defaultConfig() *config {
	return &config{
		size:       DefaultSize,
		timeout:    DefaultTimeout,
		keepalive:  DefaultKeepalive,
		retry:      DefaultRetryPolicy,
		maxRecv:    DefaultMaxRecvMsgSize,
		registerer: prometheus.DefaultRegisterer,

		refreshBefore: DefaultRefreshBefore,
		now:           time.Now,
	}
}

func (c *config) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

// WithSize sets the number of connections (default DefaultSize). Use at
// least twice the number of server processes behind one address.
func WithSize(n int) Option {
	return func(c *config) {
		if n < 1 {
			c.fail("pool size %d: want at least 1", n)
			return
		}
		c.size = n
	}
}

// WithDefaultTimeout sets the deadline of a unary call whose context has
// none (default DefaultTimeout); 0 leaves such calls without a deadline.
func WithDefaultTimeout(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.fail("default timeout %s: want 0 or more", d)
			return
		}
		c.timeout = d
	}
}

// WithStreamTimeout sets the deadline of a stream whose context has none
// (default none: streams such as chats may rightly last long).
func WithStreamTimeout(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.fail("stream timeout %s: want 0 or more", d)
			return
		}
		c.streamTimeout = d
	}
}

// WithKeepalive replaces DefaultKeepalive. grpc-go raises Time below 10s
// to 10s. The server must permit the pings: a default grpcio server sends
// GOAWAY too_many_pings to a client that pings more often than every 5
// minutes.
func WithKeepalive(kp keepalive.ClientParameters) Option {
	return func(c *config) { c.keepalive = kp }
}

// WithIdempotent names methods that are safe to call twice, as
// "package.Service/Method", or "package.Service" for all of a service's
// methods; a leading "/" as in generated FullMethodName constants is
// accepted. grpc-go retries them per the retry policy. Calls of other
// methods are never retried once sent (grpc-go still retries transparently
// a call that never left the client).
func WithIdempotent(methods ...string) Option {
	return func(c *config) {
		for _, m := range methods {
			if _, _, err := splitMethod(m); err != nil {
				c.fail("%v", err)
				return
			}
		}
		c.idempotent = append(c.idempotent, methods...)
	}
}

// WithIdempotentFrom adds, as WithIdempotent, the methods of the services
// whose proto option idempotency_level is NO_SIDE_EFFECTS or IDEMPOTENT:
//
//	rpc GetUser(GetUserRequest) returns (GetUserResponse) {
//	  option idempotency_level = NO_SIDE_EFFECTS;
//	}
//
// Pass a generated file's service descriptor, such as
// userv1.File_acme_user_v1_user_proto.Services().ByName("UserService").
func WithIdempotentFrom(services ...protoreflect.ServiceDescriptor) Option {
	return func(c *config) {
		for _, sd := range services {
			ms := sd.Methods()
			for i := range ms.Len() {
				md := ms.Get(i)
				opts, _ := md.Options().(*descriptorpb.MethodOptions)
				switch opts.GetIdempotencyLevel() {
				case descriptorpb.MethodOptions_NO_SIDE_EFFECTS, descriptorpb.MethodOptions_IDEMPOTENT:
					c.idempotent = append(c.idempotent, string(sd.FullName())+"/"+string(md.Name()))
				}
			}
		}
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy for the idempotent methods.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) { c.retry = p }
}

// WithMaxRecvMsgSize sets the largest message a call accepts (default
// DefaultMaxRecvMsgSize). The server has its own limit for what it receives.
func WithMaxRecvMsgSize(n int) Option {
	return func(c *config) {
		if n < 1 {
			c.fail("max receive size %d: want at least 1", n)
			return
		}
		c.maxRecv = n
	}
}

// WithRegisterer sets where the pool's metrics are registered (default
// prometheus.DefaultRegisterer); nil records no metrics. Pools sharing a
// registerer share the metrics.
func WithRegisterer(r prometheus.Registerer) Option {
	return func(c *config) { c.registerer = r }
}

// WithDebugListener serves pprof profiles under /debug/pprof/ and the
// metrics under /metrics on addr, such as "127.0.0.1:0"; DebugAddr returns
// the address it got. Keep it off public interfaces.
func WithDebugListener(addr string) Option {
	return func(c *config) { c.debugAddr = addr }
}

// WithDialOptions adds grpc.DialOptions to every connection, after the
// pool's own, so that they override them. Set transport security with
// WithTLS, WithTransportCredentials or WithPlaintext, not here.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(c *config) { c.dialOpts = append(c.dialOpts, opts...) }
}

// splitMethod splits "pkg.Svc/Method", "/pkg.Svc/Method" or "pkg.Svc" into
// service and method (empty for a whole service).
func splitMethod(name string) (service, method string, err error) {
	s := strings.TrimPrefix(name, "/")
	service, method, _ = strings.Cut(s, "/")
	if service == "" || strings.Contains(method, "/") || strings.ContainsAny(s, " \t") {
		return "", "", fmt.Errorf("idempotent method %q: want package.Service/Method or package.Service", name)
	}
	return service, method, nil
}

// security returns the dial options of the transport and the token source:
// exactly one transport option must have been given, and tokens go over
// plaintext only in dev mode.
func (c *config) security() ([]grpc.DialOption, error) {
	switch len(c.transport) {
	case 0:
		return nil, errors.New("no transport security: pass client.WithTLS(...), or client.WithPlaintext() for loopback and tests")
	case 1:
	default:
		return nil, fmt.Errorf("transport security given %d times (%s): pass exactly one", len(c.transport), strings.Join(c.transport, ", "))
	}
	creds := c.creds
	switch {
	case c.tlsConf != nil:
		var err error
		if creds, err = tlsCredentials(*c.tlsConf); err != nil {
			return nil, err
		}
	case c.plaintext:
		creds = insecure.NewCredentials()
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if c.tokens == nil {
		return opts, nil
	}
	plain := c.plaintext || creds.Info().SecurityProtocol == "insecure"
	if plain && !c.insecureTokens {
		return nil, errors.New("client.WithTokenSource over a plaintext connection would send tokens in clear text: use client.WithTLS, or add client.WithInsecureTokensForDev() for local development")
	}
	b := &bearer{src: c.tokens, before: c.refreshBefore, now: c.now, secure: !plain}
	return append(opts, grpc.WithPerRPCCredentials(b)), nil
}
