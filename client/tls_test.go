package client_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/peer"

	"github.com/protoctl/protoctl/client"
	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
	"github.com/protoctl/protoctl/internal/pki"
)

var (
	pkiOnce sync.Once
	pkiSet  *pki.Set
	pkiErr  error
)

// testPKI is one test PKI shared by the tests that do not change it,
// removed by TestMain.
func testPKI(t testing.TB) *pki.Set {
	t.Helper()
	pkiOnce.Do(func() {
		dir, err := os.MkdirTemp("", "protoctl-client-pki-")
		if err != nil {
			pkiErr = err
			return
		}
		pkiSet, pkiErr = pki.Write(dir)
	})
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pkiSet
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pkiSet != nil {
		_ = os.RemoveAll(pkiSet.Dir)
	}
	os.Exit(code)
}

// serverTLS is the tls.Config of a test server with cert and key, requiring
// client certificates signed by clientCA when it is not "".
func serverTLS(t testing.TB, cert, key, clientCA string) *tls.Config {
	t.Helper()
	kp, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{kp}, MinVersion: tls.VersionTLS12}
	if clientCA != "" {
		b, err := os.ReadFile(clientCA)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ClientCAs = x509.NewCertPool()
		cfg.ClientCAs.AppendCertsFromPEM(b)
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg
}

// peers records the client certificate serial numbers a server saw.
type peers struct {
	mu      sync.Mutex
	serials []string
}

func (p *peers) interceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if pr, ok := peer.FromContext(ctx); ok {
		if ti, ok := pr.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.PeerCertificates) > 0 {
			p.mu.Lock()
			p.serials = append(p.serials, ti.State.PeerCertificates[0].SerialNumber.String())
			p.mu.Unlock()
		}
	}
	return h(ctx, req)
}

func (p *peers) last() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.serials) == 0 {
		return ""
	}
	return p.serials[len(p.serials)-1]
}

