package bufconfig

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goldenUpdate refreshes golden files instead of comparing with them.
var goldenUpdate = os.Getenv("PROTOCTL_GOLDEN_UPDATE") == "1"

// checkGolden compares got with the file at path, or writes it there when
// PROTOCTL_GOLDEN_UPDATE=1.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if goldenUpdate {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with PROTOCTL_GOLDEN_UPDATE=1 to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// validCases lists the directories under testdata/valid.
func validCases(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", "valid"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	if len(out) == 0 {
		t.Fatal("no valid fixtures")
	}
	return out
}

// TestValidFixtures reads every file of each valid fixture through an
// fs.FS and compares the parsed values with the golden JSON next to them.
func TestValidFixtures(t *testing.T) {
	t.Parallel()
	for _, name := range validCases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", "valid", name)
			fsys := os.DirFS(dir)
			got := map[string]any{}
			if _, err := fs.Stat(fsys, "buf.yaml"); err == nil {
				b, err := ReadBufYAML(fsys, "buf.yaml")
				if err != nil {
					t.Fatalf("ReadBufYAML: %v", err)
				}
				got["buf.yaml"] = b
			}
			if _, err := fs.Stat(fsys, "buf.gen.yaml"); err == nil {
				g, err := ReadBufGenYAML(fsys, "buf.gen.yaml")
				if err != nil {
					t.Fatalf("ReadBufGenYAML: %v", err)
				}
				got["buf.gen.yaml"] = g
			}
			p, err := ReadProtoctlYAML(fsys, "protoctl.yaml")
			if err != nil {
				t.Fatalf("ReadProtoctlYAML: %v", err)
			}
			got["protoctl.yaml"] = p
			data, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join(dir, "parsed.golden.json"), append(data, '\n'))
		})
	}
}

func TestReadMissingFile(t *testing.T) {
	t.Parallel()
	fsys := os.DirFS(filepath.Join("testdata", "valid", "minimal"))
	_, err := ReadBufGenYAML(fsys, "nope/buf.gen.yaml")
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindIO || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want a KindIO *Error wrapping fs.ErrNotExist", err)
	}
	if got, want := err.Error(), "nope/buf.gen.yaml: cannot read: no such file or directory"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	p, err := ReadProtoctlYAML(fsys, "protoctl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(DefaultProtoctlYAML(), p); diff != "" {
		t.Errorf("absent protoctl.yaml (-want +got):\n%s", diff)
	}
}
