// Package doctor checks the machine and the repository for the version
// skew that breaks users of a generated contract, and names the command
// that fixes each problem.
//
// A Report is a list of Checks, each ok, warn, fail or skip, with a
// detail and, when not ok, a fix. The checks cover both sides of the
// contract:
//
//   - Tools: Go and Python are installed (Go builds the pinned Go plugins,
//     Python hosts the pinned generator environment).
//   - Toolchain: every pin of protoctl.lock has a cached install that
//     verifies against the lock (codegen.Toolchain.Status); a broken entry
//     fails, a missing one only warns (protoctl gen installs it).
//   - Go runtime: the go.mod of the Go module holding the workspace
//     requires google.golang.org/protobuf at least at the pinned
//     protoc-gen-go's version (generated code uses runtime APIs of its own
//     release), and google.golang.org/grpc at least at the version the
//     generated *_grpc.pb.go files say they require.
//   - Python runtime: the packages of the Python environment inspected
//     (the --python interpreter or venv, else the repository's .venv, else
//     the toolchain's environment) satisfy the requirements protoctl
//     computed from the generators and wrote to protoctl.yaml's
//     python.requirements file. A protobuf outside that range makes
//     importing the generated code fail with "Detected incompatible
//     Protobuf Gencode/Runtime versions" (older than the gencode) or
//     "Detected mismatched ... major versions" (another major version).
//
// Nothing is installed or changed: doctor only reads.
package doctor
