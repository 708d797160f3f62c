package client

import (
	"context"
	"errors"
	"io"

	// The google.rpc detail types (BadRequest, ErrorInfo, RetryInfo, ...)
	// must be linked in for their Any to decode.
	_ "google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// StatusError is the error of a call that ended with a gRPC status other
// than OK. status.FromError and status.Code accept it.
type StatusError struct {
	st      *status.Status
	details []proto.Message
}

// Status returns err as a *StatusError when it is one (or wraps one).
func Status(err error) (*StatusError, bool) {
	var se *StatusError
	ok := errors.As(err, &se)
	return se, ok
}

// Detail returns the first detail of err's status that is a T, such as
// *errdetails.BadRequest.
func Detail[T proto.Message](err error) (T, bool) {
	var zero T
	se, ok := Status(err)
	if !ok {
		return zero, false
	}
	for _, d := range se.details {
		if t, ok := d.(T); ok {
			return t, true
		}
	}
	return zero, false
}

// newStatusError decodes st's details: each google.protobuf.Any whose type
// is linked into the program becomes that message; others stay *anypb.Any.
func newStatusError(st *status.Status) *StatusError {
	e := &StatusError{st: st}
	for _, a := range st.Proto().GetDetails() {
		m, err := anypb.UnmarshalNew(a, proto.UnmarshalOptions{})
		if err != nil {
			m = a
		}
		e.details = append(e.details, m)
	}
	return e
}

// Code is the status code.
func (e *StatusError) Code() codes.Code { return e.st.Code() }

// Message is the status message.
func (e *StatusError) Message() string { return e.st.Message() }

// Details are the status's google.rpc details, decoded.
func (e *StatusError) Details() []proto.Message { return e.details }

// GRPCStatus returns the status, for status.FromError.
func (e *StatusError) GRPCStatus() *status.Status { return e.st }

func (e *StatusError) Error() string {
	return "rpc error: code = " + e.st.Code().String() + " desc = " + e.st.Message()
}

// statusError turns a call's error into a *StatusError, leaving nil and
// io.EOF (the normal end of a stream) as they are.
func statusError(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	if se, ok := err.(*StatusError); ok {
		return se
	}
	st, ok := status.FromError(err)
	if !ok {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			st = status.FromContextError(err)
		}
	}
	if st.Code() == codes.OK {
		// A status error never says OK; an error that does is unknown.
		st = status.New(codes.Unknown, err.Error())
	}
	return newStatusError(st)
}
