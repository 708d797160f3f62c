package client

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
)

// idlePool is a pool of n connections that never connect (they stay IDLE).
func idlePool(t *testing.T, n int) *Pool {
	t.Helper()
	p := &Pool{}
	for range n {
		cc, err := grpc.NewClient("passthrough:///127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cc.Close() })
		p.conns = append(p.conns, &conn{cc: cc})
	}
	return p
}

func (p *Pool) index(c *conn) int {
	for i, x := range p.conns {
		if x == c {
			return i
		}
	}
	return -1
}

func TestPickLeastLoaded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		load  []int64
		picks int
		want  []int // indexes picked, in order, holding each pick's slot
	}{
		{name: "one", load: []int64{5}, picks: 2, want: []int{0, 0}},
		{name: "least", load: []int64{3, 1, 2}, picks: 1, want: []int{1}},
		{name: "fills the lowest first", load: []int64{2, 0, 1}, picks: 3, want: []int{1, 1, 2}},
		{name: "equal loads spread", load: []int64{0, 0, 0, 0}, picks: 4, want: []int{0, 1, 2, 3}},
		{name: "last", load: []int64{9, 9, 9, 0}, picks: 1, want: []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := idlePool(t, len(tt.load))
			for i, l := range tt.load {
				p.conns[i].inFlight.Store(l)
			}
			var got []int
			for range tt.picks {
				c := p.pick()
				c.inFlight.Add(1)
				got = append(got, p.index(c))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("picks (-want +got):\n%s", diff)
			}
		})
	}
}

// Ties go to the first connection: with no load, consecutive picks (each
// released at once) all take connection 0, so sequential calls stay on one
// warm connection.
func TestPickKeepsTiesOnTheFirst(t *testing.T) {
	t.Parallel()
	p := idlePool(t, 3)
	count := make([]int, 3)
	for range 30 {
		count[p.index(p.pick())]++
	}
	if diff := cmp.Diff([]int{30, 0, 0}, count); diff != "" {
		t.Errorf("picks per connection (-want +got):\n%s", diff)
	}
}

// A failing connection gets no calls while another one works, even when
// the working one is busier.
func TestPickAvoidsFailingConn(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := lis.Addr().String()
	lis.Close() // nothing listens there now
	p := idlePool(t, 2)
	cc, err := grpc.NewClient("passthrough:///"+dead, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	cc.Connect()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for s := cc.GetState(); s != connectivity.TransientFailure; s = cc.GetState() {
		if !cc.WaitForStateChange(ctx, s) {
			t.Fatalf("connection to %s never failed; state %s", dead, s)
		}
	}
	p.conns[0].cc = cc
	p.conns[1].inFlight.Store(50)
	for range 5 {
		if got := p.index(p.pick()); got != 1 {
			t.Fatalf("picked connection %d (failing), want 1", got)
		}
	}
}
