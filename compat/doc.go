// Package compat decides whether a change to a set of .proto files breaks
// the code, the wire or the JSON of their users, with the same rules,
// categories, messages and locations as `buf breaking`.
//
// The model: Check takes two compiled images, the previous one (what users
// have) and the current one (what is proposed). Both are indexed once by
// full name (files by path, messages, enums, services and extensions by
// fully-qualified name, packages by name), so that every element of the
// previous image is matched to the element of the current image with the
// same identity in constant time. Each rule is one entry of one table
// (Rules): an ID, its categories, a purpose and one small function that
// walks the matched pairs it cares about and reports an annotation for
// every breaking difference. An annotation names the place in the current
// file where the change shows (or the previous file when the element is
// gone) and carries buf's exact message text.
//
// Config selects rules the way buf.yaml's breaking section does: `use`
// lists rule IDs or categories (FILE when empty), `except` removes some,
// `ignore` and `ignore_only` drop findings under workspace-relative paths,
// and `ignore_unstable_packages` drops findings in alpha, beta and test
// packages. Deprecated rule IDs from buf's v1 configs are accepted and
// replaced by their successors, with a Warning.
//
// Explain turns a finding into the consequences for the people who use
// the contract (which encodings and which generated Go or Python code
// break). Summarize lists what was added, removed and changed between two
// images and rates the change as breaking, additive or none, which is what
// release versioning needs.
package compat
