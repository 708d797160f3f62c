package client

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// Metric names. Labels: grpc_service ("acme.inference.v1.Inference"),
// grpc_method ("Predict"), grpc_type (unary, client_stream, server_stream,
// bidi_stream) and, once a call ended, grpc_code ("OK", "Unavailable", ...).
const (
	MetricDuration = "protoctl_client_rpc_duration_seconds"
	MetricCalls    = "protoctl_client_rpcs_total"
	MetricInFlight = "protoctl_client_rpcs_in_flight"
)

// DurationBuckets are the latency histogram's bucket bounds in seconds:
// 32 bounds from 100µs to about 29s, each 1.5x the last, so
// histogram_quantile places p50, p90 and p99 within one bucket whose bounds
// differ by 1.5x. The histogram is also a Prometheus native histogram
// (factor 1.1) for servers that scrape those.
var DurationBuckets = prometheus.ExponentialBuckets(0.0001, 1.5, 32)

// metrics are the collectors of the interceptors.
type metrics struct {
	duration *prometheus.HistogramVec
	calls    *prometheus.CounterVec
	inFlight *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:                        MetricDuration,
			Help:                        "Time from the start of a call through the pool to its status, retries included.",
			Buckets:                     DurationBuckets,
			NativeHistogramBucketFactor: 1.1,
		}, []string{"grpc_service", "grpc_method", "grpc_type", "grpc_code"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricCalls,
			Help: "Calls through the pool that ended, by status code.",
		}, []string{"grpc_service", "grpc_method", "grpc_type", "grpc_code"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricInFlight,
			Help: "Calls through the pool that started and have not ended.",
		}, []string{"grpc_service", "grpc_method", "grpc_type"}),
	}
	var err error
	m.duration = register(reg, m.duration, &err)
	m.calls = register(reg, m.calls, &err)
	m.inFlight = register(reg, m.inFlight, &err)
	return m, err
}

// register registers c, or returns the equal collector already registered
// (another pool on the same registerer).
func register[C prometheus.Collector](reg prometheus.Registerer, c C, errp *error) C {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if old, ok := are.ExistingCollector.(C); ok {
			return old
		}
	}
	if err != nil && *errp == nil {
		*errp = err
	}
	return c
}

// call is the bookkeeping of one call's metrics.
type call struct {
	m      *metrics
	labels [3]string
	start  time.Time
}

func (m *metrics) begin(method, kind string) call {
	svc, meth := fullMethod(method)
	c := call{m: m, labels: [3]string{svc, meth, kind}, start: time.Now()}
	m.inFlight.WithLabelValues(c.labels[:]...).Inc()
	return c
}

func (c call) end(err error) {
	code := status.Code(statusError(err)).String()
	l := []string{c.labels[0], c.labels[1], c.labels[2], code}
	c.m.duration.WithLabelValues(l...).Observe(time.Since(c.start).Seconds())
	c.m.calls.WithLabelValues(l...).Inc()
	c.m.inFlight.WithLabelValues(c.labels[:]...).Dec()
}

// fullMethod splits "/pkg.Svc/Method".
func fullMethod(m string) (service, method string) {
	m = strings.TrimPrefix(m, "/")
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		return m[:i], m[i+1:]
	}
	return "unknown", m
}

func streamKind(desc *grpc.StreamDesc) string {
	switch {
	case desc.ClientStreams && desc.ServerStreams:
		return "bidi_stream"
	case desc.ClientStreams:
		return "client_stream"
	case desc.ServerStreams:
		return "server_stream"
	}
	return "unary"
}

// unaryInterceptor records metrics (when m is not nil) and sends trace
// context.
func unaryInterceptor(m *metrics) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		ctx = withTrace(ctx)
		if m == nil {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		c := m.begin(method, "unary")
		err := invoker(ctx, method, req, reply, cc, opts...)
		c.end(err)
		return err
	}
}

// streamInterceptor is unaryInterceptor for streams: a stream's metrics are
// recorded when it ends.
func streamInterceptor(m *metrics) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		ctx = withTrace(ctx)
		if m == nil {
			return streamer(ctx, desc, cc, method, opts...)
		}
		c := m.begin(method, streamKind(desc))
		s, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			c.end(err)
			return nil, err
		}
		return track(ctx, s, desc, false, c.end), nil
	}
}
