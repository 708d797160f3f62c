package client

import (
	"context"
	"io"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// trackedStream calls end exactly once when its stream is over: RecvMsg
// returned an error (io.EOF included), RecvMsg returned the single response
// of a stream whose server does not stream, SendMsg failed on the client's
// side, or the stream's context ended. end gets the error that ended the
// stream, nil for a normal end.
type trackedStream struct {
	grpc.ClientStream
	serverStreams bool
	end           func(error)
	stop          func() bool
	done          atomic.Bool
	wrapErrors    bool
}

// track wraps s; ctx must be the stream's context.
func track(ctx context.Context, s grpc.ClientStream, desc *grpc.StreamDesc, wrapErrors bool, end func(error)) *trackedStream {
	t := &trackedStream{ClientStream: s, serverStreams: desc.ServerStreams, end: end, wrapErrors: wrapErrors}
	t.stop = context.AfterFunc(ctx, func() {
		if t.done.CompareAndSwap(false, true) {
			t.end(ctx.Err())
		}
	})
	return t
}

// finish ends the stream from a method; the AfterFunc ends it from the
// context; done makes sure only the first does.
func (t *trackedStream) finish(err error) {
	if t.done.CompareAndSwap(false, true) {
		t.stop()
		if err == io.EOF {
			err = nil
		}
		t.end(err)
	}
}

func (t *trackedStream) RecvMsg(m any) error {
	err := t.ClientStream.RecvMsg(m)
	if err != nil {
		t.finish(err)
	} else if !t.serverStreams {
		t.finish(nil)
	}
	return t.wrap(err)
}

func (t *trackedStream) SendMsg(m any) error {
	err := t.ClientStream.SendMsg(m)
	if err != nil && err != io.EOF {
		// The client aborted the stream; io.EOF instead means the server
		// ended it and RecvMsg has the status.
		t.finish(err)
	}
	return t.wrap(err)
}

func (t *trackedStream) Header() (metadata.MD, error) {
	md, err := t.ClientStream.Header()
	return md, t.wrap(err)
}

func (t *trackedStream) CloseSend() error {
	return t.wrap(t.ClientStream.CloseSend())
}

func (t *trackedStream) wrap(err error) error {
	if t.wrapErrors {
		return statusError(err)
	}
	return err
}
