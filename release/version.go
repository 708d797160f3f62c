package release

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a release version, MAJOR.MINOR.PATCH.
type Version struct {
	Major, Minor, Patch int
}

// ParseVersion reads "vMAJOR.MINOR.PATCH" (the v is required). Numbers
// with leading zeros, pre-release and build suffixes are not release
// versions.
func ParseVersion(s string) (Version, error) {
	rest, ok := strings.CutPrefix(s, "v")
	if !ok {
		return Version{}, fmt.Errorf("version %q does not start with v", s)
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 {
		return Version{}, fmt.Errorf("version %q is not vMAJOR.MINOR.PATCH", s)
	}
	var n [3]int
	for i, p := range parts {
		if p == "" || (len(p) > 1 && p[0] == '0') || strings.TrimLeft(p, "0123456789") != "" {
			return Version{}, fmt.Errorf("version %q is not vMAJOR.MINOR.PATCH", s)
		}
		v, err := strconv.Atoi(p)
		if err != nil {
			return Version{}, fmt.Errorf("version %q: %w", s, err)
		}
		n[i] = v
	}
	return Version{n[0], n[1], n[2]}, nil
}

func (v Version) String() string {
	return fmt.Sprintf("v%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// Compare returns -1, 0 or 1 as v is lower than, equal to or higher than w.
func (v Version) Compare(w Version) int {
	for _, d := range [3]int{v.Major - w.Major, v.Minor - w.Minor, v.Patch - w.Patch} {
		if d < 0 {
			return -1
		}
		if d > 0 {
			return 1
		}
	}
	return 0
}

// Bump is how a version moves.
type Bump string

// The bumps. Initial is the first release, which has no previous version.
const (
	BumpMajor   Bump = "major"
	BumpMinor   Bump = "minor"
	BumpPatch   Bump = "patch"
	BumpNone    Bump = "none"
	BumpInitial Bump = "initial"
)

// Next returns the version after v for a bump; None returns v.
func (v Version) Next(b Bump) Version {
	switch b {
	case BumpMajor:
		return Version{v.Major + 1, 0, 0}
	case BumpMinor:
		return Version{v.Major, v.Minor + 1, 0}
	case BumpPatch:
		return Version{v.Major, v.Minor, v.Patch + 1}
	}
	return v
}

// Level is how much a change matters to the users of the contract.
type Level int

// The levels, in increasing order.
const (
	LevelNone     Level = iota // nothing changed
	LevelPatch                 // a descriptor or a comment changed, compatibly
	LevelAdditive              // something was added
	LevelBreaking              // the breaking configuration reports a change
)

func (l Level) String() string {
	return [...]string{"no change", "compatible changes", "additive changes", "breaking changes"}[l]
}

// BumpFor maps a level to the bump from v: before 1.0.0 breaking changes
// bump the minor version and additive ones the patch version.
func BumpFor(v Version, l Level) Bump {
	unstable := v.Major == 0
	switch {
	case l == LevelBreaking && !unstable:
		return BumpMajor
	case l == LevelBreaking, l == LevelAdditive && !unstable:
		return BumpMinor
	case l == LevelAdditive, l == LevelPatch:
		return BumpPatch
	}
	return BumpNone
}
