package grpcconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

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

// tokens is the suite's token source: a new token with ScopeBehavior
// whenever the pool asks.
func (s *Security) tokens() client.TokenSource {
	return client.TokenSourceFunc(func(context.Context) (client.Token, error) {
		tok, err := s.Token(TokenLifetime, ScopeBehavior)
		return client.Token{Value: tok, Expiry: time.Now().Add(TokenLifetime)}, err
	})
}

// DialPool opens a pool over mTLS with the suite's tokens.
func (s *Security) DialPool(target string, opts ...grpc.DialOption) (Conn, error) {
	return client.New(target,
		client.WithTLS(client.TLS{RootCAFile: s.PKI.CA, ServerName: pki.ServerName, CertFile: s.PKI.ClientCert, KeyFile: s.PKI.ClientKey}),
		client.WithTokenSource(s.tokens()),
		client.WithDialOptions(opts...), client.WithRegisterer(prometheus.NewRegistry()))
}

// DialBare opens a bare grpc-go ClientConn over mTLS with the suite's
// tokens.
func (s *Security) DialBare(target string, opts ...grpc.DialOption) (Conn, error) {
	creds, err := s.transport(clientTLS{})
	if err != nil {
		return nil, err
	}
	tok, err := s.Token(TokenLifetime, ScopeBehavior)
	if err != nil {
		return nil, err
	}
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(creds), grpc.WithPerRPCCredentials(bearer(tok))}, opts...)
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

// transport builds client TLS credentials.
func (s *Security) transport(c clientTLS) (credentials.TransportCredentials, error) {
	root := c.rootCA
	if root == "" {
		root = s.PKI.CA
	}
	pem, err := os.ReadFile(root)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no certificates found", root)
	}
	cfg := &tls.Config{RootCAs: roots, ServerName: c.serverName, MinVersion: tls.VersionTLS12}
	if cfg.ServerName == "" {
		cfg.ServerName = pki.ServerName
	}
	if !c.noCert {
		certFile, keyFile := c.cert, c.key
		if certFile == "" {
			certFile, keyFile = s.PKI.ClientCert, s.PKI.ClientKey
		}
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return credentials.NewTLS(cfg), nil
}

// bearer sends one fixed token with every call, over TLS only.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return true }
