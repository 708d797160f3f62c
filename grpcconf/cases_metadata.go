package grpcconf

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
)

// binaryValue has the bytes a -bin value must carry intact: NUL, high
// bytes, and what base64 pads.
var binaryValue = string([]byte{0x00, 0x01, 0x02, 0xfe, 0xff, '\n', '='})

// metadataCases checks metadata both ways: ASCII and -bin values,
// repeated keys in order, keys folded to lowercase, trailers on errors,
// and an illegal trailer set by the Python handler.
func metadataCases() []Case {
	return []Case{
		{Name: "metadata/client_to_server", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			// grpc-go's metadata functions fold keys to lowercase (HTTP/2
			// forbids uppercase header names; a raw MD with an uppercase
			// key fails locally with INTERNAL); the Python handler must
			// see the folded key.
			ctx = metadata.AppendToOutgoingContext(ctx,
				"x-ascii", "hello world ~!",
				"x-multi", "first", "x-multi", "second", "x-multi", "third",
				"X-Mixed-Case", "v",
				"x-data-bin", binaryValue, "x-data-bin", "\x00")
			resp, err := p.Behavior().Unary(ctx, &testingv1.BehaviorRequest{EchoMetadata: true})
			if err != nil {
				return wantOK("Unary", err)
			}
			got := map[string][]string{}
			for _, e := range resp.GetReceivedMetadata() {
				k := e.GetKey()
				if !strings.HasPrefix(strings.ToLower(k), "x-") {
					continue
				}
				v := e.GetValue()
				if strings.HasSuffix(k, "-bin") {
					v = string(e.GetBinaryValue())
				}
				got[k] = append(got[k], v)
			}
			want := map[string][]string{
				"x-ascii":      {"hello world ~!"},
				"x-multi":      {"first", "second", "third"},
				"x-mixed-case": {"v"},
				"x-data-bin":   {binaryValue, "\x00"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				return fmt.Errorf("metadata the python handler saw (-want +got):\n%s", diff)
			}
			return nil
		}},
		{Name: "metadata/server_to_client", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			var header, trailer metadata.MD
			_, err := p.Behavior().Unary(ctx, &testingv1.BehaviorRequest{
				InitialMetadata:  entries("x-init", "one", "x-init", "two", "x-init-bin", binaryValue),
				TrailingMetadata: entries("x-trail", "t ~ value", "x-trail-bin", binaryValue, "x-trail", "again"),
			}, grpc.Header(&header), grpc.Trailer(&trailer))
			if err != nil {
				return wantOK("Unary", err)
			}
			return compareMD(header, trailer,
				metadata.MD{"x-init": {"one", "two"}, "x-init-bin": {binaryValue}},
				metadata.MD{"x-trail": {"t ~ value", "again"}, "x-trail-bin": {binaryValue}})
		}},
		{Name: "metadata/trailers_with_error", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			var header, trailer metadata.MD
			_, err := p.Behavior().Unary(ctx, &testingv1.BehaviorRequest{
				Status:           &testingv1.StatusSpec{Code: int32(codes.PermissionDenied), Message: "no"},
				InitialMetadata:  entries("x-init", "before the error"),
				TrailingMetadata: entries("x-trail", "with the error", "x-trail-bin", binaryValue),
			}, grpc.Header(&header), grpc.Trailer(&trailer))
			if err := wantCode(err, codes.PermissionDenied); err != nil {
				return err
			}
			// A failing call with no message is trailers-only: the initial
			// metadata arrives merged into the trailers.
			got := metadata.Join(header, trailer)
			want := metadata.MD{"x-init": {"before the error"}, "x-trail": {"with the error"}, "x-trail-bin": {binaryValue}}
			return compareMD(nil, got, nil, want)
		}},
		{Name: "metadata/server_stream_header", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			stream, err := p.Behavior().ServerStream(ctx, &testingv1.BehaviorRequest{
				ResponseCount:    3,
				InitialMetadata:  entries("x-init", "stream"),
				TrailingMetadata: entries("x-trail", "end"),
			})
			if err != nil {
				return wantOK("ServerStream", err)
			}
			header, err := stream.Header()
			if err != nil {
				return wantOK("Header", err)
			}
			if _, err := drain(stream); err != nil {
				return err
			}
			return compareMD(header, stream.Trailer(), metadata.MD{"x-init": {"stream"}}, metadata.MD{"x-trail": {"end"}})
		}},
		{Name: "metadata/illegal_trailer_ends_early", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			// grpcio drops an illegal trailing value with a log line and
			// the call would hang until the client's deadline; the server
			// must end it promptly, with a status the report records.
			const deadline = 5 * time.Second
			cctx, cancel := context.WithTimeout(ctx, deadline)
			defer cancel()
			start := time.Now()
			_, err := p.Behavior().Unary(cctx, &testingv1.BehaviorRequest{IllegalTrailer: true})
			elapsed := time.Since(start)
			st := statusOf(err)
			p.Notef("an illegal trailer set by the python handler ends the call after %v with %v", elapsed.Round(100*time.Microsecond), st)
			if err := within("the call", elapsed, deadline/2); err != nil {
				return fmt.Errorf("%w (it ended with %v): it hangs until the deadline", err, st)
			}
			if st.Code == codes.DeadlineExceeded {
				return fmt.Errorf("the call ended with %v before the deadline, want the server's own status", st)
			}
			return nil
		}},
		{Name: "metadata/client_non_ascii_rejected", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error {
			// The Go client refuses to send a value that is not legal in
			// an ASCII header, before anything reaches the wire.
			ctx = metadata.AppendToOutgoingContext(ctx, "x-unicode", "é")
			_, err := p.Behavior().Unary(ctx, &testingv1.BehaviorRequest{})
			if err := wantCode(err, codes.Internal); err != nil {
				return err
			}
			p.Notef("a non-ASCII value under a non -bin key fails locally: %v", statusOf(err))
			return nil
		}},
	}
}

// entries builds metadata entries from key, value pairs; -bin keys get
// binary values.
func entries(kv ...string) []*testingv1.MetadataEntry {
	var out []*testingv1.MetadataEntry
	for i := 0; i+1 < len(kv); i += 2 {
		e := &testingv1.MetadataEntry{Key: kv[i]}
		if strings.HasSuffix(kv[i], "-bin") {
			e.BinaryValue = []byte(kv[i+1])
		} else {
			e.Value = kv[i+1]
		}
		out = append(out, e)
	}
	return out
}

// compareMD compares the x- keys of the received header and trailer.
func compareMD(header, trailer, wantHeader, wantTrailer metadata.MD) error {
	if diff := cmp.Diff(wantHeader, onlyX(header)); wantHeader != nil && diff != "" {
		return fmt.Errorf("initial metadata (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantTrailer, onlyX(trailer)); diff != "" {
		return fmt.Errorf("trailing metadata (-want +got):\n%s", diff)
	}
	return nil
}

func onlyX(md metadata.MD) metadata.MD {
	out := metadata.MD{}
	for k, v := range md {
		if strings.HasPrefix(k, "x-") {
			out[k] = v
		}
	}
	return out
}
