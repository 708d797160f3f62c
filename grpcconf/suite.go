package grpcconf

import "time"

// Options tune the suite.
type Options struct {
	// KeepaliveIdle is how long the keepalive case stays idle (default
	// DefaultKeepaliveIdle).
	KeepaliveIdle time.Duration
	// Auth adds the cases of the TLS suite that must fail (bad
	// certificates, bad tokens); the Runner needs Security for them.
	Auth bool
}

// Cases is the suite: every case, in report order.
func Cases(opts Options) []Case {
	idle := opts.KeepaliveIdle
	if idle <= 0 {
		idle = DefaultKeepaliveIdle
	}
	var cases []Case
	cases = append(cases, keepaliveCase(idle))
	cases = append(cases, statusCases()...)
	cases = append(cases, metadataCases()...)
	cases = append(cases, deadlineCases()...)
	cases = append(cases, limitCases()...)
	cases = append(cases, compressionCases()...)
	cases = append(cases, streamCases()...)
	if opts.Auth {
		cases = append(cases, authCases()...)
	}
	return cases
}
