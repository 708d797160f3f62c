package client_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/protoctl/protoctl/client"
	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
	"github.com/protoctl/protoctl/internal/pki"
	"github.com/protoctl/protoctl/internal/pyserver"
)

const streamMethod = "/protoctl.testing.v1.BehaviorService/ServerStream"

// The pool against the Python server over mTLS with JWTs: the handler sees
// the token's subject, and each bad token, certificate or missing scope
// gets the server's status and message.
func TestPythonMTLSJWT(t *testing.T) {
	t.Parallel()
	py := python(t)
	s, err := pki.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	auth, err := s.WriteAuthConfig("auth.json", pki.AuthConfig{Scopes: map[string][]string{streamMethod: {"behavior.stream"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv, err := pyserver.Start(ctx, pyserver.Config{Python: py, Root: repoRoot(t), Workers: 1,
		Security: &pyserver.Security{CertFile: s.ServerCert, KeyFile: s.ServerKey, ClientCAFile: s.CA, AuthConfig: auth}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Logf("stopping the server on %s: %v", srv.Addr, err)
		}
	})
	if srv.TLS != "mtls" || srv.Auth != "jwt" {
		t.Errorf("server says tls=%s auth=%s, want tls=mtls auth=jwt", srv.TLS, srv.Auth)
	}

	mtls := client.TLS{RootCAFile: s.CA, CertFile: s.ClientCert, KeyFile: s.ClientKey}

	// A token file of 6s tokens: the pool re-reads it after at most 3s
	// (half the lifetime) and the server sees the new subject.
	t.Run("file token refresh", func(t *testing.T) {
		tokenFile := filepath.Join(s.Dir, "token")
		write := func(sub string) {
			t.Helper()
			tok, err := s.Signer.Sign(s.Signer.Claims(sub, 6*time.Second), pki.ES256, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := pki.WriteFile(tokenFile, []byte(tok+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		write("first")
		c := testingv1.NewBehaviorServiceClient(openPool(t, "dns:///"+srv.Addr, client.WithSize(2), client.WithTLS(mtls), client.WithTokenSource(client.FileTokenSource(tokenFile))))
		ctx := ctxFor(t, 20*time.Second)
		subject := func() string {
			t.Helper()
			resp, err := c.Unary(ctx, &testingv1.BehaviorRequest{})
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			return resp.GetSubject()
		}
		if got := subject(); got != "first" {
			t.Fatalf("subject %q, want first", got)
		}
		write("second")
		if got := subject(); got != "first" {
			t.Errorf("subject %q right after the file changed, want first (the token is still fresh)", got)
		}
		time.Sleep(3100 * time.Millisecond)
		if got := subject(); got != "second" {
			t.Errorf("subject %q after half the token's lifetime, want second", got)
		}
	})
	sign := func(claims map[string]any, alg string) string {
		tok, err := s.Signer.Sign(claims, alg, "")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	bad := func(kind pki.Bad) string {
		tok, err := s.Signer.BadToken(kind, s.Signer.Claims("mallory", time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	wrongAud := s.Signer.Claims("carol", time.Hour)
	wrongAud["aud"] = "someone-else"
	wrongIss := s.Signer.Claims("carol", time.Hour)
	wrongIss["iss"] = "https://evil.example"
	noSub := s.Signer.Claims("", time.Hour)
	delete(noSub, "sub")
	notYet := s.Signer.Claims("dave", 2*time.Hour)
	notYet["nbf"] = time.Now().Add(time.Hour).Unix()

	tests := []struct {
		name     string
		tls      client.TLS
		token    string // "" sends none
		stream   bool   // call ServerStream (needs scope behavior.stream)
		wantCode codes.Code
		wantMsg  string // the message, or its prefix when it ends in "*"
		wantSub  string
	}{
		{name: "rs256", tls: mtls, token: sign(s.Signer.Claims("alice", time.Hour), pki.RS256), wantSub: "alice"},
		{name: "es256", tls: mtls, token: sign(s.Signer.Claims("bob", time.Hour), pki.ES256), wantSub: "bob"},
		{name: "scope", tls: mtls, token: sign(s.Signer.Claims("erin", time.Hour, "behavior.stream"), pki.ES256), stream: true, wantSub: "erin"},
		{name: "scope missing", tls: mtls, token: sign(s.Signer.Claims("frank", time.Hour, "other"), pki.RS256), stream: true,
			wantCode: codes.PermissionDenied, wantMsg: `token lacks scope "behavior.stream" required by ` + streamMethod},
		{name: "no token", tls: mtls, wantCode: codes.Unauthenticated, wantMsg: "missing token: send metadata authorization: Bearer <JWT>"},
		{name: "expired", tls: mtls, token: sign(s.Signer.Claims("alice", -time.Hour), pki.RS256), wantCode: codes.Unauthenticated, wantMsg: "token expired"},
		{name: "not yet valid", tls: mtls, token: sign(notYet, pki.ES256), wantCode: codes.Unauthenticated, wantMsg: "token not yet valid"},
		{name: "wrong audience", tls: mtls, token: sign(wrongAud, pki.RS256), wantCode: codes.Unauthenticated, wantMsg: "wrong token audience"},
		{name: "wrong issuer", tls: mtls, token: sign(wrongIss, pki.RS256), wantCode: codes.Unauthenticated, wantMsg: "wrong token issuer"},
		{name: "no subject", tls: mtls, token: sign(noSub, pki.RS256), wantCode: codes.Unauthenticated, wantMsg: "token has no subject"},
		{name: "alg none", tls: mtls, token: bad(pki.BadAlgNone), wantCode: codes.Unauthenticated, wantMsg: `token algorithm "none" not allowed`},
		{name: "hmac with public key", tls: mtls, token: bad(pki.BadHMACPublicKey), wantCode: codes.Unauthenticated, wantMsg: `token algorithm "HS256" not allowed`},
		{name: "unknown kid", tls: mtls, token: bad(pki.BadUnknownKid), wantCode: codes.Unauthenticated, wantMsg: `unknown key id "unknown-1"`},
		{name: "bad signature", tls: mtls, token: bad(pki.BadSignature), wantCode: codes.Unauthenticated, wantMsg: "invalid token signature"},
		{name: "no kid", tls: mtls, token: bad(pki.BadNoKid), wantCode: codes.Unauthenticated, wantMsg: "malformed token: *"},
		{name: "no client certificate", tls: client.TLS{RootCAFile: s.CA}, token: sign(s.Signer.Claims("alice", time.Hour), pki.RS256), wantCode: codes.Unavailable, wantMsg: "*"},
		{name: "other client certificate", tls: client.TLS{RootCAFile: s.CA, CertFile: s.OtherClientCert, KeyFile: s.OtherClientKey}, token: sign(s.Signer.Claims("alice", time.Hour), pki.RS256), wantCode: codes.Unavailable, wantMsg: "*"},
		{name: "wrong ca", tls: client.TLS{RootCAFile: s.OtherCA, CertFile: s.ClientCert, KeyFile: s.ClientKey}, token: sign(s.Signer.Claims("alice", time.Hour), pki.RS256),
			wantCode: codes.Unavailable, wantMsg: "*certificate signed by unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := []client.Option{client.WithSize(1), client.WithTLS(tt.tls)}
			if tt.token != "" {
				// A static token: the pool sends it even when expired, so
				// that the server judges it.
				opts = append(opts, client.WithTokenSource(client.StaticToken(tt.token)))
			}
			c := testingv1.NewBehaviorServiceClient(openPool(t, "dns:///"+srv.Addr, opts...))
			ctx := ctxFor(t, 20*time.Second)
			var resp *testingv1.BehaviorResponse
			var err error
			if tt.stream {
				var st interface {
					Recv() (*testingv1.BehaviorResponse, error)
				}
				st, err = c.ServerStream(ctx, &testingv1.BehaviorRequest{ResponseCount: 1})
				if err == nil {
					resp, err = st.Recv()
				}
			} else {
				resp, err = c.Unary(ctx, &testingv1.BehaviorRequest{})
			}
			if tt.wantCode == codes.OK {
				if err != nil {
					t.Fatalf("call: %v", err)
				}
				if resp.GetSubject() != tt.wantSub {
					t.Errorf("subject %q, want %q", resp.GetSubject(), tt.wantSub)
				}
				return
			}
			se, ok := client.Status(err)
			if !ok || se.Code() != tt.wantCode || !messageMatches(se.Message(), tt.wantMsg) {
				t.Errorf("error %v, want %s %q", err, tt.wantCode, tt.wantMsg)
			}
			if ok && tt.token != "" && strings.Contains(se.Message(), tt.token) {
				t.Errorf("status message leaks the token: %q", se.Message())
			}
		})
	}
}

// messageMatches reports whether msg is want, or when want starts or ends
// with "*", contains or starts with the rest.
func messageMatches(msg, want string) bool {
	switch {
	case strings.HasPrefix(want, "*"):
		return strings.Contains(msg, want[1:])
	case strings.HasSuffix(want, "*"):
		return strings.HasPrefix(msg, strings.TrimSuffix(want, "*"))
	}
	return msg == want
}
