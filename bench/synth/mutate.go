package main

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
)

// mutation is one kind of change -mutate makes. apply returns a description
// of the change, or false when the file offers no place for it.
type mutation struct {
	name  string
	apply func(m *mutator, s *source) (string, bool)
}

// mutator holds what every mutation needs: the random source and a count of
// every identifier in the workspace, which tells which messages nothing
// refers to and which names are free.
type mutator struct {
	r      *rand.Rand
	tokens map[string]int
}

var mutations = []mutation{
	{"delete-field", deleteField},
	{"rename-field", renameField},
	{"change-field-type", changeFieldType},
	{"change-field-number", changeFieldNumber},
	{"add-field", addField},
	{"add-message", addMessage},
	{"add-enum-value", addEnumValue},
	{"remove-message", removeMessage},
	{"remove-rpc", removeRPC},
	{"change-json-name", changeJSONName},
	{"move-field-into-oneof", moveIntoOneof},
}

var identRe = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

// mutate applies n changes to the .proto files of ws, cycling through the
// kinds of change in an order drawn from seed, each in a file drawn from
// seed. It returns one line per change.
func mutate(ws workspace, n int, seed uint64) ([]string, error) {
	m := &mutator{r: rand.New(rand.NewPCG(seed, 0x5bd1e9955bd1e995)), tokens: map[string]int{}}
	var paths []string
	for _, p := range ws.paths() {
		if strings.HasSuffix(p, ".proto") {
			paths = append(paths, p)
			for _, t := range identRe.FindAllString(string(ws[p]), -1) {
				m.tokens[t]++
			}
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no .proto files to mutate")
	}
	parsed := map[string]*source{}
	order := m.r.Perm(len(mutations))
	var log []string
	for i := range n {
		mu := mutations[order[i%len(order)]]
		applied := false
		for range 200 {
			p := pick(m.r, paths)
			s := parsed[p]
			if s == nil {
				var err error
				if s, err = parseSource(p, ws[p]); err != nil {
					return nil, err
				}
			}
			desc, ok := mu.apply(m, s)
			if !ok {
				parsed[p] = s
				continue
			}
			ws[p] = s.text()
			reparsed, err := parseSource(p, ws[p])
			if err != nil {
				return nil, fmt.Errorf("%s after %s: %w", p, mu.name, err)
			}
			parsed[p] = reparsed
			log = append(log, fmt.Sprintf("%s: %s %s", p, mu.name, desc))
			applied = true
			break
		}
		if !applied {
			log = append(log, fmt.Sprintf("# %s: no place found", mu.name))
		}
	}
	return log, nil
}

// choose picks one element that satisfies ok.
func (m *mutator) choose(s *source, ok func(e *element) bool) *element {
	var c []*element
	for _, e := range s.elems {
		if ok(e) {
			c = append(c, e)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return pick(m.r, c)
}

func (m *mutator) chooseBlock(s *source, ok func(b *block) bool) *block {
	var c []*block
	for _, b := range s.blocks {
		if ok(b) {
			c = append(c, b)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return pick(m.r, c)
}

// freshName returns base, or base with the smallest numeric suffix, that is
// not in taken.
func freshName(base string, taken func(string) bool) string {
	if !taken(base) {
		return base
	}
	for i := 2; ; i++ {
		if n := fmt.Sprintf("%s%d", base, i); !taken(n) {
			return n
		}
	}
}

func isField(e *element) bool { return e.kind == "field" }

func deleteField(m *mutator, s *source) (string, bool) {
	e := m.choose(s, func(e *element) bool {
		if !isField(e) {
			return false
		}
		// A oneof keeps at least one field.
		return e.block.kind != "oneof" || len(oneofFields(s, e.block)) > 1
	})
	if e == nil {
		return "", false
	}
	s.splice(e.first, e.line+1)
	return fmt.Sprintf("%s.%s (%d)", e.owner().name, e.name, e.number), true
}

func oneofFields(s *source, o *block) []*element {
	var out []*element
	for _, e := range s.elems {
		if e.block == o && isField(e) {
			out = append(out, e)
		}
	}
	return out
}

func renameField(m *mutator, s *source) (string, bool) {
	e := m.choose(s, isField)
	if e == nil {
		return "", false
	}
	taken := s.names(e.owner())
	old := e.name
	e.name = freshName(old+"_renamed", func(n string) bool { return taken[n] || taken["json:"+lowerCamel(n)] })
	s.lines[e.line] = e.fieldLine()
	return fmt.Sprintf("%s.%s -> %s", e.owner().name, old, e.name), true
}

func changeFieldType(m *mutator, s *source) (string, bool) {
	e := m.choose(s, func(e *element) bool { return isField(e) && slices.Contains(scalars, e.typ) })
	if e == nil {
		return "", false
	}
	old := e.typ
	for e.typ == old {
		e.typ = pick(m.r, scalars)
	}
	s.lines[e.line] = e.fieldLine()
	return fmt.Sprintf("%s.%s %s -> %s", e.owner().name, e.name, old, e.typ), true
}

func changeFieldNumber(m *mutator, s *source) (string, bool) {
	e := m.choose(s, isField)
	if e == nil {
		return "", false
	}
	old := e.number
	e.number = s.maxNumber(e.owner()) + 1
	s.lines[e.line] = e.fieldLine()
	return fmt.Sprintf("%s.%s %d -> %d", e.owner().name, e.name, old, e.number), true
}

func addField(m *mutator, s *source) (string, bool) {
	b := m.chooseBlock(s, func(b *block) bool { return b.kind == "message" })
	if b == nil {
		return "", false
	}
	taken := s.names(b)
	name := freshName("added_"+pick(m.r, nouns), func(n string) bool { return taken[n] || taken["json:"+lowerCamel(n)] })
	e := &element{indent: b.indent + "  ", typ: pick(m.r, scalars), name: name, number: s.maxNumber(b) + 1}
	s.splice(b.close, b.close, e.indent+"// Added by a mutation.", e.fieldLine())
	return fmt.Sprintf("%s.%s (%d)", b.name, e.name, e.number), true
}

func addMessage(m *mutator, s *source) (string, bool) {
	name := freshName("Added"+camel(pick(m.r, nouns)), func(n string) bool { return m.tokens[n] > 0 })
	m.tokens[name]++
	lines := []string{"", "// " + name + " was added by a mutation.", "message " + name + " {"}
	for i := range 2 + m.r.IntN(3) {
		lines = append(lines, fmt.Sprintf("  %s %s_%d = %d;", pick(m.r, scalars), pick(m.r, nouns), i+1, i+1))
	}
	lines = append(lines, "}")
	end := len(s.lines)
	if end > 0 && s.lines[end-1] == "" {
		end--
	}
	s.splice(end, end, append(lines, "")...)
	return name, true
}

func addEnumValue(m *mutator, s *source) (string, bool) {
	b := m.chooseBlock(s, func(b *block) bool { return b.kind == "enum" })
	if b == nil {
		return "", false
	}
	prefix := upperSnake(b.name) + "_"
	taken := map[string]bool{}
	num := 0
	for _, e := range s.elems {
		if e.block == b && e.kind == "value" {
			taken[e.name] = true
			num = max(num, e.number)
			if p, ok := strings.CutSuffix(e.name, "UNSPECIFIED"); ok {
				prefix = p
			}
		}
	}
	name := freshName(prefix+"ADDED", func(n string) bool { return taken[n] || m.tokens[n] > 0 })
	m.tokens[name]++
	s.splice(b.close, b.close, fmt.Sprintf("%s  %s = %d;", b.indent, name, num+1))
	return fmt.Sprintf("%s.%s = %d", b.name, name, num+1), true
}

func removeMessage(m *mutator, s *source) (string, bool) {
	// Only top-level messages whose name appears nowhere else in the
	// workspace: nothing can refer to them.
	b := m.chooseBlock(s, func(b *block) bool {
		return b.kind == "message" && b.parent == nil && m.tokens[b.name] == 1
	})
	if b == nil {
		return "", false
	}
	first := b.open
	for first > 0 && strings.HasPrefix(s.lines[first-1], "//") {
		first--
	}
	s.splice(first, b.close+1)
	m.tokens[b.name] = 0
	return b.name, true
}

func removeRPC(m *mutator, s *source) (string, bool) {
	e := m.choose(s, func(e *element) bool { return e.kind == "rpc" })
	if e == nil {
		return "", false
	}
	s.splice(e.first, e.line+1)
	return e.block.name + "." + e.name, true
}

func changeJSONName(m *mutator, s *source) (string, bool) {
	e := m.choose(s, isField)
	if e == nil {
		return "", false
	}
	taken := s.names(e.owner())
	json := freshName(lowerCamel(e.name)+"Json", func(n string) bool { return taken["json:"+n] })
	var opts []string
	for _, o := range strings.Split(e.opts, ", ") {
		if o != "" && !strings.HasPrefix(o, "json_name = ") {
			opts = append(opts, o)
		}
	}
	e.opts = strings.Join(append(opts, fmt.Sprintf("json_name = %q", json)), ", ")
	s.lines[e.line] = e.fieldLine()
	return fmt.Sprintf("%s.%s json_name %q", e.owner().name, e.name, json), true
}

func moveIntoOneof(m *mutator, s *source) (string, bool) {
	e := m.choose(s, func(e *element) bool {
		return isField(e) && e.block.kind == "message" && e.label == "" && !strings.HasPrefix(e.typ, "map<")
	})
	if e == nil {
		return "", false
	}
	taken := s.names(e.block)
	oneof := freshName(e.name+"_choice", func(n string) bool { return taken[n] })
	repl := []string{e.indent + "oneof " + oneof + " {"}
	for _, l := range s.lines[e.first : e.line+1] {
		repl = append(repl, "  "+l)
	}
	repl = append(repl, e.indent+"}")
	s.splice(e.first, e.line+1, repl...)
	return fmt.Sprintf("%s.%s into oneof %s", e.block.name, e.name, oneof), true
}
