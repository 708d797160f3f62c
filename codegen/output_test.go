package codegen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestApplyFailureLeavesPreviousOutputs: a write that fails part-way
// through leaves every previous output as it was, removes the files the
// run added and the directories it created, and leaves no staged file.
func TestApplyFailureLeavesPreviousOutputs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "old.txt"), []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, root)
	tooLong := "new/" + strings.Repeat("x", 300) + ".txt" // ENAMETOOLONG
	outputs := map[string][]byte{"old.txt": []byte("changed"), "a.txt": []byte("added"), "new/b.txt": []byte("added"), tooLong: []byte("x")}
	d := diff{added: []string{"a.txt", "new/b.txt", tooLong}, changed: []string{"old.txt"}}
	err := apply(root, outputs, d, nil)
	if err == nil || !strings.Contains(err.Error(), "write new/xxx") {
		t.Fatalf("apply = %v, want a write error naming the file", err)
	}
	if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
		t.Errorf("files after a failed apply (-before +after):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(root, "new")); !os.IsNotExist(err) {
		t.Errorf("directory created by the failed run is still there: %v", err)
	}
	// The same outputs without the bad one apply, changed and added.
	delete(outputs, tooLong)
	d.added = d.added[:2]
	if err := apply(root, outputs, d, nil); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range snapshot(t, root) {
		got[k] = v.Content
	}
	want := map[string]string{"old.txt": "changed", "a.txt": "added", "new/b.txt": "added"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files after apply (-want +got):\n%s", diff)
	}
}
