package bufconfig

import (
	"errors"
	"io/fs"

	"gopkg.in/yaml.v3"
)

// readFile reads name from fsys, turning failures into a KindIO Error.
func readFile(fsys fs.FS, name string) ([]byte, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, &Error{File: name, Message: "cannot read: " + describeIOError(err), Kind: KindIO, Err: err}
	}
	return data, nil
}

// describeIOError drops the path an fs.PathError repeats.
func describeIOError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// document parses data and returns its top-level mapping, after checking
// the version key: it must be present and equal to want. format names the
// kind of file ("buf.yaml") in messages. older lists the
// versions buf still reads for this file, which protoctl rejects with the
// advice to migrate. The version is checked before any other key so a v1
// file gets the migration advice rather than an unknown-key error.
func (d decoder) document(data []byte, format, want string, older []string) (*yaml.Node, error) {
	root, err := d.parse(data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, &Error{File: d.file, Kind: KindVersion, Message: `version is not set; add "version: ` + want + `"`}
	}
	if root.Kind != yaml.MappingNode {
		return nil, d.errorf(root, KindType, "expected a mapping at the top level, got %s", describe(root))
	}
	var version *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := deref(root.Content[i]); k.Kind == yaml.ScalarNode && k.Value == "version" {
			version = deref(root.Content[i+1])
			break
		}
	}
	if isNull(version) {
		return nil, d.errorf(root, KindVersion, `version is not set; add "version: %s"`, want)
	}
	if version.Kind != yaml.ScalarNode {
		return nil, d.typeError(version, "version", "a string")
	}
	switch v := version.Value; {
	case v == want:
		return root, nil
	case contains(older, v):
		return nil, d.errorf(version, KindVersion,
			`version %s is not supported: protoctl needs a %s %s; run "buf config migrate" to migrate it`,
			v, want, format)
	default:
		return nil, d.errorf(version, KindVersion, "unknown version %q, expected %q", v, want)
	}
}
