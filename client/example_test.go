package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/protoctl/protoctl/client"
	inferencev1 "github.com/protoctl/protoctl/gen/acme/inference/v1"
)

// inference is a small deterministic Inference server: the result is
// "positive" when the values sum above zero.
type inference struct {
	inferencev1.UnimplementedInferenceServer
}

func (inference) Predict(ctx context.Context, req *inferencev1.PredictRequest) (*inferencev1.PredictResponse, error) {
	if req.GetModel() == "" {
		st, _ := status.New(codes.InvalidArgument, "model is required").WithDetails(&errdetails.BadRequest{
			FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "model", Description: "must not be empty"}},
		})
		return nil, st.Err()
	}
	var sum float32
	for _, v := range req.GetValues() {
		sum += v
	}
	result := "negative"
	if sum > 0 {
		result = "positive"
	}
	if md, ok := metadata.FromIncomingContext(ctx); ok && req.GetParameters()["echo_trace"] == "1" && len(md.Get("traceparent")) > 0 {
		result += " (trace " + md.Get("traceparent")[0][3:35] + ")"
	}
	return &inferencev1.PredictResponse{Result: result, RequestId: req.GetRequestId(), ModelVersion: "v1"}, nil
}

func (inference) PredictStream(req *inferencev1.PredictStreamRequest, s grpc.ServerStreamingServer[inferencev1.PredictStreamResponse]) error {
	for i, word := range []string{"it ", "is ", "positive"} {
		err := s.Send(&inferencev1.PredictStreamResponse{Index: uint32(i), Chunk: &inferencev1.PredictStreamResponse_Partial{
			Partial: &inferencev1.PartialResult{TextDelta: word, Progress: float32(i+1) / 3},
		}})
		if err != nil {
			return err
		}
	}
	return s.Send(&inferencev1.PredictStreamResponse{Index: 3, Chunk: &inferencev1.PredictStreamResponse_Complete{
		Complete: &inferencev1.PredictResponse{Result: "positive", RequestId: req.GetRequest().GetRequestId()},
	}})
}

// startInference serves inference on 127.0.0.1:0 and returns its address
// and a function that stops it.
func startInference() (string, func()) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	s := grpc.NewServer()
	inferencev1.RegisterInferenceServer(s, inference{})
	go func() { _ = s.Serve(lis) }()
	return lis.Addr().String(), s.Stop
}

// A pool is a grpc.ClientConnInterface: generated stubs take it as they
// take a *grpc.ClientConn.
func Example() {
	addr, stop := startInference()
	defer stop()

	pool, err := client.New("dns:///"+addr,
		client.WithPlaintext(),
		client.WithSize(4),
		client.WithIdempotent(inferencev1.Inference_Predict_FullMethodName))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	inf := inferencev1.NewInferenceClient(pool)
	resp, err := inf.Predict(context.Background(), &inferencev1.PredictRequest{
		Model: "sentiment", RequestId: "r-1", Values: []float32{0.5, 0.25},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.GetRequestId(), resp.GetResult())
	// Output: r-1 positive
}

// Errors are *client.StatusError with the google.rpc details decoded.
func ExampleStatusError() {
	addr, stop := startInference()
	defer stop()
	pool, err := client.New("dns:///"+addr, client.WithPlaintext())
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	_, err = inferencev1.NewInferenceClient(pool).Predict(context.Background(), &inferencev1.PredictRequest{})
	var se *client.StatusError
	if errors.As(err, &se) {
		fmt.Println(se.Code(), se.Message())
	}
	if br, ok := client.Detail[*errdetails.BadRequest](err); ok {
		for _, v := range br.GetFieldViolations() {
			fmt.Printf("%s: %s\n", v.GetField(), v.GetDescription())
		}
	}
	// status.FromError still reads it.
	fmt.Println(status.Code(err))
	// Output:
	// InvalidArgument model is required
	// model: must not be empty
	// InvalidArgument
}

// A stream keeps its connection's slot until it has been read to the end.
func ExamplePool_NewStream() {
	addr, stop := startInference()
	defer stop()
	pool, err := client.New("dns:///"+addr, client.WithPlaintext())
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	stream, err := inferencev1.NewInferenceClient(pool).PredictStream(context.Background(),
		&inferencev1.PredictStreamRequest{Request: &inferencev1.PredictRequest{Model: "sentiment", RequestId: "r-2"}})
	if err != nil {
		log.Fatal(err)
	}
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		if p := msg.GetPartial(); p != nil {
			fmt.Printf("%d %q %.2f\n", msg.GetIndex(), p.GetTextDelta(), p.GetProgress())
		} else {
			fmt.Println(msg.GetIndex(), "complete:", msg.GetComplete().GetResult())
		}
	}
	fmt.Println("in flight:", pool.InFlight())
	// Output:
	// 0 "it " 0.33
	// 1 "is " 0.67
	// 2 "positive" 1.00
	// 3 complete: positive
	// in flight: [0 0 0 0 0 0 0 0]
}

// A call carries the caller's W3C trace context, or starts a trace.
func ExampleWithTraceParent() {
	addr, stop := startInference()
	defer stop()
	pool, err := client.New("dns:///"+addr, client.WithPlaintext())
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	ctx, err := client.WithTraceParent(context.Background(),
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "vendor=value")
	if err != nil {
		log.Fatal(err)
	}
	resp, err := inferencev1.NewInferenceClient(pool).Predict(ctx, &inferencev1.PredictRequest{
		Model: "m", Values: []float32{1}, Parameters: map[string]string{"echo_trace": "1"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.GetResult())
	// Output: positive (trace 4bf92f3577b34da6a3ce929d0e0e4736)
}

// A static target lists its backends; SetBackends changes them while calls
// run.
func ExamplePool_SetBackends() {
	a, stopA := startInference()
	defer stopA()
	b, stopB := startInference()
	defer stopB()

	pool, err := client.New("static:///"+a, client.WithPlaintext())
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	if err := pool.SetBackends(a, b); err != nil {
		log.Fatal(err)
	}
	resp, err := inferencev1.NewInferenceClient(pool).Predict(context.Background(), &inferencev1.PredictRequest{Model: "m", Values: []float32{-1}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.GetResult())
	// Output: negative
}
