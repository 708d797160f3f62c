package conformance

import (
	"fmt"
	"strconv"
	"strings"
)

// Fault makes the Go testee misbehave on purpose, so that tests can prove the
// driver catches each kind of breakage. The zero Fault is a correct testee.
type Fault struct {
	// Mode is what goes wrong: one of FaultModes.
	Mode string
	// At is the 1-based number of the request, counted per process, on which
	// the process-level modes (hang, crash, garbage) fire; 0 means every
	// request. The payload modes (drop-unknown, flip-byte, reorder-map,
	// accept-invalid) apply to every request.
	At int
}

// FaultEnv is the environment variable the testee command reads its Fault
// from, in the form "mode" or "mode@n".
const FaultEnv = "PROTOCTL_TESTEE_FAULT"

// FaultModes lists the deliberate breakages the Go testee knows.
var FaultModes = []string{"drop-unknown", "flip-byte", "reorder-map", "accept-invalid", "hang", "crash", "garbage"}

// ParseFault parses "mode" or "mode@n"; the empty string is no fault.
func ParseFault(s string) (Fault, error) {
	if s == "" {
		return Fault{}, nil
	}
	mode, at, found := strings.Cut(s, "@")
	f := Fault{Mode: mode}
	if found {
		n, err := strconv.Atoi(at)
		if err != nil || n < 1 {
			return Fault{}, fmt.Errorf("%s %q: request number %q is not a positive integer", FaultEnv, s, at)
		}
		f.At = n
	}
	for _, m := range FaultModes {
		if m == mode {
			return f, nil
		}
	}
	return Fault{}, fmt.Errorf("%s %q: unknown mode %q (known: %s)", FaultEnv, s, mode, strings.Join(FaultModes, ", "))
}

func (f Fault) fires(mode string, n int) bool {
	return f.Mode == mode && (f.At == 0 || f.At == n)
}