func serialOf(t testing.TB, certFile string) string {
	t.Helper()
	kp, err := tls.LoadX509KeyPair(certFile, strings.TrimSuffix(certFile, ".pem")+"-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(kp.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return c.SerialNumber.String()
}

func TestNewSecurityOptions(t *testing.T) {
	t.Parallel()
	s := testPKI(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	tok := client.StaticToken("t")
	tests := []struct {
		name string
		opts []client.Option
		want string // "" for success
	}{
		{name: "none", want: "no transport security: pass client.WithTLS(...), or client.WithPlaintext() for loopback and tests"},
		{name: "two", opts: []client.Option{client.WithTLS(client.TLS{RootCAFile: s.CA}), client.WithPlaintext()},
			want: "transport security given 2 times (client.WithTLS, client.WithPlaintext): pass exactly one"},
		{name: "plaintext twice", opts: []client.Option{client.WithPlaintext(), client.WithPlaintext()},
			want: "transport security given 2 times (client.WithPlaintext, client.WithPlaintext): pass exactly one"},
		{name: "nil credentials", opts: []client.Option{client.WithTransportCredentials(nil)}, want: "client.WithTransportCredentials: nil credentials"},
		{name: "missing root CA", opts: []client.Option{client.WithTLS(client.TLS{RootCAFile: missing})},
			want: "tls root CA file " + missing + ": no such file or directory"},
		{name: "garbage root CA", opts: []client.Option{client.WithTLS(client.TLS{RootCAFile: garbage})},
			want: "tls root CA file " + garbage + ": no certificates found"},
		{name: "cert without key", opts: []client.Option{client.WithTLS(client.TLS{CertFile: s.ClientCert})},
			want: "tls client certificate file " + s.ClientCert + ": no key file; set KeyFile too"},
		{name: "key without cert", opts: []client.Option{client.WithTLS(client.TLS{KeyFile: s.ClientKey})},
			want: "tls client key file " + s.ClientKey + ": no certificate file; set CertFile too"},
		{name: "key mismatch", opts: []client.Option{client.WithTLS(client.TLS{CertFile: s.ClientCert, KeyFile: s.ServerKey})},
			want: "tls client certificate " + s.ClientCert + ", key " + s.ServerKey + ": tls: private key does not match public key"},
		{name: "missing key", opts: []client.Option{client.WithTLS(client.TLS{CertFile: s.ClientCert, KeyFile: missing})},
			want: "tls client certificate " + s.ClientCert + ", key " + missing + ": no such file or directory"},
		{name: "token over plaintext", opts: []client.Option{client.WithPlaintext(), client.WithTokenSource(tok)},
			want: "client.WithTokenSource over a plaintext connection would send tokens in clear text: use client.WithTLS, or add client.WithInsecureTokensForDev() for local development"},
		{name: "token over insecure credentials", opts: []client.Option{client.WithTransportCredentials(insecure.NewCredentials()), client.WithTokenSource(tok)},
			want: "client.WithTokenSource over a plaintext connection would send tokens in clear text: use client.WithTLS, or add client.WithInsecureTokensForDev() for local development"},
		{name: "nil token source", opts: []client.Option{client.WithPlaintext(), client.WithTokenSource(nil)}, want: "client.WithTokenSource: nil token source"},
		{name: "negative refresh", opts: []client.Option{client.WithPlaintext(), client.WithTokenRefreshBefore(-time.Second)}, want: "token refresh before -1s: want 0 or more"},
		{name: "plaintext", opts: []client.Option{client.WithPlaintext()}},
		{name: "tls system roots", opts: []client.Option{client.WithTLS(client.TLS{})}},
		{name: "mtls", opts: []client.Option{client.WithTLS(client.TLS{RootCAFile: s.CA, CertFile: s.ClientCert, KeyFile: s.ClientKey}), client.WithTokenSource(tok)}},
		{name: "credentials", opts: []client.Option{client.WithTransportCredentials(credentials.NewTLS(&tls.Config{})), client.WithTokenSource(tok)}},
		{name: "dev tokens", opts: []client.Option{client.WithPlaintext(), client.WithTokenSource(tok), client.WithInsecureTokensForDev()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := client.New("dns:///127.0.0.1:1", append([]client.Option{client.WithRegisterer(nil)}, tt.opts...)...)
			if err == nil {
				_ = p.Close()
			}
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("New: %v", err)
			case tt.want != "" && err == nil:
				t.Errorf("New succeeded, want error %q", tt.want)
			case tt.want != "" && err.Error() != tt.want:
				t.Errorf("New error:\n%s\nwant:\n%s", err, tt.want)
			}
		})
	}
}

// Each TLS setup against a TLS server: the good ones call through, the
// bad ones fail with UNAVAILABLE naming the cause.
func TestTLS(t *testing.T) {
	t.Parallel()
	s := testPKI(t)
	type server struct{ cert, key, clientCA string }
	good := server{s.ServerCert, s.ServerKey, ""}
	mtls := server{s.ServerCert, s.ServerKey, s.CA}
	tests := []struct {
		name    string
		server  server
		opt     client.Option
		wantErr string // substring of the UNAVAILABLE message; "" for success
		// With TLS 1.3 the client learns that the server refused its
		// certificate only when it writes: the message is a reset or
		// broken pipe, or the server's alert, depending on timing.
		anyMessage bool
		wantPeer   string // client certificate the server saw
	}{
		{name: "tls", server: good, opt: client.WithTLS(client.TLS{RootCAFile: s.CA})},
		{name: "wrong ca", server: good, opt: client.WithTLS(client.TLS{RootCAFile: s.OtherCA}), wantErr: "certificate signed by unknown authority"},
		{name: "system roots", server: good, opt: client.WithTLS(client.TLS{}), wantErr: "certificate signed by unknown authority"},
		{name: "expired", server: server{s.ExpiredServerCert, s.ExpiredServerKey, ""}, opt: client.WithTLS(client.TLS{RootCAFile: s.CA}), wantErr: "certificate has expired or is not yet valid"},
		{name: "not yet valid", server: server{s.NotYetValidServerCert, s.NotYetValidServerKey, ""}, opt: client.WithTLS(client.TLS{RootCAFile: s.CA}), wantErr: "certificate has expired or is not yet valid"},
		{name: "wrong host", server: server{s.WrongHostServerCert, s.WrongHostServerKey, ""}, opt: client.WithTLS(client.TLS{RootCAFile: s.CA}), wantErr: "cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"},
		{name: "server name override", server: server{s.WrongHostServerCert, s.WrongHostServerKey, ""}, opt: client.WithTLS(client.TLS{RootCAFile: s.CA, ServerName: pki.WrongHost})},
		{name: "server name override wrong", server: good, opt: client.WithTLS(client.TLS{RootCAFile: s.CA, ServerName: pki.WrongHost}), wantErr: "certificate is valid for localhost, not " + pki.WrongHost},
		{name: "plaintext to tls", server: good, opt: client.WithPlaintext(), wantErr: "connection"},
		{name: "mtls", server: mtls, opt: client.WithTLS(client.TLS{RootCAFile: s.CA, CertFile: s.ClientCert, KeyFile: s.ClientKey}), wantPeer: serialOf(t, s.ClientCert)},
		{name: "mtls without client cert", server: mtls, opt: client.WithTLS(client.TLS{RootCAFile: s.CA}), wantErr: "certificate required", anyMessage: true},
		{name: "mtls other client cert", server: mtls, opt: client.WithTLS(client.TLS{RootCAFile: s.CA, CertFile: s.OtherClientCert, KeyFile: s.OtherClientKey}), wantErr: "certificate", anyMessage: true},
		{name: "credentials", server: good, opt: client.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: s.Authority.Pool()}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var seen peers
			_, addr := serveBehavior(t, 1, grpc.Creds(credentials.NewTLS(serverTLS(t, tt.server.cert, tt.server.key, tt.server.clientCA))), grpc.UnaryInterceptor(seen.interceptor))
			p := openPool(t, "dns:///"+addr, client.WithSize(1), tt.opt)
			resp, err := testingv1.NewBehaviorServiceClient(p).Unary(ctxFor(t, 10*time.Second), &testingv1.BehaviorRequest{})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("call: %v", err)
				}
				if resp.GetServerPid() != 1 {
					t.Errorf("server id %d, want 1", resp.GetServerPid())
				}
				if got := seen.last(); got != tt.wantPeer {
					t.Errorf("client certificate serial %q, want %q", got, tt.wantPeer)
				}
				return
			}
			se, ok := client.Status(err)
			if !ok || se.Code() != codes.Unavailable || (!tt.anyMessage && !strings.Contains(se.Message(), tt.wantErr)) {
				t.Errorf("call error %v, want UNAVAILABLE containing %q", err, tt.wantErr)
			}
		})
	}
}

