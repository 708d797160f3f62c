package input

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBreakingGroups(t *testing.T) {
	t.Parallel()
	wire := Breaking{Use: []string{"WIRE"}}
	file := Breaking{Use: []string{"FILE"}}
	r := &Resolved{Config: &Config{Modules: []Module{
		{Path: "a", Breaking: file},
		{Path: "b", Breaking: wire},
		{Path: "c", Breaking: file},
	}}}
	groups := r.BreakingGroups()
	if len(groups) != 2 {
		t.Fatalf("%d groups, want 2", len(groups))
	}
	tests := []struct {
		path string
		want [2]bool
	}{
		{path: "a/x.proto", want: [2]bool{true, false}},
		{path: "c/x.proto", want: [2]bool{true, false}},
		{path: "b/x.proto", want: [2]bool{false, true}},
		{path: "bb/x.proto", want: [2]bool{true, false}}, // in no module: the first group
		{path: "", want: [2]bool{true, false}},
	}
	for _, tt := range tests {
		got := [2]bool{groups[0].Owns(tt.path), groups[1].Owns(tt.path)}
		if got != tt.want {
			t.Errorf("owns(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	if diff := cmp.Diff(wire, groups[1].Breaking); diff != "" {
		t.Errorf("second group config (-want +got):\n%s", diff)
	}
	one := (&Resolved{Config: &Config{Modules: []Module{{Path: "a", Breaking: wire}, {Path: "b", Breaking: wire}}}}).BreakingGroups()
	if len(one) != 1 || !one[0].Owns("z/x.proto") {
		t.Errorf("one shared config: groups %d, owns everything %v", len(one), len(one) == 1 && one[0].Owns("z/x.proto"))
	}
}
