// Command democlient calls the Python reference server through the pooled
// Go client: a unary Predict, a server-streamed prediction, a user lookup,
// and a lookup that fails, to show a Python exception arriving as a typed
// Go error with its rich details.
//
//	make serve                                   # in one terminal
//	go run ./cmd/democlient -target dns:///127.0.0.1:50051 -plaintext
//
// Against a server with mTLS and JWT auth (docs/security.md):
//
//	go run ./cmd/democlient -target dns:///inference:50051 -ca ca.crt \
//	    -cert tls.crt -key tls.key -token-file token.jwt
//
// It exits 1 when a call that should succeed fails.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/protoctl/protoctl/client"
	inferencev1 "github.com/protoctl/protoctl/gen/acme/inference/v1"
	userv1 "github.com/protoctl/protoctl/gen/acme/user/v1"
)

func main() {
	target := flag.String("target", "dns:///127.0.0.1:50051", "the server: dns:///host:port or static:///a:1,b:2")
	size := flag.Int("conns", 4, "connections in the pool")
	plaintext := flag.Bool("plaintext", false, "connect without TLS (loopback servers such as make serve)")
	var t client.TLS
	flag.StringVar(&t.RootCAFile, "ca", "", "PEM file of the CA that signs the server's certificate (TLS)")
	flag.StringVar(&t.ServerName, "server-name", "", "name to verify in the server's certificate (default: the target's host)")
	flag.StringVar(&t.CertFile, "cert", "", "client certificate for mTLS")
	flag.StringVar(&t.KeyFile, "key", "", "client certificate's key for mTLS")
	tokenFile := flag.String("token-file", "", "file with a JWT to send with every call (re-read when it changes)")
	flag.Parse()
	opts := []client.Option{client.WithTLS(t)}
	if *plaintext {
		opts = []client.Option{client.WithPlaintext()}
	}
	if *tokenFile != "" {
		opts = append(opts, client.WithTokenSource(client.FileTokenSource(*tokenFile)))
	}
	if err := run(*target, *size, opts); err != nil {
		fmt.Fprintln(os.Stderr, "democlient:", err)
		os.Exit(1)
	}
}

func run(target string, size int, transport []client.Option) error {
	pool, err := client.New(target, append(transport, client.WithSize(size), client.WithRegisterer(nil))...)
	if err != nil {
		return err
	}
	defer pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	inference := inferencev1.NewInferenceClient(pool)
	resp, err := inference.Predict(ctx, &inferencev1.PredictRequest{Model: "sentiment", RequestId: "r-1", Values: []float32{0.5, 1.5, -0.25}})
	if err != nil {
		return fmt.Errorf("Predict: %w", err)
	}
	fmt.Printf("Predict: result=%q model_version=%q\n", resp.GetResult(), resp.GetModelVersion())

	stream, err := inference.PredictStream(ctx, &inferencev1.PredictStreamRequest{Request: &inferencev1.PredictRequest{Model: "mean", Values: []float32{1, 2, 3}}})
	if err != nil {
		return fmt.Errorf("PredictStream: %w", err)
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("PredictStream: %w", err)
		}
		fmt.Printf("PredictStream: #%d %v\n", msg.GetIndex(), msg.GetChunk())
	}

	users := userv1.NewUserServiceClient(pool)
	user, err := users.GetUser(ctx, &userv1.GetUserRequest{Id: "u-1"})
	if err != nil {
		return fmt.Errorf("GetUser: %w", err)
	}
	fmt.Printf("GetUser: %v\n", user.GetUser())

	_, err = users.GetUser(ctx, &userv1.GetUserRequest{Id: "u-99"})
	var se *client.StatusError
	if !errors.As(err, &se) {
		return fmt.Errorf("GetUser of an unknown id: want a status error, got %v", err)
	}
	fmt.Printf("GetUser (unknown id): code=%s message=%q\n", se.Code(), se.Message())
	for _, d := range se.Details() {
		fmt.Printf("  detail %T: %v\n", d, d)
	}
	return nil
}
