package client_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/protoctl/protoctl/client"
	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
	"github.com/protoctl/protoctl/internal/pki"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// serveTLS starts a TLS behavior server of the test PKI and returns its
// target.
func serveTLS(t testing.TB) string {
	t.Helper()
	s := testPKI(t)
	_, addr := serveBehavior(t, 1, grpc.Creds(credentials.NewTLS(serverTLS(t, s.ServerCert, s.ServerKey, ""))))
	return "dns:///" + addr
}

// authorization calls c with metadata echo and returns the authorization
// the server received.
func authorization(ctx context.Context, c testingv1.BehaviorServiceClient) (string, error) {
	resp, err := c.Unary(ctx, &testingv1.BehaviorRequest{EchoMetadata: true})
	if err != nil {
		return "", err
	}
	var got []string
	for _, e := range resp.GetReceivedMetadata() {
		if e.GetKey() == "authorization" {
			got = append(got, e.GetValue())
		}
	}
	if len(got) != 1 {
		return "", fmt.Errorf("authorization metadata %q, want one value", got)
	}
	return got[0], nil
}

// The token is fetched once, used until RefreshBefore (capped at half its
// lifetime) before expiry, then replaced; a failed refresh keeps the valid
// token and is retried a second later; with no valid token the call fails.
func TestTokenRefresh(t *testing.T) {
	t.Parallel()
	target := serveTLS(t)
	type step struct {
		advance time.Duration
		fail    bool   // the source fails from this step on
		want    string // authorization sent, or
		wantErr string // the UNAUTHENTICATED message
		fetches int32  // calls of the source so far
	}
	tests := []struct {
		name     string
		lifetime time.Duration
		opts     []client.Option
		steps    []step
	}{
		{name: "default", lifetime: 10 * time.Minute, steps: []step{
			{want: "Bearer t1", fetches: 1},
			{advance: 8 * time.Minute, want: "Bearer t1", fetches: 1},
			{advance: 90 * time.Second, want: "Bearer t2", fetches: 2}, // 30s before expiry
			{advance: time.Second, want: "Bearer t2", fetches: 2},
			{advance: 9 * time.Minute, fail: true, want: "Bearer t2", fetches: 3}, // 29s before, refresh fails
			{want: "Bearer t2", fetches: 3},                                       // retried only after a second
			{advance: 2 * time.Second, fail: true, want: "Bearer t2", fetches: 4},
			{advance: time.Minute, fail: true, wantErr: "token source: source down", fetches: 5}, // expired
			{fail: true, wantErr: "token source: source down", fetches: 6},
			{want: "Bearer t7", fetches: 7},
		}},
		{name: "short lifetime", lifetime: time.Minute, steps: []step{
			{want: "Bearer t1", fetches: 1},
			{advance: 29 * time.Second, want: "Bearer t1", fetches: 1},
			{advance: 2 * time.Second, want: "Bearer t2", fetches: 2},
		}},
		{name: "refresh before", lifetime: 10 * time.Minute, opts: []client.Option{client.WithTokenRefreshBefore(5 * time.Minute)}, steps: []step{
			{want: "Bearer t1", fetches: 1},
			{advance: 4*time.Minute + 59*time.Second, want: "Bearer t1", fetches: 1},
			{advance: 2 * time.Second, want: "Bearer t2", fetches: 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{now: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}
			var fetches atomic.Int32
			var failing atomic.Bool
			src := client.TokenSourceFunc(func(context.Context) (client.Token, error) {
				n := fetches.Add(1)
				if failing.Load() {
					return client.Token{}, errors.New("source down")
				}
				return client.Token{Value: fmt.Sprintf("t%d", n), Expiry: clock.Now().Add(tt.lifetime)}, nil
			})
			opts := append([]client.Option{client.WithSize(2), client.WithTLS(client.TLS{RootCAFile: testPKI(t).CA}), client.WithTokenSource(src), client.WithClock(clock.Now)}, tt.opts...)
			c := testingv1.NewBehaviorServiceClient(openPool(t, target, opts...))
			ctx := ctxFor(t, 10*time.Second)
			for i, st := range tt.steps {
				clock.add(st.advance)
				failing.Store(st.fail)
				got, err := authorization(ctx, c)
				if st.wantErr != "" {
					se, ok := client.Status(err)
					if !ok || se.Code() != codes.Unauthenticated || se.Message() != st.wantErr {
						t.Errorf("step %d: error %v, want UNAUTHENTICATED %q", i, err, st.wantErr)
					}
				} else if err != nil || got != st.want {
					t.Errorf("step %d: authorization %q (error %v), want %q", i, got, err, st.want)
				}
				if n := fetches.Load(); n != st.fetches {
					t.Errorf("step %d: %d calls of the token source, want %d", i, n, st.fetches)
				}
			}
		})
	}
}

// Calls that start together without a token wait for one request to the
// source.
func TestTokenSingleFlight(t *testing.T) {
	t.Parallel()
	target := serveTLS(t)
	var fetches atomic.Int32
	release := make(chan struct{})
	src := client.TokenSourceFunc(func(ctx context.Context) (client.Token, error) {
		fetches.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
			return client.Token{}, ctx.Err()
		}
		return client.Token{Value: "shared", Expiry: time.Now().Add(time.Hour)}, nil
	})
	c := testingv1.NewBehaviorServiceClient(openPool(t, target, client.WithSize(4), client.WithTLS(client.TLS{RootCAFile: testPKI(t).CA}), client.WithTokenSource(src)))
	ctx := ctxFor(t, 10*time.Second)
	const calls = 8
	errs := make(chan error, calls)
	for range calls {
		go func() {
			got, err := authorization(ctx, c)
			if err == nil && got != "Bearer shared" {
				err = fmt.Errorf("authorization %q, want %q", got, "Bearer shared")
			}
			errs <- err
		}()
	}
	time.Sleep(200 * time.Millisecond)
	close(release)
	for range calls {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d calls of the token source, want 1", n)
	}
}

