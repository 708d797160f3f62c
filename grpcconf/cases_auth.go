package grpcconf

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
	"github.com/protoctl/protoctl/internal/pki"
)

// authCases are the cases of the TLS suite that must fail: bad
// certificates on either side, and every kind of bad token. Each wants
// the documented status and message on the client, and for rejections
// the server makes, its reason in the server's log.
func authCases() []Case {
	var cases []Case
	// Certificates the client must refuse.
	for _, tc := range []struct {
		name    string
		server  Profile
		client  clientTLS
		message string
	}{
		{"tls/wrong_ca", ProfileDefault, clientTLS{rootCA: "other"}, "certificate signed by unknown authority"},
		{"tls/hostname_mismatch", ProfileDefault, clientTLS{serverName: pki.WrongHost}, "not " + pki.WrongHost},
		{"tls/expired_server_cert", ProfileExpiredCert, clientTLS{}, "certificate has expired or is not yet valid"},
		{"tls/not_yet_valid_server_cert", ProfileNotYetValidCert, clientTLS{}, "certificate has expired or is not yet valid"},
	} {
		cases = append(cases, Case{Name: tc.name, Server: tc.server, Run: func(ctx context.Context, p *Probe) error {
			mark := p.logMark()
			_, err := p.tokenCall(ctx, tc.client, "Bearer "+p.mustToken(ScopeBehavior))
			if err := wantStatus(err, codes.Unavailable, tc.message); err != nil {
				return err
			}
			// The client refused the server's certificate and told the
			// server with a bad_certificate alert, which grpc core logs.
			return p.waitLog(ctx, mark, "ALERT_BAD_CERTIFICATE")
		}})
	}
	// Client certificates the server must refuse (mTLS). Under TLS 1.3
	// the client's handshake is over before the server checks the
	// certificate, so grpc-go sees only the connection end (UNAVAILABLE
	// "error reading server preface: EOF" or "broken pipe"); the server's
	// log has the reason.
	for _, tc := range []struct {
		name string
		cert clientTLS
		log  string
	}{
		{"mtls/no_client_cert", clientTLS{noCert: true}, "PEER_DID_NOT_RETURN_A_CERTIFICATE"},
		{"mtls/client_cert_other_ca", clientTLS{cert: "other"}, "unable to get local issuer certificate"},
		{"mtls/expired_client_cert", clientTLS{cert: "expired"}, "certificate has expired"},
	} {
		cases = append(cases, Case{Name: tc.name, Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			mark := p.logMark()
			_, err := p.tokenCall(ctx, tc.cert, "Bearer "+p.mustToken(ScopeBehavior))
			if err := wantCode(err, codes.Unavailable); err != nil {
				return err
			}
			p.Notef("client sees %v", statusOf(err))
			return p.waitLog(ctx, mark, tc.log)
		}})
	}
	// Tokens the server must refuse. claims edits the claims of a good
	// token; bad, when set, makes the token wrong in that way instead.
	type tokenCase struct {
		name    string
		header  func(p *Probe) []string
		code    codes.Code
		message string // the status message's start
		log     string // what the server's log must contain
	}
	signed := func(edit func(c map[string]any)) func(p *Probe) []string {
		return func(p *Probe) []string {
			c := p.sec.PKI.Signer.Claims(Subject, TokenLifetime, ScopeBehavior)
			edit(c)
			tok, err := p.sec.PKI.Signer.Sign(c, pki.RS256, "")
			if err != nil {
				return []string{"Bearer sign-error-" + err.Error()}
			}
			return []string{"Bearer " + tok}
		}
	}
	bad := func(b pki.Bad) func(p *Probe) []string {
		return func(p *Probe) []string {
			tok, err := p.sec.PKI.Signer.BadToken(b, p.sec.PKI.Signer.Claims(Subject, TokenLifetime, ScopeBehavior))
			if err != nil {
				return []string{"Bearer sign-error-" + err.Error()}
			}
			return []string{"Bearer " + tok}
		}
	}
	now := func() int64 { return time.Now().Unix() }
	for _, tc := range []tokenCase{
		{"jwt/missing", func(*Probe) []string { return nil }, codes.Unauthenticated, "missing token", "missing token"},
		{"jwt/malformed_metadata", func(*Probe) []string { return []string{"Basic dXNlcjpwYXNz"} }, codes.Unauthenticated, "malformed authorization metadata", "malformed authorization metadata"},
		{"jwt/two_values", func(p *Probe) []string {
			t := "Bearer " + p.mustToken(ScopeBehavior)
			return []string{t, t}
		}, codes.Unauthenticated, "more than one authorization metadata value", "more than one authorization"},
		// About 5 KiB: over the server's 4096-byte token limit, under grpc's
		// 8 KiB soft limit on the whole header list (between 8 and 16 KiB
		// grpc refuses a random share of calls with RESOURCE_EXHAUSTED).
		{"jwt/oversized", signed(func(c map[string]any) { c["pad"] = strings.Repeat("x", 3500) }), codes.Unauthenticated, "token too large", "token too large"},
		{"jwt/malformed_token", func(*Probe) []string { return []string{"Bearer not-a.jwt"} }, codes.Unauthenticated, "malformed token", "malformed token"},
		{"jwt/alg_none", bad(pki.BadAlgNone), codes.Unauthenticated, `token algorithm "none" not allowed`, "not allowed"},
		{"jwt/hs256_with_public_key", bad(pki.BadHMACPublicKey), codes.Unauthenticated, `token algorithm "HS256" not allowed`, "not allowed"},
		{"jwt/unknown_key_id", bad(pki.BadUnknownKid), codes.Unauthenticated, "unknown key id", "unknown key id"},
		{"jwt/no_key_id", bad(pki.BadNoKid), codes.Unauthenticated, "malformed token", "malformed token"},
		{"jwt/bad_signature", bad(pki.BadSignature), codes.Unauthenticated, "invalid token signature", "invalid token signature"},
		{"jwt/expired", signed(func(c map[string]any) { c["iat"], c["nbf"], c["exp"] = now()-7200, now()-7200, now()-3600 }), codes.Unauthenticated, "token expired", "token expired"},
		{"jwt/not_yet_valid", signed(func(c map[string]any) { c["nbf"], c["exp"] = now()+3600, now()+7200 }), codes.Unauthenticated, "token not yet valid", "token not yet valid"},
		{"jwt/wrong_issuer", signed(func(c map[string]any) { c["iss"] = "https://attacker.example" }), codes.Unauthenticated, "wrong token issuer", "wrong token issuer"},
		{"jwt/wrong_audience", signed(func(c map[string]any) { c["aud"] = "some-other-service" }), codes.Unauthenticated, "wrong token audience", "wrong token audience"},
		{"jwt/no_subject", signed(func(c map[string]any) { delete(c, "sub") }), codes.Unauthenticated, "token has no subject", "token has no subject"},
		{"jwt/scope_missing", signed(func(c map[string]any) { delete(c, "scope") }), codes.PermissionDenied,
			`token lacks scope "` + ScopeBehavior + `" required by /protoctl.testing.v1.BehaviorService/Unary`, "lacks scope"},
	} {
		cases = append(cases, Case{Name: tc.name, Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			mark := p.logMark()
			_, err := p.tokenCall(ctx, clientTLS{}, tc.header(p)...)
			if err := wantStatus(err, tc.code, tc.message); err != nil {
				return err
			}
			return p.waitLog(ctx, mark, tc.log)
		}})
	}
	cases = append(cases,
		Case{Name: "jwt/header_over_transport_limit", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			// A header list beyond grpc's 8 KiB default: the transport
			// refuses it before the interceptor runs. Any error is right
			// as long as the call fails and the server lives on.
			_, err := p.tokenCall(ctx, clientTLS{}, "Bearer "+strings.Repeat("a", 20<<10))
			if err == nil {
				return errors.New("a 20 KiB authorization header was accepted")
			}
			p.Notef("20 KiB authorization header: %v", statusOf(err))
			resp, err := p.tokenCall(ctx, clientTLS{}, "Bearer "+p.mustToken(ScopeBehavior))
			if err != nil {
				return fmt.Errorf("the server did not answer a good call after the oversized header: %w", err)
			}
			_ = resp
			return nil
		}},
		Case{Name: "jwt/health_exempt", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			conn, err := p.tlsConn(clientTLS{})
			if err != nil {
				return err
			}
			defer conn.Close()
			resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
			if err != nil {
				return fmt.Errorf("health check without a token: %w", err)
			}
			if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				return fmt.Errorf("health check without a token: %v, want SERVING", resp.GetStatus())
			}
			return nil
		}},
		Case{Name: "jwt/subject_reaches_handler", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			resp, err := p.tokenCall(ctx, clientTLS{}, "Bearer "+p.mustToken(ScopeBehavior))
			if err != nil {
				return wantOK("Unary with a good token", err)
			}
			if resp.GetSubject() != Subject {
				return fmt.Errorf("the handler saw subject %q, want %q", resp.GetSubject(), Subject)
			}
			return nil
		}},
		Case{Name: "jwt/token_never_logged", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			good := p.mustToken(ScopeBehavior)
			expired, err := p.sec.PKI.Signer.Sign(p.sec.PKI.Signer.Claims(Subject, -time.Hour, ScopeBehavior), pki.RS256, "")
			if err != nil {
				return err
			}
			mark := p.logMark()
			if _, err := p.tokenCall(ctx, clientTLS{}, "Bearer "+good); err != nil {
				return wantOK("Unary with a good token", err)
			}
			_, err = p.tokenCall(ctx, clientTLS{}, "Bearer "+expired)
			if err := wantStatus(err, codes.Unauthenticated, "token expired"); err != nil {
				return err
			}
			if err := p.waitLog(ctx, mark, "token expired"); err != nil {
				return err
			}
			log := p.serverLog.OutputSince(0)
			for name, tok := range map[string]string{"accepted": good, "rejected": expired} {
				sig := tok[strings.LastIndex(tok, ".")+1:]
				if strings.Contains(log, sig) {
					return fmt.Errorf("the server's log contains the %s token's signature", name)
				}
			}
			return nil
		}},
	)
	for i := range cases {
		cases[i].Secure = true
	}
	return cases
}

