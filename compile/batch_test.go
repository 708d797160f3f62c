package compile

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScanImports(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{name: "plain", src: `syntax = "proto3"; import "a/b.proto"; import public "c.proto"; import weak 'd.proto';`, want: []string{"a/b.proto", "c.proto", "d.proto"}},
		{name: "comments", src: "// import \"x.proto\";\n/* import \"y.proto\"; */ import /* c */ \"z.proto\";", want: []string{"z.proto"}},
		{name: "strings are not statements", src: `option (o) = "import \"q.proto\""; string import = 1;`, want: nil},
		{name: "field named import", src: `message M { string import = 1; }`, want: nil},
		{name: "unterminated", src: `import "a.proto`, want: []string{"a.proto"}},
		{name: "escaped quote", src: `import "a\".proto";`, want: []string{`a\".proto`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, scanImports([]byte(tt.src))); diff != "" {
				t.Errorf("scanImports(%q) (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

// layered is a workspace of n files where file i imports file i-1 and
// file i/2, written so that the import scan misreads some of them (an
// import split over two string literals).
func layered(n int) map[string]string {
	files := map[string]string{}
	for i := range n {
		src := fmt.Sprintf("syntax = \"proto3\";\npackage p%d.v1;\n", i)
		if i > 0 {
			src += fmt.Sprintf("import \"p%d/v1/f.proto\";\n", i-1)
		}
		if i > 1 && i/2 != i-1 {
			if i%5 == 0 {
				src += fmt.Sprintf("import \"p%d/\" \"v1/f.proto\";\n", i/2)
			} else {
				src += fmt.Sprintf("import \"p%d/v1/f.proto\";\n", i/2)
			}
		}
		src += fmt.Sprintf("// M%d is message %d.\nmessage M%d {\n  string name = 1;\n", i, i, i)
		if i > 0 {
			src += fmt.Sprintf("  p%d.v1.M%d prev = 2;\n", i-1, i-1)
		}
		if i > 1 && i/2 != i-1 {
			src += fmt.Sprintf("  p%d.v1.M%d half = 3;\n", i/2, i/2)
		}
		src += "}\n"
		files[fmt.Sprintf("proto/p%d/v1/f.proto", i)] = src
	}
	return files
}

// withBatches runs f with batching forced on (every workspace cut into
// count batches) or off. Not parallel: it changes package settings.
func withBatches(count int, f func()) {
	minTotal, n := batchMinTotal, batchCount
	defer func() { batchMinTotal, batchCount = minTotal, n }()
	if count <= 1 {
		batchMinTotal = 1 << 62
	} else {
		batchMinTotal, batchCount = 0, count
	}
	f()
}

// TestBatchedCompileMatchesOneCompile: cutting a compile into batches
// changes neither the descriptors nor the findings.
func TestBatchedCompileMatchesOneCompile(t *testing.T) {
	broken := layered(60)
	// Independent errors: an unknown type in a leaf (first batch) and
	// one deep in the chain (last batch).
	broken["proto/x/v1/x.proto"] = "syntax = \"proto3\";\npackage x.v1;\nmessage Broken { y.v1.Nope x = 1; }\n"
	broken["proto/p52/v1/f.proto"] += "message Dup { p0.v1.Nope x = 1; }\n"
	tests := []struct {
		name  string
		files map[string]string
	}{
		{name: "compiles", files: layered(60)},
		{name: "errors in several batches", files: broken},
		{name: "clash between batches", files: func() map[string]string {
			fs := layered(60)
			fs["proto/p59/v1/f.proto"] += "message Clash {}\n"
			fs["proto/x/v1/x.proto"] = "syntax = \"proto3\";\npackage p59.v1;\nmessage Clash {}\n"
			return fs
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			compile := func(count int) (enc *Encoded, msg string) {
				withBatches(count, func() {
					var err error
					enc, err = CompileEncoded(context.Background(), Workspace{FS: mapFS(tt.files), Modules: []Module{{Path: "proto"}}}, nil)
					if err != nil {
						msg = err.Error()
					}
				})
				return enc, msg
			}
			want, wantErr := compile(1)
			if tt.name == "errors in several batches" && strings.Count(wantErr, "\n") < 1 {
				t.Fatalf("want two independent errors, got %q", wantErr)
			}
			for _, count := range []int{2, 7} {
				got, gotErr := compile(count)
				if diff := cmp.Diff(wantErr, gotErr); diff != "" {
					t.Errorf("%d batches: error (-one +batched):\n%s", count, diff)
				}
				if diff := cmp.Diff(want, got, cmpEncoded); diff != "" {
					t.Errorf("%d batches: encoded (-one +batched):\n%s", count, diff)
				}
			}
		})
	}
}

func TestBatchesRespectImports(t *testing.T) {
	files := layered(40)
	contents := map[string][]byte{}
	var names []string
	for name, src := range files {
		name = name[len("proto/"):]
		contents[name] = []byte(src)
		names = append(names, name)
	}
	var bs [][]string
	withBatches(4, func() { bs = batches(names, contents) })
	if len(bs) < 3 {
		t.Fatalf("%d batches, want about 4", len(bs))
	}
	batchOf := map[string]int{}
	total := 0
	for i, b := range bs {
		total += len(b)
		for _, n := range b {
			batchOf[n] = i
		}
	}
	if total != len(names) || len(batchOf) != len(names) {
		t.Fatalf("batches hold %d names (%d distinct), want %d", total, len(batchOf), len(names))
	}
	for _, n := range names {
		for _, imp := range scanImports(contents[n]) {
			if b, ok := batchOf[imp]; ok && b > batchOf[n] {
				t.Errorf("%s (batch %d) imports %s from a later batch %d", n, batchOf[n], imp, b)
			}
		}
	}
}
