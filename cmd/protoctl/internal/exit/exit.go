// Package exit carries a command's exit code through an error, so that a
// command's RunE returns one value and main decides the process status in
// one place.
//
// The table is the same for every command: 0 when the command succeeded,
// 100 when it printed findings (breaking changes, drift, conformance
// failures), as buf does, and 1 for any other failure.
package exit

import (
	"errors"
	"strconv"
)

// Codes shared by every command.
const (
	OK       = 0
	Failure  = 1
	Findings = 100
)

// Error asks for a specific exit code. Err, when set, is what went wrong;
// a nil Err means the command already printed everything the user needs
// (its findings) and main should print nothing more.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		switch e.Code {
		case Findings:
			return "findings were printed"
		default:
			return "exit status " + strconv.Itoa(e.Code)
		}
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Code maps an error returned by a command to the process exit code: nil
// is 0, an *Error (anywhere in the chain) is its Code, anything else is 1.
func Code(err error) int {
	if err == nil {
		return OK
	}
	if e := (*Error)(nil); errors.As(err, &e) {
		return e.Code
	}
	return Failure
}