// Tokens the pool cannot send fail the call with UNAUTHENTICATED naming
// the cause, and are not sent.
func TestTokenSourceBadTokens(t *testing.T) {
	t.Parallel()
	target := serveTLS(t)
	past := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		tok  client.Token
		want string
	}{
		{name: "empty", tok: client.Token{}, want: "token source: empty token"},
		{name: "expired", tok: client.Token{Value: "x", Expiry: past}, want: "token source: token expired at 2026-01-02T03:04:05Z"},
		{name: "newline", tok: client.Token{Value: "a\nb"}, want: "token source: token has a byte 0x0a not allowed in metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := client.TokenSourceFunc(func(context.Context) (client.Token, error) { return tt.tok, nil })
			c := testingv1.NewBehaviorServiceClient(openPool(t, target, client.WithSize(1), client.WithTLS(client.TLS{RootCAFile: testPKI(t).CA}), client.WithTokenSource(src)))
			_, err := authorization(ctxFor(t, 10*time.Second), c)
			se, ok := client.Status(err)
			if !ok || se.Code() != codes.Unauthenticated || se.Message() != tt.want {
				t.Errorf("error %v, want UNAUTHENTICATED %q", err, tt.want)
			}
		})
	}
}

// Over plaintext a token goes out only in dev mode.
func TestTokenPlaintextDev(t *testing.T) {
	t.Parallel()
	_, addr := serveBehavior(t, 1)
	c := testingv1.NewBehaviorServiceClient(newPool(t, "dns:///"+addr, client.WithSize(1), client.WithTokenSource(client.StaticToken("dev")), client.WithInsecureTokensForDev()))
	got, err := authorization(ctxFor(t, 10*time.Second), c)
	if err != nil || got != "Bearer dev" {
		t.Errorf("authorization %q (error %v), want %q", got, err, "Bearer dev")
	}
}

func TestFileTokenSource(t *testing.T) {
	t.Parallel()
	s := testPKI(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	src := client.FileTokenSource(path)
	ctx := ctxFor(t, 10*time.Second)

	if _, err := src.Token(ctx); err == nil || err.Error() != "token file "+path+": no such file or directory" {
		t.Errorf("missing file: error %v", err)
	}
	write := func(v string) {
		t.Helper()
		if err := pki.WriteFile(path, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(" \n")
	if _, err := src.Token(ctx); err == nil || err.Error() != "token file "+path+": empty" {
		t.Errorf("empty file: error %v", err)
	}
	claims := s.Signer.Claims("alice", time.Hour)
	jwt, err := s.Signer.Sign(claims, pki.ES256, "")
	if err != nil {
		t.Fatal(err)
	}
	write(jwt + "\n")
	tok, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Value != jwt || !tok.Expiry.Equal(time.Unix(claims["exp"].(int64), 0)) {
		t.Errorf("token %q expiring %v, want the file's JWT expiring at its exp %v", tok.Value, tok.Expiry, time.Unix(claims["exp"].(int64), 0))
	}
	write("opaque-token")
	tok, err = src.Token(ctx)
	if err != nil || tok.Value != "opaque-token" || !tok.Expiry.IsZero() {
		t.Errorf("opaque token: %+v, %v; want the new value without expiry", tok, err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Token(ctx); err == nil {
		t.Error("removed file: no error")
	}
}

// TLS.Credentials and PerRPCCredentials serve connections outside a pool.
func TestBareConnCredentials(t *testing.T) {
	t.Parallel()
	s := testPKI(t)
	target := serveTLS(t)
	if _, err := (client.TLS{RootCAFile: s.ClientKey}).Credentials(); err == nil || err.Error() != "tls root CA file "+s.ClientKey+": no certificates found" {
		t.Errorf("key as root CA: error %v", err)
	}
	creds, err := client.TLS{RootCAFile: s.CA}.Credentials()
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]client.TokenSource{"static": client.StaticToken("bare"), "nil": nil} {
		cc, err := grpc.NewClient(target, grpc.WithTransportCredentials(creds), grpc.WithPerRPCCredentials(client.PerRPCCredentials(src)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := authorization(ctxFor(t, 10*time.Second), testingv1.NewBehaviorServiceClient(cc))
		_ = cc.Close()
		switch name {
		case "static":
			if err != nil || got != "Bearer bare" {
				t.Errorf("%s: authorization %q (error %v), want %q", name, got, err, "Bearer bare")
			}
		case "nil":
			if st, _ := status.FromError(err); st.Code() != codes.Unauthenticated || st.Message() != "token source: no token source" {
				t.Errorf("%s: error %v, want UNAUTHENTICATED token source: no token source", name, err)
			}
		}
	}
}
