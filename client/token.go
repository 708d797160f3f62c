package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// Token is a bearer token, normally a JWT, and when it expires (zero for a
// token that does not).
type Token struct {
	Value  string
	Expiry time.Time
}

// TokenSource gives the token a pool sends with its calls. The pool calls
// Token only to get a new token (see WithTokenSource), one call at a time,
// with the context of the RPC that needs it.
type TokenSource interface {
	Token(ctx context.Context) (Token, error)
}

// TokenSourceFunc is a function that is a TokenSource.
type TokenSourceFunc func(ctx context.Context) (Token, error)

// Token calls f.
func (f TokenSourceFunc) Token(ctx context.Context) (Token, error) { return f(ctx) }

// StaticToken is a TokenSource of a fixed token that never expires.
func StaticToken(value string) TokenSource {
	return TokenSourceFunc(func(context.Context) (Token, error) {
		return Token{Value: value}, nil
	})
}

// FileTokenSource reads the token from the file at path (surrounding white
// space removed), such as a Kubernetes projected service account token,
// and reads it again when the file changes. When the token is a JWT its
// Expiry is the exp claim, read without verifying the token (the server
// verifies it); otherwise the token has no expiry and the pool asks again
// every minute.
func FileTokenSource(path string) TokenSource {
	return &fileToken{path: path}
}

type fileToken struct {
	path string

	mu    sync.Mutex
	stamp fileStamp
	tok   Token
}

func (f *fileToken) Token(context.Context) (Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := stampOf(f.path)
	if err != nil {
		return Token{}, fmt.Errorf("token file %s: %w", f.path, pathCause(err))
	}
	if f.tok.Value == "" || st != f.stamp {
		b, err := os.ReadFile(f.path)
		if err != nil {
			return Token{}, fmt.Errorf("token file %s: %w", f.path, pathCause(err))
		}
		v := string(bytes.TrimSpace(b))
		if v == "" {
			return Token{}, fmt.Errorf("token file %s: empty", f.path)
		}
		f.tok, f.stamp = Token{Value: v, Expiry: jwtExpiry(v)}, st
	}
	return f.tok, nil
}

// jwtExpiry is the exp claim of a JWT, unverified, or the zero time when v
// is not a JWT with one.
func jwtExpiry(v string) time.Time {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(b, &claims) != nil {
		return time.Time{}
	}
	exp, err := claims.Exp.Float64()
	if err != nil || exp <= 0 {
		return time.Time{}
	}
	sec := int64(exp)
	return time.Unix(sec, int64((exp-float64(sec))*1e9))
}
