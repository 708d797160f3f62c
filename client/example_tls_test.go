package client_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/protoctl/protoctl/client"
	inferencev1 "github.com/protoctl/protoctl/gen/acme/inference/v1"
	"github.com/protoctl/protoctl/internal/pki"
)

// startSecureInference serves inference on 127.0.0.1:0 over mutual TLS
// with the certificates of set. Calls need "authorization: Bearer <token>"
// with a token the signer made; the server says which client certificate
// and which token it saw in the result's model version.
func startSecureInference(set *pki.Set) (string, func()) {
	cert, err := tls.LoadX509KeyPair(set.ServerCert, set.ServerKey)
	if err != nil {
		log.Fatal(err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    set.Authority.Pool(),
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}
	auth := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		if len(md.Get("authorization")) != 1 {
			return nil, status.Error(codes.Unauthenticated, "missing token")
		}
		resp, err := h(ctx, req)
		if r, ok := resp.(*inferencev1.PredictResponse); ok {
			p, _ := peer.FromContext(ctx)
			cn := p.AuthInfo.(credentials.TLSInfo).State.PeerCertificates[0].Subject.CommonName
			r.ModelVersion = "client " + cn + ", bearer token"
		}
		return resp, err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	s := grpc.NewServer(grpc.Creds(credentials.NewTLS(cfg)), grpc.UnaryInterceptor(auth))
	inferencev1.RegisterInferenceServer(s, inference{})
	go func() { _ = s.Serve(lis) }()
	return lis.Addr().String(), s.Stop
}

// Mutual TLS and a JWT per call: the pool verifies the server against the
// root CA, presents its client certificate (re-read when the files
// change), and sends the token of the file, re-read when it changes.
// internal/pki makes the files here; in production they come from your
// PKI and identity provider (a Kubernetes Secret and a projected token).
func ExampleWithTLS() {
	dir, err := os.MkdirTemp("", "example-tls-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	set, err := pki.Write(dir)
	if err != nil {
		log.Fatal(err)
	}
	jwt, err := set.Signer.Sign(set.Signer.Claims("gateway", time.Hour), pki.ES256, "")
	if err != nil {
		log.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(jwt), 0o600); err != nil {
		log.Fatal(err)
	}
	addr, stop := startSecureInference(set)
	defer stop()

	pool, err := client.New("dns:///"+addr,
		client.WithTLS(client.TLS{
			RootCAFile: set.CA,
			CertFile:   set.ClientCert,
			KeyFile:    set.ClientKey,
		}),
		client.WithTokenSource(client.FileTokenSource(tokenFile)))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	resp, err := inferencev1.NewInferenceClient(pool).Predict(context.Background(),
		&inferencev1.PredictRequest{Model: "sentiment", RequestId: "r-1", Values: []float32{1}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.GetResult(), "for", resp.GetModelVersion())
	// Output: positive for client protoctl-test-client, bearer token
}

// A token source of your own, such as an OAuth client-credentials flow:
// the pool calls it for the first call and again a minute before each
// token expires (DefaultRefreshBefore), one request at a time.
func ExampleTokenSourceFunc() {
	fetches := 0
	src := client.TokenSourceFunc(func(ctx context.Context) (client.Token, error) {
		fetches++ // the pool never calls it concurrently
		// A real source would ask the identity provider here.
		return client.Token{Value: "token-from-idp", Expiry: time.Now().Add(time.Hour)}, nil
	})
	dir, err := os.MkdirTemp("", "example-token-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	set, err := pki.Write(dir)
	if err != nil {
		log.Fatal(err)
	}
	addr, stop := startSecureInference(set)
	defer stop()

	pool, err := client.New("dns:///"+addr,
		client.WithTLS(client.TLS{RootCAFile: set.CA, CertFile: set.ClientCert, KeyFile: set.ClientKey}),
		client.WithTokenSource(src))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	inf := inferencev1.NewInferenceClient(pool)
	for range 3 {
		if _, err := inf.Predict(context.Background(), &inferencev1.PredictRequest{Model: "m", Values: []float32{1}}); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("calls: 3, token requests:", fetches)
	// Output: calls: 3, token requests: 1
}
