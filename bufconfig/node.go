package bufconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// decoder turns yaml.Nodes of one file into values, reporting the first
// problem as an *Error at the node that has it.
type decoder struct {
	file string
}

func (d decoder) errorf(n *yaml.Node, kind Kind, format string, args ...any) error {
	return errAt(d.file, n, kind, format, args...)
}

func (d decoder) typeError(n *yaml.Node, name, want string) error {
	return d.errorf(n, KindType, "%s: expected %s, got %s", name, want, describe(n))
}

// parse returns the root node of the first YAML document in data, or nil
// when the file holds no document (empty, comments only, or null).
func (d decoder) parse(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, d.syntaxError(data, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	root := deref(doc.Content[0])
	if isNull(root) {
		return nil, nil
	}
	if err := d.checkTags(root, 0); err != nil {
		return nil, err
	}
	return root, nil
}

// checkTags rejects local tags (!foo), which nothing resolves; buf rejects
// them too.
func (d decoder) checkTags(n *yaml.Node, depth int) error {
	if depth > 100 {
		return d.errorf(n, KindSyntax, "yaml: nesting is too deep")
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return d.errorf(n, KindSyntax, "yaml: local tag %q is not supported", n.Tag)
	}
	for _, c := range n.Content {
		if err := d.checkTags(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 parse error into an Error with a position.
// yaml.v3 reports a line for most errors and never a column; the position
// is recovered by parsing growing prefixes of the file until the same error
// appears, which is cheap for configuration files.
func (d decoder) syntaxError(data []byte, err error) error {
	msg := err.Error()
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = "yaml: " + m[2]
	}
	line, col := locateSyntaxError(data, msg, line)
	return &Error{File: d.file, Line: line, Col: col, Message: msg, Kind: KindSyntax}
}

// locateSyntaxError finds the line (when yaml.v3 did not give one) and the
// column of a syntax error: the shortest prefix of the file that fails with
// the same message ends at the offending character. Column is 0 when no
// prefix reproduces the message.
func locateSyntaxError(data []byte, msg string, line int) (int, int) {
	// The search parses up to one prefix per line and one per character
	// of the failing line; configuration files are small, others are not
	// searched.
	const maxSize, maxLines, maxLineLen = 64 << 10, 2000, 1000
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(data) > maxSize || len(lines) > maxLines {
		return line, 0
	}
	fails := func(prefix []byte) bool {
		var n yaml.Node
		err := yaml.Unmarshal(prefix, &n)
		if err == nil {
			return false
		}
		got := err.Error()
		if m := yamlLineRE.FindStringSubmatch(got); m != nil {
			got = "yaml: " + m[2]
		}
		return got == msg
	}
	if line == 0 {
		for i := range lines {
			if fails(bytes.Join(lines[:i+1], nil)) {
				line = i + 1
				break
			}
		}
		if line == 0 {
			return 0, 0
		}
	}
	if line > len(lines) {
		return line, 0
	}
	start := len(bytes.Join(lines[:line-1], nil)) // offset of the line
	text := lines[line-1]
	if len(text) > maxLineLen {
		return line, 0
	}
	for i := 0; i <= len(text); {
		if fails(data[:start+i]) {
			return line, max(utf8.RuneCount(text[:i]), 1)
		}
		if i == len(text) {
			break
		}
		_, size := utf8.DecodeRune(text[i:])
		i += size
	}
	return line, 0
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names a node's type for messages: "a string", "a list".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "a string"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "null"
		case "!!timestamp":
			return "a timestamp"
		case "!!binary":
			return "binary data"
		}
		return "a scalar"
	}
	return "nothing"
}

// fields are the entries of one mapping, by key.
type fields struct {
	node   *yaml.Node
	keys   map[string]*yaml.Node
	values map[string]*yaml.Node
}

// get returns the value of key, nil when absent.
func (f fields) get(key string) *yaml.Node { return f.values[key] }

// has reports whether key is present with a non-null value.
func (f fields) has(key string) bool { return !isNull(f.values[key]) }

// key returns the key node of key, for errors about the entry as a whole.
func (f fields) key(key string) *yaml.Node { return f.keys[key] }

// mapping reads n as a mapping whose keys must be among known. name is the
// key path used in type errors; where describes the mapping in unknown-key
// errors ("in plugin"). A null value is an empty mapping.
func (d decoder) mapping(n *yaml.Node, name, where string, known []string) (fields, error) {
	f := fields{node: n, keys: map[string]*yaml.Node{}, values: map[string]*yaml.Node{}}
	if isNull(n) {
		return f, nil
	}
	if n.Kind != yaml.MappingNode {
		return f, d.typeError(n, name, "a mapping")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return f, d.errorf(k, KindType, "%s: expected a string key, got %s", name, describe(k))
		}
		if _, dup := f.keys[k.Value]; dup {
			return f, d.errorf(k, KindInvalid, "duplicate key %q %s", k.Value, where)
		}
		if !contains(known, k.Value) {
			if s := suggest(k.Value, known); s != "" {
				return f, d.errorf(k, KindUnknownKey, "unknown key %q %s (did you mean %q?)", k.Value, where, s)
			}
			return f, d.errorf(k, KindUnknownKey, "unknown key %q %s", k.Value, where)
		}
		f.keys[k.Value] = k
		f.values[k.Value] = v
	}
	return f, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// str reads a string. Like yaml.v3 decoding into a string field, any
// non-null scalar is accepted as written (`name: 123` is "123").
func (d decoder) str(n *yaml.Node, name string) (string, error) {
	if isNull(n) {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", d.typeError(n, name, "a string")
	}
	if n.ShortTag() == "!!binary" {
		var s string
		if err := n.Decode(&s); err != nil {
			return "", d.typeError(n, name, "a string")
		}
		return s, nil
	}
	return n.Value, nil
}

// boolean reads a boolean as yaml.v3 does (true, false, and the YAML 1.1
// spellings yes, no, on, off).
func (d decoder) boolean(n *yaml.Node, name string) (bool, error) {
	if isNull(n) {
		return false, nil
	}
	var b bool
	if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		return false, d.typeError(n, name, "a boolean")
	}
	return b, nil
}

