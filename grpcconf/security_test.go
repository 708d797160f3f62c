package grpcconf

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/protoctl/protoctl/internal/pyserver"
)

// TestSecureSuitePasses runs the whole suite over mTLS with JWT auth, plus
// the cases that must fail, against the sync server: every case passes.
// (TestSuitePasses covers both modes in plaintext; the aio server's auth
// has its own Python tests.)
func TestSecureSuitePasses(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the python server for about 35s")
	}
	sec, err := NewSecurity(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cases := Cases(Options{Auth: true})
	targets, logs := startSecure(t, "sync", cases, ServerArgs, sec.Server)
	r := &Runner{Targets: targets, Mode: "sync", Expectations: Expectations, Security: sec, ServerLogs: logs}
	rep, err := r.Run(context.Background(), cases)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() > 0 {
		var b bytes.Buffer
		_ = rep.PrintText(&b, Header{Server: "sync", Security: "mtls+jwt"}, nil)
		t.Errorf("%d of %d cases failed over mTLS with JWT:\n%s", rep.Failed(), len(cases), b.String())
	}
	auth := 0
	for _, c := range cases {
		if c.Secure {
			auth++
		}
	}
	if auth < 25 {
		t.Errorf("%d auth cases, want every bad certificate and token of issue #7 (25 or more)", auth)
	}
}

// TestAuthCasesNoticeLaxServer runs the cases that must fail against a
// TLS server that neither asks for client certificates nor checks tokens:
// every mTLS and JWT rejection case must fail, saying what it got.
func TestAuthCasesNoticeLaxServer(t *testing.T) {
	t.Parallel()
	sec, err := NewSecurity(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	all, err := Select(Cases(Options{Auth: true}), "jwt")
	if err != nil {
		t.Fatal(err)
	}
	mtls, err := Select(Cases(Options{Auth: true}), "mtls")
	if err != nil {
		t.Fatal(err)
	}
	cases := append(all, mtls...)
	lax := func(Profile) *pyserver.Security {
		return &pyserver.Security{CertFile: sec.PKI.ServerCert, KeyFile: sec.PKI.ServerKey}
	}
	targets, logs := startSecure(t, "sync", cases, ServerArgs, lax)
	rep, err := (&Runner{Targets: targets, Security: sec, ServerLogs: logs}).Run(context.Background(), cases)
	if err != nil {
		t.Fatal(err)
	}
	// A lax server accepts a good token too: those cases pass, except
	// the subject, which no verifier saw.
	mayPass := map[string]bool{"jwt/health_exempt": true, "jwt/header_over_transport_limit": true, "jwt/token_never_logged": false}
	for _, r := range rep.Results {
		if mayPass[r.Name] {
			continue
		}
		if r.Passed {
			t.Errorf("%s passed against a server without mTLS and auth, want a failure", r.Name)
			continue
		}
		if !strings.Contains(r.Message, "succeeded") && !strings.Contains(r.Message, "subject") {
			t.Errorf("%s failed with %q, want it to say the call succeeded or the subject was missing", r.Name, r.Message)
		}
	}
}

// TestSecureCasesNeedSecurity: the auth cases refuse to run without the
// suite's security rather than dereference nothing.
func TestSecureCasesNeedSecurity(t *testing.T) {
	t.Parallel()
	cases, err := Select(Cases(Options{Auth: true}), "jwt/missing")
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&Runner{Targets: map[Profile]string{ProfileDefault: "127.0.0.1:1"}}).Run(context.Background(), cases)
	if err == nil || !strings.Contains(err.Error(), "--tls") {
		t.Errorf("Run = %v, want an error naming --tls", err)
	}
}
