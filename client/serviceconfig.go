package client

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// serviceConfig is the part of gRPC's service config
// (grpc/grpc doc/service_config.md) that a pool sets on every connection.
type serviceConfig struct {
	LoadBalancingConfig []map[string]struct{} `json:"loadBalancingConfig"`
	MethodConfig        []methodConfig        `json:"methodConfig,omitempty"`
}

type methodConfig struct {
	Name        []methodName `json:"name"`
	RetryPolicy *retryPolicy `json:"retryPolicy,omitempty"`
}

type methodName struct {
	Service string `json:"service"`
	Method  string `json:"method,omitempty"`
}

type retryPolicy struct {
	MaxAttempts          int      `json:"maxAttempts"`
	InitialBackoff       string   `json:"initialBackoff"`
	MaxBackoff           string   `json:"maxBackoff"`
	BackoffMultiplier    float64  `json:"backoffMultiplier"`
	RetryableStatusCodes []string `json:"retryableStatusCodes"`
}

// ServiceConfig returns the service config JSON that a pool with opts gives
// its connections: round_robin, and the retry policy for the idempotent
// methods.
func ServiceConfig(opts ...Option) (string, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(cfg)
	}
	if cfg.err != nil {
		return "", cfg.err
	}
	return cfg.serviceConfig()
}

func (c *config) serviceConfig() (string, error) {
	sc := serviceConfig{LoadBalancingConfig: []map[string]struct{}{{"round_robin": {}}}}
	if len(c.idempotent) > 0 {
		rp, err := c.retry.json()
		if err != nil {
			return "", err
		}
		mc := methodConfig{RetryPolicy: rp}
		seen := map[methodName]bool{}
		for _, m := range c.idempotent {
			svc, meth, err := splitMethod(m)
			if err != nil {
				return "", err
			}
			n := methodName{Service: svc, Method: meth}
			if !seen[n] {
				seen[n] = true
				mc.Name = append(mc.Name, n)
			}
		}
		sc.MethodConfig = []methodConfig{mc}
	}
	b, err := json.Marshal(sc)
	return string(b), err
}

func (p RetryPolicy) json() (*retryPolicy, error) {
	switch {
	case p.MaxAttempts < 2:
		return nil, fmt.Errorf("retry policy: max attempts %d: want at least 2", p.MaxAttempts)
	case p.InitialBackoff <= 0 || p.MaxBackoff <= 0:
		return nil, fmt.Errorf("retry policy: backoffs %s and %s: want both above 0", p.InitialBackoff, p.MaxBackoff)
	case p.Multiplier <= 0:
		return nil, fmt.Errorf("retry policy: multiplier %g: want above 0", p.Multiplier)
	case len(p.Codes) == 0:
		return nil, fmt.Errorf("retry policy: no status codes to retry")
	}
	rp := &retryPolicy{
		MaxAttempts:       p.MaxAttempts,
		InitialBackoff:    seconds(p.InitialBackoff),
		MaxBackoff:        seconds(p.MaxBackoff),
		BackoffMultiplier: p.Multiplier,
	}
	for _, c := range p.Codes {
		// The service config names codes in upper snake case.
		name := strings.ToUpper(snake(c.String()))
		rp.RetryableStatusCodes = append(rp.RetryableStatusCodes, name)
	}
	return rp, nil
}

// seconds writes d as a protobuf JSON Duration ("0.050s").
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

// snake turns "DeadlineExceeded" into "Deadline_Exceeded".
func snake(s string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range s {
		upper := r >= 'A' && r <= 'Z'
		if upper && prevLower {
			b.WriteByte('_')
		}
		prevLower = !upper
		b.WriteRune(r)
	}
	return b.String()
}
