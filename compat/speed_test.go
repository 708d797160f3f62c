package compat_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/protoctl/protoctl/compat"
	"github.com/protoctl/protoctl/compile"
	"github.com/protoctl/protoctl/diag"
)

// bigWorkspace writes n files of a few messages, an enum and a service
// each; mutate changes every 5th file in ways that several rules report.
func bigWorkspace(n int, mutate bool) fstest.MapFS {
	fs := fstest.MapFS{}
	for i := range n {
		var b strings.Builder
		fmt.Fprintf(&b, "syntax = \"proto3\";\npackage big.p%d.v1;\n", i%50)
		changed := mutate && i%5 == 0
		for m := range 5 {
			fmt.Fprintf(&b, "message M%d_%d {\n", i, m)
			for f := 1; f <= 8; f++ {
				typ := "string"
				if changed && f == 3 {
					typ = "int64"
				}
				if changed && f == 8 && m == 0 {
					continue
				}
				fmt.Fprintf(&b, "  %s f%d = %d;\n", typ, f, f)
			}
			b.WriteString("}\n")
		}
		fmt.Fprintf(&b, "enum E%d { E%d_UNSPECIFIED = 0; E%d_ONE = 1; }\n", i, i, i)
		fmt.Fprintf(&b, "service S%d { rpc Get(M%d_0) returns (M%d_1); }\n", i, i, i)
		fs[fmt.Sprintf("big/f%04d.proto", i)] = &fstest.MapFile{Data: []byte(b.String())}
	}
	return fs
}

func compileFS(t testing.TB, fs fstest.MapFS) *compile.Image {
	t.Helper()
	img, err := compile.Compile(context.Background(), compile.Workspace{FS: fs}, compile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestCheckScales runs every rule over two images of 1,400 files with a few
// hundred changes and wants it well under a second (the compile is not
// timed).
func TestCheckScales(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles 2,800 files")
	}
	const files = 1400
	prev, cur := compileFS(t, bigWorkspace(files, false)), compileFS(t, bigWorkspace(files, true))
	// The best of three runs: the machine is shared, and the first run
	// pays for the garbage of the compile.
	var set diag.Set
	elapsed := time.Hour
	for range 3 {
		start := time.Now()
		s, _, err := compat.Check(context.Background(), prev, cur, compat.Config{Use: []string{"FILE", "PACKAGE", "WIRE_JSON", "WIRE"}})
		if err != nil {
			t.Fatal(err)
		}
		set, elapsed = s, min(elapsed, time.Since(start))
	}
	// Per changed file: 5 type changes × 3 rules... at least one finding each.
	if len(set) < files/5 {
		t.Errorf("got %d findings, want at least %d", len(set), files/5)
	}
	t.Logf("checked %d files, %d findings in %v", files, len(set), elapsed)
	if elapsed > 1500*time.Millisecond && !raceEnabled {
		t.Errorf("Check took %v, want well under a second", elapsed)
	}
}

func BenchmarkCheck(b *testing.B) {
	prev, cur := compileFS(b, bigWorkspace(1400, false)), compileFS(b, bigWorkspace(1400, true))
	cfg := compat.Config{Use: []string{"FILE", "PACKAGE", "WIRE_JSON", "WIRE"}}
	for b.Loop() {
		if _, _, err := compat.Check(context.Background(), prev, cur, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
