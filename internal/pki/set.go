package pki

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Names in the certificates of a Set.
const (
	// ServerName is the DNS name of the server certificates (which are also
	// valid for 127.0.0.1 and ::1).
	ServerName = "localhost"
	// WrongHost is the only name of the wrong-host server certificate.
	WrongHost = "wrong-host.protoctl.test"
	// ClientName is the common name of the client certificates.
	ClientName = "protoctl-test-client"
)

// Set is a complete test PKI written into Dir; every field but the
// authorities and the signer is the path of a PEM file (keys as PKCS #8,
// mode 0600) or, for JWKS, of a JSON key set.
type Set struct {
	Dir string

	// CA signs the server and client certificates and the bad server
	// certificates.
	CA                    string
	ServerCert, ServerKey string
	ClientCert, ClientKey string
	ExpiredServerCert     string // expired a day ago
	ExpiredServerKey      string
	NotYetValidServerCert string // valid from tomorrow
	NotYetValidServerKey  string
	WrongHostServerCert   string // valid for WrongHost only
	WrongHostServerKey    string

	// OtherCA is a second, unrelated CA, and certificates it signs: a
	// client presenting OtherClientCert to a server trusting CA must fail.
	OtherCA                         string
	OtherServerCert, OtherServerKey string
	OtherClientCert, OtherClientKey string

	// JWKS holds the public keys of Signer.
	JWKS string

	Authority      *Authority
	OtherAuthority *Authority
	Signer         *Signer
}

// Write makes a new PKI and writes it into dir (created if missing).
func Write(dir string) (*Set, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ca, err := NewAuthority("protoctl test CA")
	if err != nil {
		return nil, err
	}
	other, err := NewAuthority("protoctl other test CA")
	if err != nil {
		return nil, err
	}
	signer, err := NewSigner()
	if err != nil {
		return nil, err
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	s := &Set{
		Dir:                   dir,
		CA:                    p("ca.pem"),
		ServerCert:            p("server.pem"),
		ServerKey:             p("server-key.pem"),
		ClientCert:            p("client.pem"),
		ClientKey:             p("client-key.pem"),
		ExpiredServerCert:     p("expired-server.pem"),
		ExpiredServerKey:      p("expired-server-key.pem"),
		NotYetValidServerCert: p("not-yet-valid-server.pem"),
		NotYetValidServerKey:  p("not-yet-valid-server-key.pem"),
		WrongHostServerCert:   p("wrong-host-server.pem"),
		WrongHostServerKey:    p("wrong-host-server-key.pem"),
		OtherCA:               p("other-ca.pem"),
		OtherServerCert:       p("other-server.pem"),
		OtherServerKey:        p("other-server-key.pem"),
		OtherClientCert:       p("other-client.pem"),
		OtherClientKey:        p("other-client-key.pem"),
		JWKS:                  p("jwks.json"),
		Authority:             ca,
		OtherAuthority:        other,
		Signer:                signer,
	}
	now := time.Now()
	leaves := []struct {
		ca        *Authority
		leaf      Leaf
		cert, key string
	}{
		{ca, ServerLeaf(), s.ServerCert, s.ServerKey},
		{ca, ClientLeaf(), s.ClientCert, s.ClientKey},
		{ca, withTimes(ServerLeaf(), now.Add(-48*time.Hour), now.Add(-24*time.Hour)), s.ExpiredServerCert, s.ExpiredServerKey},
		{ca, withTimes(ServerLeaf(), now.Add(24*time.Hour), now.Add(48*time.Hour)), s.NotYetValidServerCert, s.NotYetValidServerKey},
		{ca, Leaf{CommonName: WrongHost, DNSNames: []string{WrongHost}}, s.WrongHostServerCert, s.WrongHostServerKey},
		{other, ServerLeaf(), s.OtherServerCert, s.OtherServerKey},
		{other, ClientLeaf(), s.OtherClientCert, s.OtherClientKey},
	}
	for _, l := range leaves {
		if err := l.ca.WriteLeaf(l.leaf, l.cert, l.key); err != nil {
			return nil, err
		}
	}
	for path, data := range map[string][]byte{s.CA: ca.CertPEM, s.OtherCA: other.CertPEM} {
		if err := WriteFile(path, data, 0o644); err != nil {
			return nil, err
		}
	}
	if err := signer.WriteJWKS(s.JWKS); err != nil {
		return nil, err
	}
	return s, nil
}

// ServerLeaf is the server certificate of a Set: localhost, 127.0.0.1 and
// ::1, valid from an hour ago for a day.
func ServerLeaf() Leaf {
	return Leaf{CommonName: ServerName, DNSNames: []string{ServerName}, IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}
}

// ClientLeaf is the client certificate of a Set.
func ClientLeaf() Leaf {
	return Leaf{CommonName: ClientName, Client: true}
}

func withTimes(l Leaf, notBefore, notAfter time.Time) Leaf {
	l.NotBefore, l.NotAfter = notBefore, notAfter
	return l
}

// RotateServer issues a new server certificate and key from the CA and
// replaces ServerCert and ServerKey with them.
func (s *Set) RotateServer() error {
	return s.Authority.WriteLeaf(ServerLeaf(), s.ServerCert, s.ServerKey)
}

// RotateClient issues a new client certificate and key from the CA and
// replaces ClientCert and ClientKey with them.
func (s *Set) RotateClient() error {
	return s.Authority.WriteLeaf(ClientLeaf(), s.ClientCert, s.ClientKey)
}

// AuthConfig is the JSON configuration of the Python server's JWT
// verification (--auth-config) for this set's signer.
type AuthConfig struct {
	JWKS          string              `json:"jwks"`
	Issuer        string              `json:"issuer"`
	Audience      string              `json:"audience"`
	LeewaySeconds *int                `json:"leeway_seconds,omitempty"`
	MaxTokenBytes int                 `json:"max_token_bytes,omitempty"`
	Exempt        []string            `json:"exempt,omitempty"`
	Scopes        map[string][]string `json:"scopes,omitempty"`
}

// WriteAuthConfig writes the server's auth configuration to Dir/name,
// with the JWKS, Issuer and Audience of the set filled in when cfg leaves
// them empty, and returns the file's path.
func (s *Set) WriteAuthConfig(name string, cfg AuthConfig) (string, error) {
	if cfg.JWKS == "" {
		cfg.JWKS = filepath.Base(s.JWKS)
	}
	if cfg.Issuer == "" {
		cfg.Issuer = Issuer
	}
	if cfg.Audience == "" {
		cfg.Audience = Audience
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return "", fmt.Errorf("auth config: %w", err)
	}
	path := filepath.Join(s.Dir, name)
	return path, WriteFile(path, append(b, '\n'), 0o644)
}

// WriteJWKS rewrites the JWKS file from the signer's current keys, after
// AddKey or RemoveKey.
func (s *Set) WriteJWKS() error {
	return s.Signer.WriteJWKS(s.JWKS)
}
