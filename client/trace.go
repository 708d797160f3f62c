package client

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"

	"google.golang.org/grpc/metadata"
)

// W3C trace context (https://www.w3.org/TR/trace-context/) metadata keys.
const (
	TraceParentKey = "traceparent"
	TraceStateKey  = "tracestate"
)

type traceKey struct{}

type traceContext struct{ parent, state string }

// WithTraceParent returns a context whose calls through a pool send
// traceparent and, when not empty, tracestate. traceparent must be a version
// 00 header: "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>". Without
// one, each call starts a new trace. Metadata the caller set itself with
// metadata.AppendToOutgoingContext takes precedence.
func WithTraceParent(ctx context.Context, traceparent, tracestate string) (context.Context, error) {
	if err := checkTraceParent(traceparent); err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, traceKey{}, traceContext{traceparent, tracestate}), nil
}

// TraceParent returns what WithTraceParent put in ctx.
func TraceParent(ctx context.Context) (traceparent, tracestate string, ok bool) {
	tc, ok := ctx.Value(traceKey{}).(traceContext)
	return tc.parent, tc.state, ok
}

// NewTraceParent starts a trace: a version 00 traceparent with a random
// trace id and parent id, flagged sampled.
func NewTraceParent() string {
	var b [24]byte
	for {
		for i := 0; i < 24; i += 8 {
			u := rand.Uint64()
			for j := range 8 {
				b[i+j] = byte(u >> (8 * j))
			}
		}
		// All-zero ids are invalid; with 64 random bits each this loop
		// practically never repeats.
		if !allZero(b[:16]) && !allZero(b[16:]) {
			break
		}
	}
	var s [55]byte
	copy(s[:], "00-")
	hex.Encode(s[3:35], b[:16])
	s[35] = '-'
	hex.Encode(s[36:52], b[16:])
	copy(s[52:], "-01")
	return string(s[:])
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func checkTraceParent(tp string) error {
	parts := strings.Split(tp, "-")
	if len(parts) != 4 || parts[0] != "00" || !lowerHex(parts[1], 32) || !lowerHex(parts[2], 16) || !lowerHex(parts[3], 2) ||
		parts[1] == strings.Repeat("0", 32) || parts[2] == strings.Repeat("0", 16) {
		return fmt.Errorf("traceparent %q: want 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>, ids not all zero", tp)
	}
	return nil
}

func lowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// withTrace adds trace context to the outgoing metadata of ctx unless the
// caller put a traceparent there already.
func withTrace(ctx context.Context) context.Context {
	if len(metadata.ValueFromOutgoingContext(ctx, TraceParentKey)) > 0 {
		return ctx
	}
	tc, ok := ctx.Value(traceKey{}).(traceContext)
	if !ok {
		return metadata.AppendToOutgoingContext(ctx, TraceParentKey, NewTraceParent())
	}
	if tc.state == "" {
		return metadata.AppendToOutgoingContext(ctx, TraceParentKey, tc.parent)
	}
	return metadata.AppendToOutgoingContext(ctx, TraceParentKey, tc.parent, TraceStateKey, tc.state)
}
