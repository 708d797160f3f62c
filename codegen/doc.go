// Package codegen generates code from an Image with pinned generators.
//
// The model has four parts:
//
//   - Lock: protoctl.lock pins every generator by exact version with
//     integrity data: Go plugins by module version and the go.sum hash the
//     Go checksum database vouches for; the Python generators (protoc's
//     python and pyi builtins and grpc_python, all from one grpcio-tools
//     release that bundles protoc) by version and the sha256 of every
//     distribution file of each pinned package.
//   - Toolchain: installs exactly the pins into a per-user cache and
//     verifies them on every use. A cached binary that does not match what
//     was installed for the lock is refused; nothing is ever taken from PATH.
//   - Plan and run: each plugin of buf.gen.yaml becomes a set of requests
//     (one per shard of directories, or one for strategy all) built from
//     the one compiled Image. Requests are keyed by their content; a key seen
//     before is answered from a content-addressed cache, the others run in
//     parallel, largest first.
//   - Output: every response is validated (no absolute paths, nothing
//     escaping out, no file written twice) and the whole result is written
//     only when every plugin succeeded: unchanged files are left alone
//     (mtimes preserved), changed ones are replaced by rename, stale files
//     of clean outputs are removed. Check mode computes the same result and
//     reports the difference instead of writing it.
package codegen
