// Package compile turns a buf workspace into an Image: every .proto file of
// the workspace's modules, parsed and linked once by protocompile, with
// source info, in dependency order.
//
// Everything in protoctl that reads protos goes through this package: code
// generation builds plugin requests from an Image, the breaking checker
// compares two Images, conformance loads the descriptors the runtimes should
// agree on. There is no second parser.
//
// A Workspace is a file system (a directory, or a git tree read from
// objects) plus the module roots that buf.yaml lists. Each module root is an
// import root; files import each other by their path relative to the root
// that holds them, and the well-known types are always available.
//
// Compile reports every error it finds, not only the first, as a diag.Set
// whose findings carry the workspace-relative path and the 1-based line and
// column of the problem.
package compile
