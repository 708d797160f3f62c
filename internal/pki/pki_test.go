package pki_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/protoctl/protoctl/internal/pki"
)

var (
	setOnce sync.Once
	set     *pki.Set
	setErr  error
)

// testSet is one Set shared by the tests that only read it.
func testSet(t *testing.T) *pki.Set {
	t.Helper()
	setOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pki-test-")
		if err != nil {
			setErr = err
			return
		}
		set, setErr = pki.Write(dir)
	})
	if setErr != nil {
		t.Fatal(setErr)
	}
	return set
}

func TestMain(m *testing.M) {
	code := m.Run()
	if set != nil {
		_ = os.RemoveAll(set.Dir)
	}
	os.Exit(code)
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s: no CERTIFICATE block", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pool(t *testing.T, path string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		t.Fatalf("%s: no certificates", path)
	}
	return p
}

func TestCertificates(t *testing.T) {
	t.Parallel()
	s := testSet(t)
	server := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	tests := []struct {
		name    string
		cert    string
		roots   string
		host    string
		usage   []x509.ExtKeyUsage
		wantErr string // substring; "" for a valid chain
	}{
		{"server localhost", s.ServerCert, s.CA, "localhost", server, ""},
		{"server ipv4", s.ServerCert, s.CA, "127.0.0.1", server, ""},
		{"server ipv6", s.ServerCert, s.CA, "::1", server, ""},
		{"server wrong host", s.ServerCert, s.CA, "example.com", server, "certificate is valid for"},
		{"server as client", s.ServerCert, s.CA, "", client, "incompatible key usage"},
		{"server other ca", s.ServerCert, s.OtherCA, "localhost", server, "unknown authority"},
		{"client", s.ClientCert, s.CA, "", client, ""},
		{"client other ca", s.ClientCert, s.OtherCA, "", client, "unknown authority"},
		{"other client", s.OtherClientCert, s.OtherCA, "", client, ""},
		{"other client with ca", s.OtherClientCert, s.CA, "", client, "unknown authority"},
		{"other server", s.OtherServerCert, s.OtherCA, "localhost", server, ""},
		{"expired", s.ExpiredServerCert, s.CA, "localhost", server, "expired"},
		{"not yet valid", s.NotYetValidServerCert, s.CA, "localhost", server, "not yet valid"},
		{"wrong host", s.WrongHostServerCert, s.CA, "localhost", server, "certificate is valid for " + pki.WrongHost},
		{"wrong host by its name", s.WrongHostServerCert, s.CA, pki.WrongHost, server, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := readCert(t, tt.cert).Verify(x509.VerifyOptions{Roots: pool(t, tt.roots), DNSName: tt.host, KeyUsages: tt.usage})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("verify: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("verify: error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestKeyPairs(t *testing.T) {
	t.Parallel()
	s := testSet(t)
	pairs := [][2]string{
		{s.ServerCert, s.ServerKey}, {s.ClientCert, s.ClientKey},
		{s.ExpiredServerCert, s.ExpiredServerKey}, {s.NotYetValidServerCert, s.NotYetValidServerKey},
		{s.WrongHostServerCert, s.WrongHostServerKey},
		{s.OtherServerCert, s.OtherServerKey}, {s.OtherClientCert, s.OtherClientKey},
	}
	for _, p := range pairs {
		if _, err := tls.LoadX509KeyPair(p[0], p[1]); err != nil {
			t.Errorf("%s + %s: %v", filepath.Base(p[0]), filepath.Base(p[1]), err)
		}
		fi, err := os.Stat(p[1])
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p[1]), fi.Mode().Perm())
		}
	}
	if _, err := tls.LoadX509KeyPair(s.ServerCert, s.ClientKey); err == nil {
		t.Error("server certificate with the client key loaded, want a mismatch")
	}
}

func TestRotateClient(t *testing.T) {
	t.Parallel()
	s, err := pki.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	before := readCert(t, s.ClientCert).SerialNumber
	if err := s.RotateClient(); err != nil {
		t.Fatal(err)
	}
	after := readCert(t, s.ClientCert)
	if after.SerialNumber.Cmp(before) == 0 {
		t.Error("rotated client certificate has the old serial number")
	}
	if _, err := tls.LoadX509KeyPair(s.ClientCert, s.ClientKey); err != nil {
		t.Errorf("rotated pair: %v", err)
	}
	if _, err := after.Verify(x509.VerifyOptions{Roots: pool(t, s.CA), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("rotated client certificate: %v", err)
	}
}

// verifier checks JWTs against a JWKS the way the Python server does:
// RS256 or ES256 chosen by the key, kid required.
type verifier map[string]crypto.PublicKey

func newVerifier(t *testing.T, jwks []byte) verifier {
	t.Helper()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatal(err)
	}
	v := verifier{}
	for _, k := range set.Keys {
		num := func(name string) *big.Int {
			b, err := base64.RawURLEncoding.DecodeString(k[name])
			if err != nil || len(b) == 0 {
				t.Fatalf("key %s: bad %s %q", k["kid"], name, k[name])
			}
			return new(big.Int).SetBytes(b)
		}
		switch {
		case k["kty"] == "RSA" && k["alg"] == "RS256":
			v[k["kid"]] = &rsa.PublicKey{N: num("n"), E: int(num("e").Int64())}
		case k["kty"] == "EC" && k["crv"] == "P-256" && k["alg"] == "ES256":
			x, y := num("x").FillBytes(make([]byte, 32)), num("y").FillBytes(make([]byte, 32))
			pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
			if err != nil {
				t.Fatalf("key %s: %v", k["kid"], err)
			}
			v[k["kid"]] = pub
		default:
			t.Fatalf("unexpected key %v", k)
		}
	}
	return v
}

func (v verifier) verify(tok string) (map[string]any, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errors.New("malformed")
	}
	var header map[string]any
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &header) != nil {
		return nil, errors.New("malformed header")
	}
	kid, ok := header["kid"].(string)
	if !ok {
		return nil, errors.New("no kid")
	}
	key, ok := v[kid]
	if !ok {
		return nil, fmt.Errorf("unknown kid %q", kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errors.New("malformed signature")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch key := key.(type) {
	case *rsa.PublicKey:
		if header["alg"] != "RS256" {
			return nil, fmt.Errorf("alg %v not allowed", header["alg"])
		}
		if rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig) != nil {
			return nil, errors.New("invalid signature")
		}
	case *ecdsa.PublicKey:
		if header["alg"] != "ES256" {
			return nil, fmt.Errorf("alg %v not allowed", header["alg"])
		}
		if len(sig) != 64 || !ecdsa.Verify(key, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			return nil, errors.New("invalid signature")
		}
	}
	var claims map[string]any
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(pb, &claims) != nil {
		return nil, errors.New("malformed payload")
	}
	return claims, nil
}

