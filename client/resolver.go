package client

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"google.golang.org/grpc/resolver"
)

// StaticScheme is the target scheme of a fixed backend list:
// "static:///10.0.0.1:50051,10.0.0.2:50051". Each pool has its own
// resolver for it, so (*Pool).SetBackends changes that pool's list only.
const StaticScheme = "static"

// backends is a pool's resolver.Builder for StaticScheme: it holds the
// current address list and pushes every change to the resolvers it built,
// one per ClientConn.
type backends struct {
	mu    sync.Mutex
	addrs []string
	live  map[*staticResolver]bool
}

func newBackends(addrs []string) *backends {
	return &backends{addrs: addrs, live: map[*staticResolver]bool{}}
}

// parseStatic reads the endpoint of a static target: a comma-separated list
// of host:port.
func parseStatic(endpoint string) ([]string, error) {
	var addrs []string
	for _, a := range strings.Split(endpoint, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if err := checkAddr(a); err != nil {
			return nil, err
		}
		addrs = append(addrs, a)
	}
	if len(addrs) == 0 {
		return nil, errors.New("static target: no addresses; want static:///host:port,host:port")
	}
	return addrs, nil
}

func checkAddr(a string) error {
	if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
		return fmt.Errorf("static target: address %q: want host:port", a)
	}
	return nil
}

func (b *backends) Scheme() string { return StaticScheme }

func (b *backends) Build(_ resolver.Target, cc resolver.ClientConn, _ resolver.BuildOptions) (resolver.Resolver, error) {
	r := &staticResolver{b: b, cc: cc}
	b.mu.Lock()
	b.live[r] = true
	addrs := b.addrs
	b.mu.Unlock()
	// An error here means the balancer rejected the list (it was empty);
	// grpc-go then asks ResolveNow, which has nothing new to say.
	_ = cc.UpdateState(stateOf(addrs))
	return r, nil
}

// set replaces the list and pushes it to every live resolver.
func (b *backends) set(addrs []string) {
	b.mu.Lock()
	b.addrs = addrs
	rs := make([]*staticResolver, 0, len(b.live))
	for r := range b.live {
		rs = append(rs, r)
	}
	b.mu.Unlock()
	for _, r := range rs {
		_ = r.cc.UpdateState(stateOf(addrs))
	}
}

func stateOf(addrs []string) resolver.State {
	var st resolver.State
	for _, a := range addrs {
		ra := resolver.Address{Addr: a}
		st.Addresses = append(st.Addresses, ra)
		st.Endpoints = append(st.Endpoints, resolver.Endpoint{Addresses: []resolver.Address{ra}})
	}
	return st
}

// staticResolver feeds one ClientConn.
type staticResolver struct {
	b  *backends
	cc resolver.ClientConn
}

func (r *staticResolver) ResolveNow(resolver.ResolveNowOptions) {}

func (r *staticResolver) Close() {
	r.b.mu.Lock()
	delete(r.b.live, r)
	r.b.mu.Unlock()
}
