package client

import "time"

// WithClock replaces time.Now for the token cache, for tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}