// integer reads an integer.
func (d decoder) integer(n *yaml.Node, name string) (int64, error) {
	if isNull(n) {
		return 0, nil
	}
	var v int64
	if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil {
		return 0, d.typeError(n, name, "an integer")
	}
	return v, nil
}

// list reads a sequence, calling each for every element with its index.
func (d decoder) list(n *yaml.Node, name string, each func(i int, elem *yaml.Node) error) error {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return d.typeError(n, name, "a list")
	}
	for i, e := range n.Content {
		if err := each(i, deref(e)); err != nil {
			return err
		}
	}
	return nil
}

// strList reads a list of strings.
func (d decoder) strList(n *yaml.Node, name string) ([]string, error) {
	var out []string
	err := d.list(n, name, func(i int, e *yaml.Node) error {
		s, err := d.str(e, fmt.Sprintf("%s[%d]", name, i))
		if err != nil {
			return err
		}
		if isNull(e) {
			return d.typeError(e, fmt.Sprintf("%s[%d]", name, i), "a string")
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// strOrList reads a value that buf accepts as one string or a list of
// strings (local, protoc_path, opt). Elements must be YAML strings.
func (d decoder) strOrList(n *yaml.Node, name string) ([]string, error) {
	const want = "a string or a list of strings"
	if isNull(n) {
		return nil, nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() != "!!str" {
			return nil, d.typeError(n, name, want)
		}
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		var out []string
		for i, e := range n.Content {
			e = deref(e)
			if e.Kind != yaml.ScalarNode || e.ShortTag() != "!!str" {
				return nil, d.typeError(e, fmt.Sprintf("%s[%d]", name, i), "a string")
			}
			out = append(out, e.Value)
		}
		return out, nil
	}
	return nil, d.typeError(n, name, want)
}

// strListMap reads a mapping from strings to lists of strings
// (ignore_only).
func (d decoder) strListMap(n *yaml.Node, name string) (map[string][]string, []*yaml.Node, error) {
	if isNull(n) {
		return nil, nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, nil, d.typeError(n, name, "a mapping")
	}
	out := map[string][]string{}
	var keys []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return nil, nil, d.errorf(k, KindType, "%s: expected a string key, got %s", name, describe(k))
		}
		if _, dup := out[k.Value]; dup {
			return nil, nil, d.errorf(k, KindInvalid, "%s: duplicate key %q", name, k.Value)
		}
		list, err := d.strList(v, name+"."+k.Value)
		if err != nil {
			return nil, nil, err
		}
		out[k.Value] = list
		keys = append(keys, k)
	}
	return out, keys, nil
}
