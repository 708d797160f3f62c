// Package conformance proves that the Go and Python protobuf runtimes read and
// write the same messages the same way, binary and JSON.
//
// The model has four parts:
//
//   - Testees speak the protobuf conformance protocol (schema in
//     testproto/conformance/conformance.proto): a 4-byte little-endian length and
//     a ConformanceRequest on stdin, a length and a ConformanceResponse on
//     stdout, exit on EOF. Serve is the Go testee (conformance/testee is its
//     command); python/src/protoctl_conformance/testee.py is the Python one. Both
//     resolve message types through the generated code, and any other type
//     through a FileDescriptorSet given at start (dynamic messages), so the
//     upstream conformance runner can drive them too.
//   - A Process is one long-lived testee. Process.Do pipelines a batch of
//     requests (a bounded window ahead of the responses), enforces a per-case
//     timeout and restarts a testee that crashes, hangs or writes garbage: that
//     case fails with the testee's stderr and the batch goes on.
//   - Compare decides whether the two runtimes agree on a case: the result kind
//     must match, binary payloads are parsed in Go and compared as messages
//     (NaN-aware, -0.0 sign-aware), JSON payloads are compared as JSON values.
//   - A Suite is cases as data, an Expectations file lists the known
//     divergences (case x runtime, each with a reason and a source). An expected
//     divergence that stops happening fails the run, so the list cannot go stale.
package conformance