// mustToken is a good token of the suite's subject with scopes; a
// signing failure becomes a token the server rejects, which fails the case.
func (p *Probe) mustToken(scopes ...string) string {
	tok, err := p.sec.Token(TokenLifetime, scopes...)
	if err != nil {
		return "sign-error-" + err.Error()
	}
	return tok
}

// tlsConn opens a bare connection to the case's server with the client
// TLS settings c (and no token).
func (p *Probe) tlsConn(c clientTLS) (*grpc.ClientConn, error) {
	switch c.rootCA {
	case "other":
		c.rootCA = p.sec.PKI.OtherCA
	}
	switch c.cert {
	case "other":
		c.cert, c.key = p.sec.PKI.OtherClientCert, p.sec.PKI.OtherClientKey
	case "expired":
		c.cert, c.key = p.sec.expiredClientCert, p.sec.expiredClientKey
	}
	creds, err := p.sec.clientTLS(c).Credentials()
	if err != nil {
		return nil, err
	}
	return grpc.NewClient(p.Addr, grpc.WithTransportCredentials(creds))
}

// tokenCall makes one BehaviorService.Unary call on a new connection with
// TLS settings c, sending each of auth as an authorization value.
func (p *Probe) tokenCall(ctx context.Context, c clientTLS, auth ...string) (*testingv1.BehaviorResponse, error) {
	conn, err := p.tlsConn(c)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	for _, a := range auth {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", a)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return testingv1.NewBehaviorServiceClient(conn).Unary(ctx, &testingv1.BehaviorRequest{})
}

// wantStatus checks err's code and that its message contains message.
func wantStatus(err error, code codes.Code, message string) error {
	if err := wantCode(err, code); err != nil {
		return err
	}
	if got := statusOf(err); !strings.Contains(got.Message, message) {
		return fmt.Errorf("%v: message %q does not say %q", code, got.Message, message)
	}
	return nil
}

// logMark is how much the server has logged so far.
func (p *Probe) logMark() int64 { return p.serverLog.Written() }

// waitLog waits up to 3s for the server's log after mark to contain s.
func (p *Probe) waitLog(ctx context.Context, mark int64, s string) error {
	deadline := time.Now().Add(3 * time.Second)
	for {
		log := p.serverLog.OutputSince(mark)
		if strings.Contains(log, s) {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the server's log does not say %q (its end: %s)", s, tail(log, 300))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tail is the end of a log, for messages.
func tail(log string, n int) string {
	log = strings.TrimSpace(log)
	if len(log) > n {
		log = "..." + log[len(log)-n:]
	}
	if log == "" {
		return "(empty)"
	}
	return log
}
