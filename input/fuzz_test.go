package input

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/protoctl/protoctl/compile"
)

// FuzzReadImage feeds arbitrary bytes to the image decoder. It must return
// an image or an error, never panic; decodeImage is called without
// ReadImage's recover so that a panic fails the fuzz run.
func FuzzReadImage(f *testing.F) {
	dir := f.TempDir()
	writeFiles(f, dir, map[string]string{
		"acme/a.proto": `syntax = "proto3";
package acme;
import "google/protobuf/timestamp.proto";
enum E { E_UNSPECIFIED = 0; E_ONE = 1; }
message A {
  google.protobuf.Timestamp t = 1;
  oneof o { string s = 2; E e = 3; }
  map<string, A> children = 4;
}
service S { rpc Get(A) returns (A); }
`,
	})
	ws := compile.Workspace{FS: os.DirFS(dir)}
	for _, opts := range []compile.Options{{}, {NoSourceInfo: true}} {
		img, err := compile.Compile(context.Background(), ws, opts)
		if err != nil {
			f.Fatal(err)
		}
		data, err := img.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		for _, n := range []int{1, 2, 10, len(data) / 3, len(data) / 2, len(data) - 1} {
			f.Add(data[:n])
		}
	}
	f.Add([]byte{})
	f.Add([]byte("\xff\xfe garbage"))
	f.Add([]byte{0x0a, 0x00})             // one empty file
	f.Add([]byte{0x0a, 0x02, 0x0a, 0x00}) // one file with an empty name
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := decodeImage(data)
		if err == nil && (img == nil || len(img.Files) == 0) {
			t.Fatalf("no error and no files")
		}
		if err == nil {
			// Everything an image file reaches downstream must work too.
			_ = img.HasSourceInfo()
			_ = img.Targets()
			if _, err := img.Marshal(); err != nil {
				t.Fatalf("decoded image does not marshal: %v", err)
			}
		}
	})
}

// TestReadImageFile loads an image file with source info end to end.
func TestReadImageFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.proto": protoFile("a", "A")})
	img, err := compile.Compile(context.Background(), compile.Workspace{FS: os.DirFS(dir)}, compile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := img.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "a.binpb")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := load(t, p, Options{NeedSourceInfo: true})
	if got := r.Image.Targets(); len(got) != 1 || got[0] != "a.proto" {
		t.Errorf("targets = %v, want [a.proto]", got)
	}
}
