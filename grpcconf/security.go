package grpcconf

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/protoctl/protoctl/client"
	"github.com/protoctl/protoctl/internal/pki"
	"github.com/protoctl/protoctl/internal/pyserver"
)

// The server profiles of the TLS suite that present bad certificates.
const (
	// ProfileExpiredCert serves a server certificate that expired.
	ProfileExpiredCert Profile = "expired-cert"
	// ProfileNotYetValidCert serves a server certificate valid from
	// tomorrow.
	ProfileNotYetValidCert Profile = "not-yet-valid-cert"
)

// The auth settings of the TLS suite's servers: every BehaviorService
// method needs ScopeBehavior, and the suite's token carries it.
const (
	ScopeBehavior = "behavior.call"
	// Subject is the subject of the suite's tokens.
	Subject = "protoctl-conformance"
	// TokenLifetime is how long the suite's tokens are valid.
	TokenLifetime = 10 * time.Minute
)

// Security runs the suite over mTLS with JWT auth: its servers present
// the PKI's server certificate, require client certificates signed by its
// CA and verify tokens against its JWKS; the suite's connections present
// the client certificate and a token with ScopeBehavior.
type Security struct {
	// PKI is the test PKI, made at run time.
	PKI *pki.Set
	// AuthConfig is the path of the servers' --auth-config file.
	AuthConfig string

	expiredClientCert, expiredClientKey string
}

// NewSecurity makes a test PKI and an auth config in dir.
func NewSecurity(dir string) (*Security, error) {
	set, err := pki.Write(dir)
	if err != nil {
		return nil, fmt.Errorf("test pki: %w", err)
	}
	path, err := set.WriteAuthConfig("auth.json", pki.AuthConfig{
		JWKS:     filepath.Base(set.JWKS),
		Issuer:   pki.Issuer,
		Audience: pki.Audience,
		Scopes:   map[string][]string{"/protoctl.testing.v1.BehaviorService/*": {ScopeBehavior}},
	})
	if err != nil {
		return nil, err
	}
	sec := &Security{PKI: set, AuthConfig: path,
		expiredClientCert: filepath.Join(dir, "expired-client.pem"), expiredClientKey: filepath.Join(dir, "expired-client-key.pem")}
	leaf := pki.ClientLeaf()
	leaf.NotBefore, leaf.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	if err := set.Authority.WriteLeaf(leaf, sec.expiredClientCert, sec.expiredClientKey); err != nil {
		return nil, err
	}
	return sec, nil
}

// TempSecurity is NewSecurity in a new temporary directory; Remove
// deletes it.
func TempSecurity() (*Security, error) {
	dir, err := os.MkdirTemp("", "protoctl-tls-")
	if err != nil {
		return nil, err
	}
	sec, err := NewSecurity(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return sec, nil
}

// Remove deletes the PKI's directory, private keys included.
func (s *Security) Remove() error { return os.RemoveAll(s.PKI.Dir) }

// Server is the server security of a profile.
func (s *Security) Server(p Profile) *pyserver.Security {
	sec := &pyserver.Security{CertFile: s.PKI.ServerCert, KeyFile: s.PKI.ServerKey, ClientCAFile: s.PKI.CA, AuthConfig: s.AuthConfig}
	switch p {
	case ProfileExpiredCert:
		sec.CertFile, sec.KeyFile = s.PKI.ExpiredServerCert, s.PKI.ExpiredServerKey
	case ProfileNotYetValidCert:
		sec.CertFile, sec.KeyFile = s.PKI.NotYetValidServerCert, s.PKI.NotYetValidServerKey
	}
	return sec
}

// Token returns a fresh token of the suite's subject with scopes.
func (s *Security) Token(ttl time.Duration, scopes ...string) (string, error) {
	return s.PKI.Signer.Sign(s.PKI.Signer.Claims(Subject, ttl, scopes...), pki.RS256, "")
}

// Tokens is the suite's token source: a new token with ScopeBehavior
// whenever a client asks.
func (s *Security) Tokens() client.TokenSource {
	return client.TokenSourceFunc(func(context.Context) (client.Token, error) {
		tok, err := s.Token(TokenLifetime, ScopeBehavior)
		return client.Token{Value: tok, Expiry: time.Now().Add(TokenLifetime)}, err
	})
}

// DialPool opens a pool over mTLS with the suite's tokens.
func (s *Security) DialPool(target string, opts ...grpc.DialOption) (Conn, error) {
	return client.New(target,
		client.WithTLS(s.clientTLS(clientTLS{})),
		client.WithTokenSource(s.Tokens()),
		client.WithDialOptions(opts...), client.WithRegisterer(prometheus.NewRegistry()))
}

// DialBare opens a bare grpc-go ClientConn over mTLS with the suite's
// tokens.
func (s *Security) DialBare(target string, opts ...grpc.DialOption) (Conn, error) {
	creds, err := s.clientTLS(clientTLS{}).Credentials()
	if err != nil {
		return nil, err
	}
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(creds), grpc.WithPerRPCCredentials(client.PerRPCCredentials(s.Tokens()))}, opts...)
	return grpc.NewClient(target, opts...)
}

// clientTLS varies the suite's client TLS settings for the cases that
// must fail; the zero value is the good client.
type clientTLS struct {
	rootCA     string // default: the PKI's CA
	serverName string // default: pki.ServerName
	cert, key  string // default: the PKI's client certificate
	noCert     bool   // present no client certificate
}

// ClientTLS is the good client's TLS settings: the PKI's CA and client
// certificate.
func (s *Security) ClientTLS() client.TLS { return s.clientTLS(clientTLS{}) }

// clientTLS is the client package's TLS settings of c.
func (s *Security) clientTLS(c clientTLS) client.TLS {
	t := client.TLS{RootCAFile: c.rootCA, ServerName: c.serverName, CertFile: c.cert, KeyFile: c.key}
	if t.RootCAFile == "" {
		t.RootCAFile = s.PKI.CA
	}
	if t.ServerName == "" {
		t.ServerName = pki.ServerName
	}
	if t.CertFile == "" {
		t.CertFile, t.KeyFile = s.PKI.ClientCert, s.PKI.ClientKey
	}
	if c.noCert {
		t.CertFile, t.KeyFile = "", ""
	}
	return t
}