func TestTokens(t *testing.T) {
	t.Parallel()
	s := testSet(t)
	jwks, err := os.ReadFile(s.JWKS)
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, jwks)
	if diff := cmp.Diff([]string{"rs256-1", "es256-2"}, s.Signer.KeyIDs()); diff != "" {
		t.Errorf("key ids (-want +got):\n%s", diff)
	}
	claims := s.Signer.Claims("alice", time.Minute, "a.read", "a.write")
	for _, alg := range []string{pki.RS256, pki.ES256} {
		tok, err := s.Signer.Sign(claims, alg, "")
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.verify(tok)
		if err != nil {
			t.Errorf("%s: %v", alg, err)
			continue
		}
		want := map[string]any{"iss": pki.Issuer, "aud": pki.Audience, "sub": "alice", "scope": "a.read a.write",
			"iat": float64(claims["iat"].(int64)), "nbf": float64(claims["nbf"].(int64)), "exp": float64(claims["exp"].(int64))}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s claims (-want +got):\n%s", alg, diff)
		}
	}
	if _, err := s.Signer.Sign(claims, pki.ES256, "rs256-1"); err == nil {
		t.Error("ES256 with the RSA key signed, want an error")
	}
	bad := map[pki.Bad]string{
		pki.BadAlgNone:       `alg none not allowed`,
		pki.BadHMACPublicKey: `alg HS256 not allowed`,
		pki.BadUnknownKid:    `unknown kid "unknown-1"`,
		pki.BadSignature:     `invalid signature`,
		pki.BadNoKid:         `no kid`,
	}
	for kind, want := range bad {
		tok, err := s.Signer.BadToken(kind, claims)
		if err != nil {
			t.Fatalf("%v: %v", kind, err)
		}
		if _, err := v.verify(tok); err == nil || err.Error() != want {
			t.Errorf("%v: verify error %v, want %q", kind, err, want)
		}
	}
}

func TestJWKSRotation(t *testing.T) {
	t.Parallel()
	s, err := pki.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	claims := s.Signer.Claims("bob", time.Minute)
	old, err := s.Signer.Sign(claims, pki.ES256, "")
	if err != nil {
		t.Fatal(err)
	}
	kid, err := s.Signer.AddKey(pki.ES256)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := s.Signer.Sign(claims, pki.ES256, "")
	if err != nil {
		t.Fatal(err)
	}
	readVerifier := func() verifier {
		b, err := os.ReadFile(s.JWKS)
		if err != nil {
			t.Fatal(err)
		}
		return newVerifier(t, b)
	}
	if _, err := readVerifier().verify(fresh); err == nil {
		t.Errorf("token of new key %s verified before the JWKS was rewritten", kid)
	}
	if err := s.WriteJWKS(); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"old": old, "new": fresh} {
		if _, err := readVerifier().verify(tok); err != nil {
			t.Errorf("%s key after adding: %v", name, err)
		}
	}
	if err := s.Signer.RemoveKey("es256-2"); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteJWKS(); err != nil {
		t.Fatal(err)
	}
	v := readVerifier()
	if _, err := v.verify(old); err == nil || err.Error() != `unknown kid "es256-2"` {
		t.Errorf("removed key: verify error %v, want unknown kid", err)
	}
	if _, err := v.verify(fresh); err != nil {
		t.Errorf("new key after removing the old: %v", err)
	}
	if err := s.Signer.RemoveKey("es256-2"); err == nil {
		t.Error("removing a removed key succeeded")
	}
}

func TestWriteAuthConfig(t *testing.T) {
	t.Parallel()
	s := testSet(t)
	path, err := s.WriteAuthConfig("auth-test.json", pki.AuthConfig{Scopes: map[string][]string{"/a.B/C": {"x"}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"jwks": "jwks.json", "issuer": pki.Issuer, "audience": pki.Audience, "scopes": map[string]any{"/a.B/C": []any{"x"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("auth config (-want +got):\n%s", diff)
	}
}
