// Package conformance proves that the Go and Python protobuf runtimes read and
// write the same messages the same way, binary and JSON.
//
// The model has five parts:
//
//   - Testees speak the protobuf conformance protocol (schema in
//     testproto/conformance/conformance.proto): a 4-byte little-endian length and
//     a ConformanceRequest on stdin, a length and a ConformanceResponse on
//     stdout, exit on EOF. Serve is the Go testee (conformance/testee is its
//     command); python/src/protoctl_conformance/testee.py is the Python one. Both
//     resolve message types through the generated code, and any other type
//     through a FileDescriptorSet given at start with --descriptor-set (dynamic
//     messages), so the upstream conformance runner can drive them too. With
//     --versions each prints the versions it runs (TesteeVersions).
//   - A Process is one long-lived testee. Process.Do pipelines a batch of
//     requests (a bounded window ahead of the responses, encoded as they are
//     written), enforces a per-case timeout (longer for large requests, see
//     SizeAllowance) and restarts a testee that crashes, hangs or writes
//     garbage: that case fails with the testee's stderr and the batch goes on.
//   - Compare decides whether two replies agree: the result kind must match,
//     binary payloads are parsed in Go and compared as messages (NaN-aware,
//     -0.0 sign-aware) and, where both were written deterministically, byte
//     for byte; JSON payloads are compared as JSON values, never as text.
//   - A Suite is cases as data. The runtime suite is YAML plus cases built in
//     code (nesting 100 and 10,000 deep, messages above 64 MiB); the contract
//     suite is seeded random instances of every message of the workspace. A
//     case with an Origin is a round trip: the origin runtime writes the
//     input, both runtimes read it and write the output, and the other
//     runtime's output goes back to the origin, which must write exactly what
//     it wrote itself. The contract suite runs every instance from both
//     origins: Go -> Python -> Go and Python -> Go -> Python, binary and JSON.
//   - Expectations list the known divergences, keyed by case x runtime x
//     version: each entry names the runtime that diverges, the package
//     version ranges (and optionally the Python backend) where it is known, a
//     reason and a source. Only the entries whose ranges hold for the versions
//     the testees report apply (Expectations.Active); an applied entry whose
//     divergence stops happening fails the run, so the list cannot go stale.
//
// Run.Execute sends the requests in chunks of at most 16 MiB of payload, each
// chunk pipelined to both testees at once, and keeps only the first
// ShownBytes of a large payload once it is judged, so messages above 64 MiB
// are held once per chunk rather than for the whole run.
package conformance
