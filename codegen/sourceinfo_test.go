package codegen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// commented is a file with comments everywhere protoc records them:
// leading, trailing and detached, on services, methods, messages, fields,
// enums and values.
const commented = `syntax = "proto3";

// Detached from the package.

// The package comment.
package acme.c.v1;

// Request is what Echo takes.
message Request {
  // text is echoed.
  string text = 1; // trailing on text
  // Kind says how.
  enum Kind {
    // unset.
    KIND_UNSPECIFIED = 0;
  }
}

// Detached before the service.

// Echoer echoes.
// Second line of the service comment.
service Echoer { // trailing on the service
  // Echo answers with the request.
  rpc Echo(Request) returns (Request); // trailing on Echo

  // Detached inside the service.

  // Stream answers many times.
  rpc Stream(Request) returns (stream Request);
}
`

// TestServiceSourceInfoSameOutput generates with protoc's python, pyi and
// grpc_python builtins from the trimmed source info (services and methods
// only) and from the full one: the outputs must be the same bytes, and
// the service's comment must be in them (so comments were read at all).
func TestServiceSourceInfoSameOutput(t *testing.T) {
	t.Parallel()
	tc := newToolchain(t, repoLock(t))
	cfg := Config{Plugins: []Plugin{
		{Builtin: "python", Out: "py"},
		{Builtin: "pyi", Out: "py"},
		{Builtin: "grpc_python", Out: "py"},
	}}
	outputs := map[bool]map[string]string{}
	for _, full := range []bool{false, true} {
		root := copyWorkspace(t)
		dir := filepath.Join(root, "proto", "acme", "c", "v1")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "c.proto"), []byte(commented), 0o644); err != nil {
			t.Fatal(err)
		}
		mustGenerate(t, cfg, tc, root, Options{NoCache: true, FullSourceInfo: full})
		snap := map[string]string{}
		for p, st := range snapshot(t, filepath.Join(root, "py")) {
			snap[p] = st.Content
		}
		outputs[full] = snap
	}
	if len(outputs[true]) < 3 {
		t.Fatalf("only %d outputs: %v", len(outputs[true]), outputs[true])
	}
	if diff := cmp.Diff(outputs[true], outputs[false]); diff != "" {
		t.Errorf("outputs from full source info (-) and from services only (+):\n%s", diff)
	}
	grpcOut := outputs[false][filepath.Join("acme", "c", "v1", "c_pb2_grpc.py")]
	for _, want := range []string{"Echoer echoes.", "Echo answers with the request.", "Stream answers many times."} {
		if !strings.Contains(grpcOut, want) {
			t.Errorf("c_pb2_grpc.py lacks the comment %q:\n%s", want, grpcOut)
		}
	}
}
