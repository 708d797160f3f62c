package compile

import (
	"cmp"
	"slices"
)

// A cold compile of a large workspace holds every linked file, with its
// source info, until the last one is linked: about 25 times the size of
// the sources. Compiling in batches keeps only one batch linked at a
// time: files are ordered so that every file comes after the files it
// imports, cut into batches of about batchBytes of source, and each batch
// is linked against the encoded descriptors of the batches before it,
// which are then dropped.

var (
	// batchMinTotal is the source size below which one batch is cheaper:
	// batch boundaries cost a little parallelism and re-linking.
	batchMinTotal = 4 << 20 // a variable for tests
	// batchCount is the number of batches a large workspace is cut into.
	batchCount = 8
)

// batches orders names so that each comes after what it imports (as far
// as a scan of the import statements tells) and cuts the order into
// batches of similar source size. Any order is correct; this one only
// decides how much is linked at once.
func batches(names []string, contents map[string][]byte) [][]string {
	total := 0
	for _, n := range names {
		total += len(contents[n])
	}
	if total < batchMinTotal || len(names) < 2*batchCount {
		return [][]string{names}
	}
	in := make(map[string]bool, len(names))
	for _, n := range names {
		in[n] = true
	}
	depth := make(map[string]int, len(names))
	visiting := map[string]bool{}
	var depthOf func(string) int
	depthOf = func(n string) int {
		if d, ok := depth[n]; ok {
			return d
		}
		if visiting[n] {
			return 0 // a cycle: the compiler reports it
		}
		visiting[n] = true
		d := 0
		for _, imp := range scanImports(contents[n]) {
			if in[imp] {
				d = max(d, depthOf(imp)+1)
			}
		}
		delete(visiting, n)
		depth[n] = d
		return d
	}
	order := slices.Clone(names)
	for _, n := range order {
		depthOf(n)
	}
	slices.SortFunc(order, func(a, b string) int {
		return cmp.Or(cmp.Compare(depth[a], depth[b]), cmp.Compare(a, b))
	})
	budget := total / batchCount
	var out [][]string
	start, size := 0, 0
	for i, n := range order {
		size += len(contents[n])
		if size >= budget && i+1 < len(order) {
			out = append(out, order[start:i+1])
			start, size = i+1, 0
		}
	}
	return append(out, order[start:])
}

// scanImports returns the paths of a .proto source's import statements,
// skipping comments and the contents of other string literals. It reads
// only tokens, so it never fails; what it gets wrong only changes how
// batches are cut.
func scanImports(src []byte) []string {
	var out []string
	// state of the statement being matched: 0 nothing, 1 after "import",
	// 2 after "import public|weak".
	state := 0
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			i += 2
			for i+1 < len(src) && !(src[i] == '*' && src[i+1] == '/') {
				i++
			}
			i += 2
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(src) && src[j] != c && src[j] != '\n' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if state != 0 && j <= len(src) {
				out = append(out, string(src[i+1:min(j, len(src))]))
			}
			state = 0
			i = j + 1
		case isIdentByte(c):
			j := i
			for j < len(src) && isIdentByte(src[j]) {
				j++
			}
			word := string(src[i:j])
			switch {
			case word == "import" && state == 0:
				state = 1
			case (word == "public" || word == "weak") && state == 1:
				state = 2
			default:
				state = 0
			}
			i = j
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		default:
			state = 0
			i++
		}
	}
	return out
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '.' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}
