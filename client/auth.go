package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// DefaultRefreshBefore is how long before its expiry the pool replaces a
// token (at most half the token's lifetime).
const DefaultRefreshBefore = time.Minute

const (
	// refreshRetry is the wait after a failed refresh before the next one,
	// while the current token is still valid.
	refreshRetry = time.Second
	// recheck is how often the source is asked again for a token without
	// an expiry, so that a rotated token file is picked up.
	recheck = time.Minute
)

// WithTokenSource sends a token from src with every call, as the metadata
// "authorization: Bearer <token>" (gRPC per-RPC credentials). The pool
// keeps the token and asks src for a new one DefaultRefreshBefore (see
// WithTokenRefreshBefore) before it expires, one request at a time, while
// calls go on with the current one. When src fails and the current token
// is still valid the pool keeps using it and asks again a second later;
// when there is no valid token the call fails with UNAUTHENTICATED
// "token source: <cause>".
//
// Tokens are sent only over a secure transport: with WithPlaintext, New
// refuses a token source unless WithInsecureTokensForDev is also given.
func WithTokenSource(src TokenSource) Option {
	return func(c *config) {
		if src == nil {
			c.fail("client.WithTokenSource: nil token source")
			return
		}
		c.tokens = src
	}
}

// WithInsecureTokensForDev lets WithTokenSource send tokens over a
// WithPlaintext connection, in clear text, for local development only.
func WithInsecureTokensForDev() Option {
	return func(c *config) { c.insecureTokens = true }
}

// WithTokenRefreshBefore sets how long before its expiry a token is
// replaced (default DefaultRefreshBefore); it is capped at half the
// token's lifetime, so that a short-lived token is not refreshed at once.
func WithTokenRefreshBefore(d time.Duration) Option {
	return func(c *config) {
		if d < 0 {
			c.fail("token refresh before %s: want 0 or more", d)
			return
		}
		c.refreshBefore = d
	}
}

// PerRPCCredentials returns the per-call credentials of src as
// WithTokenSource uses them (cached, refreshed DefaultRefreshBefore before
// expiry, transport security required), for connections made outside a
// pool: grpc.NewClient(target, grpc.WithPerRPCCredentials(...)). Share one
// value between connections to share its token.
func PerRPCCredentials(src TokenSource) credentials.PerRPCCredentials {
	return &bearer{src: src, before: DefaultRefreshBefore, now: time.Now, secure: true}
}

// bearer is the per-RPC credentials of a token source: a cache of its
// token, refreshed before expiry by one caller at a time.
type bearer struct {
	src    TokenSource
	before time.Duration
	now    func() time.Time
	secure bool

	mu        sync.Mutex
	tok       Token
	refreshAt time.Time // when to ask for a new token
	retryAt   time.Time // after a failed refresh: not before then
	flight    *flight   // the request to the source in progress, or nil
}

// flight is one request to the token source, shared by the calls that
// have no valid token to go on with.
type flight struct {
	done chan struct{}
	val  string
	err  error
}

var _ credentials.PerRPCCredentials = (*bearer)(nil)

// GetRequestMetadata returns the authorization metadata of a call.
func (b *bearer) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	v, err := b.token(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, status.FromContextError(ctx.Err()).Err()
		}
		return nil, status.Error(codes.Unauthenticated, "token source: "+err.Error())
	}
	return map[string]string{"authorization": "Bearer " + v}, nil
}

// RequireTransportSecurity is true unless WithInsecureTokensForDev.
func (b *bearer) RequireTransportSecurity() bool { return b.secure }

// valid reports whether the cached token may be sent at now.
func (b *bearer) valid(now time.Time) bool {
	return b.tok.Value != "" && (b.tok.Expiry.IsZero() || now.Before(b.tok.Expiry))
}

// errAbandoned is the result of a request whose caller's context ended:
// the calls waiting for it make their own.
var errAbandoned = errors.New("token request abandoned")

func (b *bearer) token(ctx context.Context) (string, error) {
	for {
		v, err := b.tryToken(ctx)
		if err != errAbandoned {
			return v, err
		}
	}
}

func (b *bearer) tryToken(ctx context.Context) (string, error) {
	b.mu.Lock()
	now := b.now()
	if b.valid(now) && (b.flight != nil || now.Before(b.refreshAt) || now.Before(b.retryAt)) {
		v := b.tok.Value
		b.mu.Unlock()
		return v, nil
	}
	if f := b.flight; f != nil {
		b.mu.Unlock()
		select {
		case <-f.done:
			return f.val, f.err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	b.flight = f
	b.mu.Unlock()

	tok, err := b.fetch(ctx)

	b.mu.Lock()
	defer b.mu.Unlock()
	defer close(f.done)
	b.flight = nil
	now = b.now()
	if err != nil {
		switch {
		case b.valid(now):
			b.retryAt = now.Add(refreshRetry)
			f.val = b.tok.Value
			return f.val, nil
		case ctx.Err() != nil:
			f.err = errAbandoned
			return "", ctx.Err()
		}
		f.err = err
		return "", err
	}
	b.tok, b.retryAt = tok, time.Time{}
	if tok.Expiry.IsZero() {
		b.refreshAt = now.Add(recheck)
	} else {
		b.refreshAt = tok.Expiry.Add(-min(b.before, tok.Expiry.Sub(now)/2))
	}
	f.val = tok.Value
	return f.val, nil
}

// fetch asks the source for a token and checks that it can be sent.
func (b *bearer) fetch(ctx context.Context) (Token, error) {
	if b.src == nil {
		return Token{}, errors.New("no token source")
	}
	tok, err := b.src.Token(ctx)
	switch {
	case err != nil:
		return Token{}, err
	case tok.Value == "":
		return Token{}, errors.New("empty token")
	case !tok.Expiry.IsZero() && !b.now().Before(tok.Expiry):
		return Token{}, fmt.Errorf("token expired at %s", tok.Expiry.UTC().Format(time.RFC3339))
	}
	for i := range len(tok.Value) {
		if c := tok.Value[i]; c < 0x21 || c > 0x7e {
			return Token{}, fmt.Errorf("token has a byte 0x%02x not allowed in metadata", c)
		}
	}
	return tok, nil
}
