package grpcconf

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/keepalive"

	testingv1 "github.com/protoctl/protoctl/gen/protoctl/testing/v1"
)

// KeepaliveTime is the client ping interval of the keepalive case: the
// shortest grpc-go allows (it raises anything lower to 10s), so the case
// needs the fewest seconds to collect the pings a strict server punishes.
const KeepaliveTime = 10 * time.Second

// DefaultKeepaliveIdle is how long the keepalive case keeps its
// connection idle: three client pings and a margin. A grpcio server with
// its default enforcement (one ping per 5 minutes, none without calls, 2
// strikes) answers the third with GOAWAY "too_many_pings", measured 30.0s
// after the last call (TestKeepaliveNoticesStrictServer).
const DefaultKeepaliveIdle = 35 * time.Second

// keepaliveCase opens a bare grpc-go connection (its state is observable,
// a pool's is not) with keepalive pings every KeepaliveTime even without
// calls, makes one call, stays idle for idle, and fails if the connection
// ever leaves READY (a GOAWAY sends it to IDLE) or the next call needs a
// new connection.
func keepaliveCase(idle time.Duration) Case {
	return Case{Name: "keepalive/idle_no_goaway", Server: ProfileDefault, Background: true, Timeout: idle + 15*time.Second, Run: func(ctx context.Context, p *Probe) error {
		conn, err := p.DialBare(grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: KeepaliveTime, Timeout: 5 * time.Second, PermitWithoutStream: true}))
		if err != nil {
			return err
		}
		defer conn.Close()
		cc := conn.(*grpc.ClientConn)
		client := testingv1.NewBehaviorServiceClient(cc)
		if _, err := client.Unary(ctx, &testingv1.BehaviorRequest{}); err != nil {
			return wantOK("first Unary", err)
		}
		if s := cc.GetState(); s != connectivity.Ready {
			return fmt.Errorf("connection %v after the first call, want READY", s)
		}
		wctx, cancel := context.WithTimeout(ctx, idle)
		defer cancel()
		if cc.WaitForStateChange(wctx, connectivity.Ready) {
			return fmt.Errorf("the idle connection went %v after %v (GOAWAY too_many_pings?), want READY for %v", cc.GetState(), idle-time.Until(deadlineOf(wctx)), idle)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, err := client.Unary(ctx, &testingv1.BehaviorRequest{}); err != nil {
			return wantOK("Unary after the idle period", err)
		}
		p.Notef("connection stayed READY through %v idle with pings every %v", idle, KeepaliveTime)
		return nil
	}}
}

func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}
