// Package release derives the next version of a contract from its change
// since the last release, writes the changelog and tags it.
//
// The model has three parts:
//
//   - Tags: a release is a git tag named prefix + vMAJOR.MINOR.PATCH
//     (annotated or lightweight; the prefix is empty for a contract at the
//     root of its repository, "proto/" for one in a subdirectory, as Go
//     tags a nested module). Tags that are not such versions (pre-releases,
//     "latest", "v1") are ignored. The previous release is the highest
//     version among the tags reachable from the commit being released, so
//     a maintenance branch continues its own line.
//   - Classification: the contract at the previous tag (read from git
//     objects, package input) is compared with the work tree or a given
//     ref. A change that the buf.yaml breaking configuration reports is
//     breaking (major); a new file, message, field, enum, enum value,
//     service or RPC is additive (minor); any other change of a descriptor
//     or of a comment is a patch; nothing is no release. Before 1.0.0 the
//     levels shift down: breaking is minor, additive is patch.
//   - Changelog and tag: the changes, grouped by package with the breaking
//     ones first and the rule that explains each, rendered as Markdown; Tag
//     writes it as the message of an annotated tag after refusing a dirty
//     work tree, a detached HEAD, stale generated code or an existing tag.
//
// Git is driven through its command line; nothing here writes to the work
// tree.
package release
