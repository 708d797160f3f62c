package bufconfig

import (
	"fmt"
	"path"
	"strings"
)

// Pos is the place of an entry in a configuration file, kept so later
// messages ("plugin not pinned") can point at it.
type Pos struct {
	File string
	// Line and Col are 1-based; 0 for an entry the file does not spell
	// out (the implicit module at ".").
	Line, Col int
}

// String renders file:line:col, or the file alone when the line is unknown.
func (p Pos) String() string { return where(p.File, p.Line, p.Col) }

// cleanPath normalizes a slash-separated path relative to the workspace
// root as buf does ("" and "./" are "."), and says what is wrong with it
// when it is absolute or leaves the workspace.
func cleanPath(p string) (string, error) {
	c := path.Clean(p)
	if path.IsAbs(c) {
		return "", fmt.Errorf("path %q must be relative", p)
	}
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("path %q is outside the workspace", p)
	}
	return c, nil
}

// within reports whether p is dir or lies under it; "." holds everything.
func within(dir, p string) bool {
	return dir == "." || p == dir || strings.HasPrefix(p, dir+"/")
}

// MarshalText renders the position as String does, so JSON output shows
// file:line:col.
func (p Pos) MarshalText() ([]byte, error) { return []byte(p.String()), nil }
