package grpcconf

import (
	"context"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"

	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
)

// Profile names a server configuration a case needs.
type Profile string

// The server profiles of the suite.
const (
	// ProfileDefault is the server with its default limits and one worker
	// process (Observation tokens live in one process's memory).
	ProfileDefault Profile = "default"
	// ProfileRaised is the server started with RaisedLimitArgs.
	ProfileRaised Profile = "raised-limits"
)

// RaisedLimit is the message size limit of ProfileRaised, on both sides.
const RaisedLimit = 16 << 20

// ServerArgs are the server flags of each profile, after --workers 1.
var ServerArgs = map[Profile][]string{
	ProfileDefault: nil,
	ProfileRaised:  {"--max-send-bytes", fmt.Sprint(RaisedLimit), "--max-recv-bytes", fmt.Sprint(RaisedLimit)},
}

// Case is one behaviour check.
type Case struct {
	// Name is "<group>/<what>", e.g. "status/invalid_argument".
	Name string
	// Server is the profile of the server the case runs against.
	Server Profile
	// Background cases run alongside the others (they mostly wait).
	Background bool
	// Secure cases need the Runner's Security (the TLS suite).
	Secure bool
	// Timeout, when longer than the runner's, bounds this case instead.
	Timeout time.Duration
	// Run drives the server and returns nil when the behaviour matched,
	// or an error that says what differed.
	Run func(ctx context.Context, p *Probe) error
}

// Group is the part of the name before the first slash.
func (c Case) Group() string {
	g, _, _ := strings.Cut(c.Name, "/")
	return g
}

// Select returns the cases whose name or group matches pattern
// (path.Match syntax); an empty pattern selects all.
func Select(cases []Case, pattern string) ([]Case, error) {
	if pattern == "" {
		return cases, nil
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("case pattern %q: %w", pattern, err)
	}
	var out []Case
	for _, c := range cases {
		full, _ := path.Match(pattern, c.Name)
		group, _ := path.Match(pattern, c.Group())
		if full || group || strings.HasPrefix(c.Name, pattern+"/") {
			out = append(out, c)
		}
	}
	return out, nil
}

// Profiles lists the server profiles the cases need, default first.
func Profiles(cases []Case) []Profile {
	seen := map[Profile]bool{}
	var out []Profile
	for _, p := range []Profile{ProfileDefault, ProfileRaised, ProfileExpiredCert, ProfileNotYetValidCert} {
		for _, c := range cases {
			if c.Server == p && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// Conn is a client connection the suite can close: a *grpc.ClientConn or
// the client package's pool.
type Conn interface {
	grpc.ClientConnInterface
	Close() error
}

// DialFunc opens a client connection to target ("127.0.0.1:PORT") with
// extra dial options on top of the connection's own defaults.
type DialFunc func(target string, opts ...grpc.DialOption) (Conn, error)

// Probe is what a running case sees: its server, a shared connection to it,
// a way to open connections with other options, and a notebook for facts
// the report records (e.g. which status an illegal trailer produced).
type Probe struct {
	// Addr is the server's address.
	Addr string

	dial      DialFunc
	dialBare  DialFunc
	conn      Conn
	sec       *Security
	serverLog ServerLog
	mu        sync.Mutex
	notes     []string
}

// Behavior is a BehaviorService client over the shared connection.
func (p *Probe) Behavior() testingv1.BehaviorServiceClient {
	return testingv1.NewBehaviorServiceClient(p.conn)
}

// Conn is the shared connection to the case's server.
func (p *Probe) Conn() grpc.ClientConnInterface { return p.conn }

// Dial opens a new connection to the case's server; the case closes it.
func (p *Probe) Dial(opts ...grpc.DialOption) (Conn, error) {
	return p.dial(p.Addr, opts...)
}

// DialBare opens a bare grpc-go ClientConn to the case's server (over
// mTLS with a token when the suite runs with Security); the case closes it.
func (p *Probe) DialBare(opts ...grpc.DialOption) (Conn, error) {
	return p.dialBare(p.Addr, opts...)
}

// Notef records a fact for the report.
func (p *Probe) Notef(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notes = append(p.notes, fmt.Sprintf(format, args...))
}

func (p *Probe) takeNotes() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.notes...)
}
