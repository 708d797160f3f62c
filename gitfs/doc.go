// Package gitfs reads the tree of a git commit as an fs.FS, straight from
// the repository's objects: the work tree, the index and the checked-out
// branch are never touched, so `protoctl breaking --against .git#branch=main`
// compares against main while a feature branch with uncommitted edits is
// checked out.
//
// Open resolves a revision with `git rev-parse --verify` (branches, tags
// with annotated tags peeled to their commit, commit hashes, `HEAD~1`,
// `main^{tree}`), lists the whole tree once with `git ls-tree -r -z`, and
// serves file contents through one long-lived `git cat-file --batch`
// process that is started on the first read. Directory listings and Stat
// need no object reads, so walking a tree of a few thousand files costs one
// ls-tree; reading the .proto files costs one round trip each on an open
// pipe.
//
// The FS holds a child process: Close it when done. An FS that is dropped
// without Close has its process ended when it is garbage collected.
package gitfs
