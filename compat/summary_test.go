package compat_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/protoctl/protoctl/compat"
)

func TestSummarize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dir      string
		severity compat.Severity
		added    []compat.Change
		removed  compat.Change
		changed  compat.Change
	}{
		{dir: "testdata/compatible", severity: compat.SeverityAdditive,
			added: []compat.Change{{Kind: "file", Name: "new.proto", Path: "new.proto"}, {Kind: "message", Name: "calm.v1.Added", Path: "p2.proto"}, {Kind: "rpc", Name: "calm.v1.Svc.Put", Path: "ed.proto"}}},
		{dir: "testdata/moves", severity: compat.SeverityBreaking,
			removed: compat.Change{Kind: "file", Name: "gone_pkg.proto", Path: "gone_pkg.proto"}},
		{dir: "testdata/proto3", severity: compat.SeverityBreaking,
			changed: compat.Change{Kind: "field", Name: "shop.v1.Order.renamed_now", Path: "messages.proto"},
			removed: compat.Change{Kind: "enum_value", Name: "shop.v1.Level.LEVEL_GONE", Path: "enums.proto"}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			t.Parallel()
			s := compat.Summarize(compileDir(t, tt.dir+"/previous"), compileDir(t, tt.dir+"/current"))
			if s.Severity != tt.severity {
				t.Errorf("severity = %q, want %q", s.Severity, tt.severity)
			}
			for _, c := range tt.added {
				if !slices.Contains(s.Added, c) {
					t.Errorf("added lacks %+v: %+v", c, s.Added)
				}
			}
			if tt.removed.Kind != "" && !slices.Contains(s.Removed, tt.removed) {
				t.Errorf("removed lacks %+v: %+v", tt.removed, s.Removed)
			}
			if tt.changed.Kind != "" && !slices.Contains(s.Changed, tt.changed) {
				t.Errorf("changed lacks %+v: %+v", tt.changed, s.Changed)
			}
		})
	}
	t.Run("same image", func(t *testing.T) {
		t.Parallel()
		img := compileDir(t, "testdata/proto3/current")
		got := compat.Summarize(img, img)
		want := compat.Summary{Severity: compat.SeverityNone, Added: []compat.Change{}, Removed: []compat.Change{}, Changed: []compat.Change{}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"severity":"none","added":[],"removed":[],"changed":[],"breaking":0}`; string(b) != want {
			t.Errorf("json = %s, want %s", b, want)
		}
	})
}
