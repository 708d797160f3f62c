package doctor

import (
	"fmt"
	"strconv"
	"strings"
)

// version is the numeric release part of a Go or Python version: "v1.36.12",
// "go1.26.0", "5.29.3", "1.85.3rc1" (pre-release suffixes are ignored).
type version []int

func parseVersion(s string) (version, bool) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "go"), "v")
	var v version
	for part := range strings.SplitSeq(s, ".") {
		end := 0
		for end < len(part) && part[end] >= '0' && part[end] <= '9' {
			end++
		}
		if end == 0 {
			break
		}
		n, err := strconv.Atoi(part[:end])
		if err != nil {
			return nil, false
		}
		v = append(v, n)
		if end < len(part) {
			break
		}
	}
	return v, len(v) > 0
}

// compare compares numerically, missing components counting as 0.
func (v version) compare(w version) int {
	for i := range max(len(v), len(w)) {
		a, b := 0, 0
		if i < len(v) {
			a = v[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			if a < b {
				return -1
			}
			return 1
		}
	}
	return 0
}

// requirement is one line of a Python requirements file, such as
// "protobuf>=7.35.1,<8".
type requirement struct {
	name  string
	specs []spec
	line  string
}

type spec struct {
	op string
	v  version
}

// parseRequirements reads the name and version specifiers of each line;
// markers, extras and options are not supported and are skipped.
func parseRequirements(data string) []requirement {
	var out []requirement
	for line := range strings.SplitSeq(data, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "-") || strings.ContainsAny(line, ";[@") {
			continue
		}
		i := strings.IndexAny(line, "<>=!~ ")
		if i < 0 {
			out = append(out, requirement{name: line, line: line})
			continue
		}
		req := requirement{name: strings.TrimSpace(line[:i]), line: line}
		ok := true
		for s := range strings.SplitSeq(line[i:], ",") {
			s = strings.TrimSpace(s)
			op := strings.TrimRight(s[:len(s)-len(strings.TrimLeft(s, "<>=!~"))], " ")
			v, vok := parseVersion(strings.TrimSpace(s[len(op):]))
			if !vok || op == "" {
				ok = false
				break
			}
			req.specs = append(req.specs, spec{op, v})
		}
		if ok {
			out = append(out, req)
		}
	}
	return out
}

// allows reports whether the requirement accepts version v.
func (r requirement) allows(v version) bool {
	for _, s := range r.specs {
		c := v.compare(s.v)
		var ok bool
		switch s.op {
		case ">=":
			ok = c >= 0
		case ">":
			ok = c > 0
		case "<=":
			ok = c <= 0
		case "<":
			ok = c < 0
		case "==", "===":
			ok = c == 0
		case "!=":
			ok = c != 0
		case "~=":
			// ~=X.Y.Z: >=X.Y.Z, ==X.Y.*
			prefix := s.v[:max(len(s.v)-1, 1)]
			ok = c >= 0 && version(v[:min(len(prefix), len(v))]).compare(prefix) == 0
		default:
			ok = false
		}
		if !ok {
			return false
		}
	}
	return true
}

// specifier is the requirement without its name: ">=7.35.1,<8".
func (r requirement) specifier() string {
	return strings.TrimSpace(strings.TrimPrefix(r.line, r.name))
}

func (r requirement) String() string { return fmt.Sprintf("%s%s", r.name, r.specifier()) }
