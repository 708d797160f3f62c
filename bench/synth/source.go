package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// source is a .proto file as lines, with the blocks and elements found in
// them. It understands the layout the synthesizer writes (one element per
// line, leading // comments on lines of their own), which is all that
// -mutate and -change-one edit; it is not a general .proto parser.
type source struct {
	lines  []string
	blocks []*block
	elems  []*element
}

// block is a message, enum, oneof or service body.
type block struct {
	kind, name  string
	indent      string
	open, close int // line indexes of "kind name {" and "}"
	parent      *block
}

// element is a field, enum value, method or reserved statement.
type element struct {
	kind   string // "field", "value", "rpc", "reserved"
	first  int    // first line of the leading comment, or line
	line   int
	block  *block // innermost enclosing block
	indent string
	label  string // "repeated ", "optional " or ""
	typ    string
	name   string
	number int
	opts   string // text inside [ ], if any
	nums   []int  // reserved numbers
}

var (
	blockRe    = regexp.MustCompile(`^(\s*)(message|enum|oneof|service) (\w+) \{$`)
	fieldRe    = regexp.MustCompile(`^(\s*)(repeated |optional )?(map<[^>]+>|[\w.]+) (\w+) = (\d+)(?: \[(.*)\])?;$`)
	valueRe    = regexp.MustCompile(`^(\s*)([A-Z][A-Z0-9_]*) = (-?\d+)(?: \[(.*)\])?;$`)
	rpcRe      = regexp.MustCompile(`^(\s*)rpc (\w+)\(`)
	reservedRe = regexp.MustCompile(`^(\s*)reserved ([\d, to]+);$`)
	closeRe    = regexp.MustCompile(`^\s*\}$`)
)

func parseSource(path string, text []byte) (*source, error) {
	s := &source{lines: strings.Split(string(text), "\n")}
	var stack []*block
	for i, l := range s.lines {
		var cur *block
		if len(stack) > 0 {
			cur = stack[len(stack)-1]
		}
		if m := blockRe.FindStringSubmatch(l); m != nil {
			b := &block{kind: m[2], name: m[3], indent: m[1], open: i, parent: cur}
			s.blocks = append(s.blocks, b)
			stack = append(stack, b)
			continue
		}
		if closeRe.MatchString(l) {
			if cur == nil {
				return nil, fmt.Errorf("%s:%d: unbalanced }", path, i+1)
			}
			cur.close = i
			stack = stack[:len(stack)-1]
			continue
		}
		if cur == nil {
			continue
		}
		e := &element{line: i, first: i, block: cur}
		var m []string
		switch cur.kind {
		case "enum":
			if m = valueRe.FindStringSubmatch(l); m != nil {
				e.kind, e.indent, e.name, e.opts = "value", m[1], m[2], m[4]
				e.number, _ = strconv.Atoi(m[3])
			}
		case "service":
			if m = rpcRe.FindStringSubmatch(l); m != nil {
				e.kind, e.indent, e.name = "rpc", m[1], m[2]
			}
		default:
			if m = reservedRe.FindStringSubmatch(l); m != nil {
				e.kind, e.indent = "reserved", m[1]
				e.nums = reservedNumbers(m[2])
			} else if m = fieldRe.FindStringSubmatch(l); m != nil {
				e.kind, e.indent, e.label, e.typ, e.name, e.opts = "field", m[1], m[2], m[3], m[4], m[6]
				e.number, _ = strconv.Atoi(m[5])
			}
		}
		if e.kind == "" {
			continue
		}
		for e.first > 0 && strings.HasPrefix(strings.TrimSpace(s.lines[e.first-1]), "//") {
			e.first--
		}
		s.elems = append(s.elems, e)
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("%s: %s %s is not closed", path, stack[len(stack)-1].kind, stack[len(stack)-1].name)
	}
	return s, nil
}

func reservedNumbers(list string) []int {
	var out []int
	for _, part := range strings.Split(list, ",") {
		lo, hi, ok := strings.Cut(strings.TrimSpace(part), " to ")
		a, _ := strconv.Atoi(lo)
		b := a
		if ok {
			b, _ = strconv.Atoi(hi)
		}
		for x := a; x <= b && x-a < 1000; x++ {
			out = append(out, x)
		}
	}
	return out
}

func (s *source) text() []byte { return []byte(strings.Join(s.lines, "\n")) }

// owner is the message a field belongs to (a oneof's fields belong to the
// oneof's message).
func (e *element) owner() *block {
	if e.block.kind == "oneof" {
		return e.block.parent
	}
	return e.block
}

// fieldLine renders a field element in the synthesizer's layout.
func (e *element) fieldLine() string {
	opts := ""
	if e.opts != "" {
		opts = " [" + e.opts + "]"
	}
	return fmt.Sprintf("%s%s%s %s = %d%s;", e.indent, e.label, e.typ, e.name, e.number, opts)
}

// fields lists the fields of message m, oneof members included.
func (s *source) fields(m *block) []*element {
	var out []*element
	for _, e := range s.elems {
		if e.kind == "field" && e.owner() == m {
			out = append(out, e)
		}
	}
	return out
}

// maxNumber is the largest field or reserved number of message m.
func (s *source) maxNumber(m *block) int {
	n := 0
	for _, e := range s.elems {
		switch {
		case e.kind == "field" && e.owner() == m:
			n = max(n, e.number)
		case e.kind == "reserved" && e.block == m:
			for _, x := range e.nums {
				n = max(n, x)
			}
		}
	}
	return n
}

// names lists the field and oneof names of message m, and the JSON names
// of its fields.
func (s *source) names(m *block) map[string]bool {
	taken := map[string]bool{}
	for _, e := range s.fields(m) {
		taken[e.name] = true
		taken["json:"+jsonName(e)] = true
	}
	for _, b := range s.blocks {
		if b.kind == "oneof" && b.parent == m {
			taken[b.name] = true
		}
	}
	return taken
}

func jsonName(e *element) string {
	for _, o := range strings.Split(e.opts, ", ") {
		if v, ok := strings.CutPrefix(o, "json_name = "); ok {
			return strings.Trim(v, `"`)
		}
	}
	return lowerCamel(e.name)
}

// splice replaces lines [from, to) with repl.
func (s *source) splice(from, to int, repl ...string) {
	s.lines = append(s.lines[:from:from], append(repl, s.lines[to:]...)...)
}
