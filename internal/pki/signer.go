package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// JWT algorithms of the signer.
const (
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256, RSA 2048 key
	ES256 = "ES256" // ECDSA P-256 with SHA-256, signature r||s (64 bytes)
)

// Issuer and Audience are the iss and aud of the tokens Claims makes.
const (
	Issuer   = "https://issuer.protoctl.test"
	Audience = "protoctl-test"
)

// Signer signs JWTs with its keys, each named by a key id (kid), and
// publishes the public keys as a JWKS. It is safe for concurrent use.
type Signer struct {
	mu   sync.Mutex
	keys []*signingKey
	next int // number for the next kid
}

type signingKey struct {
	kid string
	alg string
	key crypto.Signer
}

// NewSigner makes a signer with an RS256 key and an ES256 key.
func NewSigner() (*Signer, error) {
	s := &Signer{}
	for _, alg := range []string{RS256, ES256} {
		if _, err := s.AddKey(alg); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// AddKey makes a new key for alg (RS256 or ES256) and returns its kid, such
// as "rs256-3". The JWKS includes it from now on.
func (s *Signer) AddKey(alg string) (string, error) {
	k, err := newKey(alg)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	kid := fmt.Sprintf("%s-%d", strings.ToLower(alg), s.next)
	s.keys = append(s.keys, &signingKey{kid: kid, alg: alg, key: k})
	return kid, nil
}

func newKey(alg string) (crypto.Signer, error) {
	switch alg {
	case RS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	return nil, fmt.Errorf("algorithm %q: want RS256 or ES256", alg)
}

// RemoveKey drops the key kid: tokens it signed stop verifying once the
// JWKS is rewritten.
func (s *Signer) RemoveKey(kid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, k := range s.keys {
		if k.kid == kid {
			s.keys = append(s.keys[:i], s.keys[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("key id %q: no such key", kid)
}

// KeyIDs returns the kids of the signer's keys, oldest first.
func (s *Signer) KeyIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, len(s.keys))
	for i, k := range s.keys {
		ids[i] = k.kid
	}
	return ids
}

// find returns the key kid, or with kid "" the newest key for alg.
func (s *Signer) find(alg, kid string) (*signingKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.keys) - 1; i >= 0; i-- {
		k := s.keys[i]
		if (kid == "" && k.alg == alg) || (kid != "" && k.kid == kid) {
			if k.alg != alg {
				return nil, fmt.Errorf("key id %q is a %s key, not %s", kid, k.alg, alg)
			}
			return k, nil
		}
	}
	if kid == "" {
		return nil, fmt.Errorf("no %s key", alg)
	}
	return nil, fmt.Errorf("key id %q: no such key", kid)
}

// Claims returns the claims of a token for subject valid from now for ttl
// (a negative ttl makes an expired token): iss Issuer, aud Audience, sub,
// iat, nbf, exp and, when scopes are given, scope (space-separated).
func (s *Signer) Claims(subject string, ttl time.Duration, scopes ...string) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss": Issuer,
		"aud": Audience,
		"sub": subject,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(ttl).Unix(),
	}
	if ttl < 0 {
		c["iat"] = now.Add(2 * ttl).Unix()
		c["nbf"] = c["iat"]
	}
	if len(scopes) > 0 {
		c["scope"] = strings.Join(scopes, " ")
	}
	return c
}

// Sign returns a compact JWT of claims signed with the key kid, or with kid
// "" the newest key for alg.
func (s *Signer) Sign(claims map[string]any, alg, kid string) (string, error) {
	k, err := s.find(alg, kid)
	if err != nil {
		return "", err
	}
	return sign(map[string]any{"alg": alg, "typ": "JWT", "kid": k.kid}, claims, k.key)
}

// Bad names a token that a verifier must refuse.
type Bad int

const (
	// BadAlgNone has alg "none" and an empty signature.
	BadAlgNone Bad = iota + 1
	// BadHMACPublicKey is HS256 keyed with the PEM of the RSA key's public
	// key, with that key's kid: the algorithm-confusion attack.
	BadHMACPublicKey
	// BadUnknownKid is RS256 signed by a key that is not in the JWKS.
	BadUnknownKid
	// BadSignature is a valid RS256 token with one signature byte changed.
	BadSignature
	// BadNoKid is a valid RS256 signature without a kid in the header.
	BadNoKid
)

func (b Bad) String() string {
	switch b {
	case BadAlgNone:
		return "alg none"
	case BadHMACPublicKey:
		return "hs256 with public key"
	case BadUnknownKid:
		return "unknown kid"
	case BadSignature:
		return "bad signature"
	case BadNoKid:
		return "no kid"
	}
	return fmt.Sprintf("Bad(%d)", int(b))
}

// BadToken returns a token of claims made wrong in the way bad says.
func (s *Signer) BadToken(bad Bad, claims map[string]any) (string, error) {
	rsaKey, err := s.find(RS256, "")
	if err != nil {
		return "", err
	}
	switch bad {
	case BadAlgNone:
		h, err := segment(map[string]any{"alg": "none", "typ": "JWT", "kid": rsaKey.kid})
		if err != nil {
			return "", err
		}
		p, err := segment(claims)
		if err != nil {
			return "", err
		}
		return h + "." + p + ".", nil
	case BadHMACPublicKey:
		der, err := x509.MarshalPKIXPublicKey(rsaKey.key.Public())
		if err != nil {
			return "", err
		}
		secret := pemBlock("PUBLIC KEY", der)
		h, err := segment(map[string]any{"alg": "HS256", "typ": "JWT", "kid": rsaKey.kid})
		if err != nil {
			return "", err
		}
		p, err := segment(claims)
		if err != nil {
			return "", err
		}
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(h + "." + p))
		return h + "." + p + "." + b64(mac.Sum(nil)), nil
	case BadUnknownKid:
		k, err := newKey(RS256)
		if err != nil {
			return "", err
		}
		return sign(map[string]any{"alg": RS256, "typ": "JWT", "kid": "unknown-1"}, claims, k)
	case BadSignature:
		tok, err := s.Sign(claims, RS256, rsaKey.kid)
		if err != nil {
			return "", err
		}
		i := strings.LastIndexByte(tok, '.')
		sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
		if err != nil {
			return "", err
		}
		sig[len(sig)/2] ^= 0x5a
		return tok[:i+1] + b64(sig), nil
	case BadNoKid:
		return sign(map[string]any{"alg": RS256, "typ": "JWT"}, claims, rsaKey.key)
	}
	return "", fmt.Errorf("bad token kind %d: unknown", int(bad))
}

// sign encodes header and claims and signs them with key: RS256 for an RSA
// key, ES256 (r||s, 32 bytes each) for an EC key.
func sign(header, claims map[string]any, key crypto.Signer) (string, error) {
	h, err := segment(header)
	if err != nil {
		return "", err
	}
	p, err := segment(claims)
	if err != nil {
		return "", err
	}
	input := h + "." + p
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
	case *ecdsa.PrivateKey:
		r, s, serr := ecdsa.Sign(rand.Reader, k, digest[:])
		err = serr
		sig = make([]byte, 64)
		if err == nil {
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	default:
		err = fmt.Errorf("key type %T: want RSA or ECDSA", key)
	}
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
}

func segment(v map[string]any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return b64(b), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// JWKS returns the public keys as an RFC 7517 key set, {"keys":[...]}, each
// with kid, use "sig" and alg.
func (s *Signer) JWKS() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]map[string]string, 0, len(s.keys))
	for _, k := range s.keys {
		jwk := map[string]string{"kid": k.kid, "use": "sig", "alg": k.alg}
		switch pub := k.key.Public().(type) {
		case *rsa.PublicKey:
			jwk["kty"] = "RSA"
			jwk["n"] = b64(pub.N.Bytes())
			jwk["e"] = b64(bigEndian(pub.E))
		case *ecdsa.PublicKey:
			pt, err := pub.Bytes() // 0x04 || X || Y
			if err != nil {
				continue
			}
			jwk["kty"] = "EC"
			jwk["crv"] = "P-256"
			jwk["x"] = b64(pt[1:33])
			jwk["y"] = b64(pt[33:65])
		}
		keys = append(keys, jwk)
	}
	b, _ := json.MarshalIndent(map[string]any{"keys": keys}, "", "  ")
	return append(b, '\n')
}

// WriteJWKS replaces path with the JWKS atomically.
func (s *Signer) WriteJWKS(path string) error {
	return WriteFile(path, s.JWKS(), 0o644)
}

// bigEndian is e without leading zero bytes.
func bigEndian(e int) []byte {
	var b []byte
	for ; e > 0; e >>= 8 {
		b = append([]byte{byte(e)}, b...)
	}
	return b
}
