package bufconfig

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Kind classifies an Error, so a caller can react to some causes (a remote
// plugin, a v1 file) with advice of its own.
type Kind int

const (
	// KindInvalid is a value that breaks one of the file's rules.
	KindInvalid Kind = iota
	// KindSyntax is malformed YAML.
	KindSyntax
	// KindUnknownKey is a key the file format does not have.
	KindUnknownKey
	// KindType is a value of the wrong type (a string where a list goes).
	KindType
	// KindVersion is a missing, unknown or unsupported version.
	KindVersion
	// KindRemotePlugin is a buf.gen.yaml plugin that would be fetched from
	// the Buf Schema Registry.
	KindRemotePlugin
	// KindIO is a file that could not be read; Err holds the cause.
	KindIO
)

var kindNames = [...]string{"invalid", "syntax", "unknown key", "type", "version", "remote plugin", "io"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is a problem in one configuration file, at one place when known.
type Error struct {
	// File is the name the file was read or parsed under.
	File string
	// Line and Col are 1-based; 0 when unknown.
	Line, Col int
	// Message is lowercase and names the cause.
	Message string
	Kind    Kind
	// Err is the underlying error for KindIO, nil otherwise.
	Err error
}

// Error renders file:line:col: message, dropping the unknown parts.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	return b.String()
}

// Unwrap returns the cause of a KindIO error.
func (e *Error) Unwrap() error { return e.Err }

// Where is file:line:col of a position in a file, for messages.
func where(file string, line, col int) string {
	if line == 0 {
		return file
	}
	return fmt.Sprintf("%s:%d:%d", file, line, col)
}

// errAt builds an Error at a node (nil for the start of the file).
func errAt(file string, n *yaml.Node, kind Kind, format string, args ...any) *Error {
	e := &Error{File: file, Kind: kind, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	return e
}

// suggest returns the known key closest to key when it is close enough to be
// a typo, "" otherwise.
func suggest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		d := editDistance(key, k)
		if d < bestDist && d*2 < len(k) {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