// A rotated client certificate is used by the next connection; a broken
// one leaves the last good one in use.
func TestClientCertRotation(t *testing.T) {
	t.Parallel()
	s, err := pki.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var seen peers
	// Connections live 200ms, so that the client handshakes again soon.
	_, addr := serveBehavior(t, 1,
		grpc.Creds(credentials.NewTLS(serverTLS(t, s.ServerCert, s.ServerKey, s.CA))),
		grpc.UnaryInterceptor(seen.interceptor),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionAge: 200 * time.Millisecond, MaxConnectionAgeGrace: time.Second}))
	p := openPool(t, "dns:///"+addr, client.WithSize(1), client.WithTLS(client.TLS{RootCAFile: s.CA, CertFile: s.ClientCert, KeyFile: s.ClientKey}))
	c := testingv1.NewBehaviorServiceClient(p)
	ctx := ctxFor(t, 30*time.Second)
	// waitFor calls until the server sees the certificate serial want,
	// and counts the connections (handshakes) meanwhile.
	waitFor := func(want string, d time.Duration) (ok bool) {
		deadline := time.Now().Add(d)
		for time.Now().Before(deadline) {
			if _, err := c.Unary(ctx, &testingv1.BehaviorRequest{}); err != nil {
				t.Logf("call: %v", err)
			}
			if seen.last() == want {
				return true
			}
			time.Sleep(20 * time.Millisecond)
		}
		return false
	}
	first := serialOf(t, s.ClientCert)
	if !waitFor(first, 5*time.Second) {
		t.Fatalf("server saw client certificate %q, want %q", seen.last(), first)
	}
	if err := s.RotateClient(); err != nil {
		t.Fatal(err)
	}
	second := serialOf(t, s.ClientCert)
	if !waitFor(second, 10*time.Second) {
		t.Fatalf("after rotation the server saw client certificate %q, want the new %q", seen.last(), second)
	}
	// A half-written certificate: calls go on with the last good pair
	// over new connections.
	if err := os.WriteFile(s.ClientCert, []byte("-----BEGIN CERTIFICATE-----\nMIIB"), 0o644); err != nil {
		t.Fatal(err)
	}
	seen.mu.Lock()
	seen.serials = nil
	seen.mu.Unlock()
	time.Sleep(600 * time.Millisecond) // about three connection ages
	for range 5 {
		if _, err := c.Unary(ctx, &testingv1.BehaviorRequest{}); err != nil {
			t.Errorf("call with a broken certificate file: %v", err)
		}
	}
	if got := seen.last(); got != second {
		t.Errorf("with a broken certificate file the server saw %q, want the last good %q", got, second)
	}
}
