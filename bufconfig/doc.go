// Package bufconfig reads the configuration files protoctl shares with buf
// (buf.yaml v2 and buf.gen.yaml v2) and protoctl's own protoctl.yaml.
//
// The files are read strictly, as buf reads them: an unknown key, a value of
// the wrong type or a rule buf enforces (one plugin kind per entry, module
// paths inside the workspace, include_wkt only with include_imports, ...)
// is an error. Every error is an *Error that names the file, the 1-based
// line and column of the offending node and a lowercase cause, so the CLI
// prints `buf.gen.yaml:12:5: unknown key "stratgy" in plugin (did you mean
// "strategy"?)` and tests compare values.
//
// Decoding walks yaml.Node trees rather than unmarshalling into structs:
// that is what keeps a position for every key and value, lets a plugin or
// a dependency carry its own place in the file for later messages, and
// lets the parser suggest the closest known key.
//
// The model:
//
//   - BufYAML is a workspace: modules (a missing modules list means one
//     module at "."), deps (kept, so the caller can report that protoctl
//     cannot fetch them from the Buf Schema Registry), lint (kept as
//     data; protoctl has no linter), and the breaking configuration, top
//     level and per module, as the Breaking type the breaking checker uses.
//   - BufGenYAML is a generation template: plugins, managed mode (with
//     GoPackage implementing managed mode's go_package rule) and inputs.
//     Remote plugins need the Buf Schema Registry; reading a template that
//     names one fails with an *Error of kind KindRemotePlugin that points at
//     the plugin.
//   - ProtoctlYAML holds protoctl's own settings; an absent file means the
//     defaults.
//
// Files are read from an fs.FS and a path (so a reader of git objects can
// reuse the parser) or parsed from bytes with the name to use in messages.
package bufconfig
