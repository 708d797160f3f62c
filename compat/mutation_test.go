package compat_test

import (
	"context"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/protoctl/protoctl/compat"
	"github.com/protoctl/protoctl/compile"
	"github.com/protoctl/protoctl/diag"
)

// TestBufParityMutations copies the previous side of some cases (and the
// project's own contract), applies a few random textual edits (a line
// dropped, a type or label swapped, a package removed) and wants buf and
// Check to agree on the result. The seed is fixed (PROTOCTL_MUTATION_SEED
// explores others), so a failure repeats; edits that do not compile are
// skipped. It needs a live buf.
func TestBufParityMutations(t *testing.T) {
	if testing.Short() {
		t.Skip("runs buf once per mutation")
	}
	t.Parallel()
	buf, err := pinnedBuf(t)
	if err != nil {
		t.Skipf("buf is not available: %v", err)
	}
	sources := []string{"testdata/proto3/previous", "testdata/proto2/previous", "testdata/editions/previous", "testdata/edges/previous", "testdata/moves/previous", "../proto"}
	swaps := [][2]string{
		{"string", "bytes"}, {"int32", "int64"}, {"optional ", ""}, {"repeated ", ""}, {"int64", "sint64"},
		{"= 1;", "= 9;"}, {"uint32", "int32"}, {"double", "float"}, {"stream ", ""}, {"reserved", "// reserved"},
		{"oneof", "message"}, {"package ", "// package "}, {"message ", "enum "},
	}
	seed := int64(7)
	if s := os.Getenv("PROTOCTL_MUTATION_SEED"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("PROTOCTL_MUTATION_SEED: %v", err)
		}
		seed = n
	}
	rng := rand.New(rand.NewSource(seed))
	cfg := compat.Config{Use: []string{"FILE", "PACKAGE", "WIRE_JSON", "WIRE"}}
	compared := 0
	for iter := range 30 {
		src := sources[rng.Intn(len(sources))]
		dir := t.TempDir()
		prev, cur := filepath.Join(dir, "previous"), filepath.Join(dir, "current")
		files := copyProtos(t, src, prev, cur)
		if len(files) == 0 {
			continue
		}
		var edits []string
		for range 3 {
			rel := files[rng.Intn(len(files))]
			p := filepath.Join(cur, rel)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(data), "\n")
			i := rng.Intn(len(lines))
			before := lines[i]
			if rng.Intn(3) == 0 {
				if strings.HasSuffix(strings.TrimSpace(lines[i]), ";") && !strings.HasPrefix(strings.TrimSpace(lines[i]), "import") &&
					!strings.HasPrefix(lines[i], "syntax") && !strings.HasPrefix(lines[i], "edition") {
					lines[i] = ""
				}
			} else {
				s := swaps[rng.Intn(len(swaps))]
				lines[i] = strings.Replace(lines[i], s[0], s[1], 1)
			}
			if lines[i] != before {
				edits = append(edits, rel+": "+strings.TrimSpace(before)+" -> "+strings.TrimSpace(lines[i]))
			}
			if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want := parseFindings(t, runBuf(t, buf, dir, cfg, nil))
		if len(want) > 0 && want[0].Type == "COMPILE" {
			continue
		}
		curImg, err := compile.Compile(context.Background(), compile.Workspace{FS: os.DirFS(cur)}, compile.Options{})
		if err != nil {
			continue // buf's compiler accepts a few things protocompile does not
		}
		got, _, err := compat.Check(context.Background(), compileDir(t, prev), curImg, cfg)
		if err != nil {
			t.Fatal(err)
		}
		compared++
		if diff := cmp.Diff(diag.Set(want), got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("mutation %d of %s (%s): findings differ (-buf +protoctl):\n%s", iter, src, strings.Join(edits, "; "), diff)
		}
	}
	t.Logf("seed %d: %d of 30 mutations compared", seed, compared)
	if compared < 10 {
		t.Errorf("only %d of 30 mutations compiled; the test checks too little", compared)
	}
}

// copyProtos copies the .proto files under src into each of dsts and
// returns their paths relative to src.
func copyProtos(t *testing.T, src string, dsts ...string) []string {
	t.Helper()
	var rels []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".proto") {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, dst := range dsts {
			out := filepath.Join(dst, rel)
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return err
			}
		}
		rels = append(rels, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rels
}
