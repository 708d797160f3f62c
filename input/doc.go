// Package input turns what a user types as a command's input into a
// compiled image, with buf's input syntax, so that `protoctl breaking
// --against X` accepts the X that `buf breaking --against X` accepts:
//
//	.                                   a directory (the default)
//	proto                               a module directory of the workspace above it
//	image.binpb                         an image file: `buf build -o`, or
//	                                    `protoc --descriptor_set_out --include_imports`
//	.git#branch=main                    a branch of the repository in this directory
//	.git#tag=v1.0.0                     a tag (annotated tags are peeled)
//	.git#ref=HEAD~1                     anything `git rev-parse` resolves
//	.git#ref=abc123,subdir=proto        a directory of that tree as the input root
//	path/to/repo/.git#branch=main       another repository on disk
//	anything#format=dir|git|binpb       the kind stated instead of guessed
//
// A directory is a buf workspace: Load finds the buf.yaml in the directory
// or the nearest directory above it, and compiles every module it lists (a
// directory without one is a single module). When the input is one module
// of a larger workspace, the other modules are compiled for their imports
// and only the input module's files are targets of a check. A git input is
// read from the repository's objects (package gitfs), never from the work
// tree.
//
// Paths are reported as buf reports them: relative to the input as the user
// wrote it (`proto/acme/x.proto` for input `.` of a workspace with module
// `proto`; `acme/x.proto` for input `proto`'s files when run from inside
// proto), and for git inputs relative to the repository root.
//
// Every error names the input, and the side when there are two:
// `against input ".git#branch=main": proto/a.proto:3:1:syntax error`.
package input
