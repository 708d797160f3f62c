package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
)

// VersionsFlag makes either testee print its versions as a JSON object
// (package -> version) and exit.
const VersionsFlag = "--versions"

// GoVersions are the versions linked into this binary: the Go toolchain
// ("go") and every module it was built with that matters to the wire
// format (the protobuf runtime, gRPC), by module path. It is what the Go
// testee reports.
func GoVersions() map[string]string {
	out := map[string]string{"go": runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Replace != nil {
				d = d.Replace
			}
			switch d.Path {
			case GoProtobufModule, "google.golang.org/grpc":
				out[d.Path] = d.Version
			}
		}
	}
	if out[GoProtobufModule] == "" {
		out[GoProtobufModule] = "unknown"
	}
	return out
}

// TesteeVersions runs the testee command with VersionsFlag and returns
// what it reports.
func TesteeVersions(ctx context.Context, c Command) (map[string]string, error) {
	out, err := c.once(ctx, VersionsFlag)
	if err != nil {
		return nil, fmt.Errorf("ask the %s testee for its versions: %v", c.Name, err)
	}
	var v map[string]string
	if err := json.Unmarshal(out, &v); err != nil {
		return nil, fmt.Errorf("the %s testee's versions are not a JSON object of strings: %v", c.Name, err)
	}
	return v, nil
}
