package compat_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/protoctl/protoctl/compat"
	"github.com/protoctl/protoctl/diag"
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

func TestExplain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		finding   diag.Finding
		audiences []string
		mentions  string
		safe      []string
	}{
		{
			finding:   diag.Finding{Type: "FIELD_SAME_NAME", Message: `Field "13" on message "Order" changed name from "renamed" to "renamed_now".`},
			audiences: []string{"json", "go", "python"},
			safe:      []string{"wire"},
		},
		{
			finding:   diag.Finding{Type: "FIELD_SAME_TYPE", Message: `Field "2" with name "order_id" on message "Order" changed type from "int32" to "int64".`},
			audiences: []string{"go", "python"},
			mentions:  "GetOrderId()",
		},
		{
			finding:   diag.Finding{Type: "FIELD_WIRE_COMPATIBLE_TYPE", Message: `Field "3" with name "zig" on message "Order" changed type from "int32" to "sint32".`},
			audiences: []string{"wire", "go", "python"},
			mentions:  "msg.zig",
		},
		{
			finding:   diag.Finding{Type: "FILE_SAME_JAVA_PACKAGE", Message: `File option "java_package" changed from "a" to "b".`},
			audiences: []string{"other"},
			safe:      []string{"wire", "json", "go", "python"},
		},
		{
			finding:   diag.Finding{Type: "MESSAGE_NO_DELETE", Message: `Previously present message "Order.Line" was deleted from file.`},
			audiences: []string{"go", "python"},
			mentions:  "Order_Line",
			safe:      []string{"wire", "json"},
		},
		{
			finding:   diag.Finding{Type: "ENUM_VALUE_SAME_NAME", Message: `Enum value "1" on enum "Level" changed name from "LEVEL_LOW" to "LEVEL_MIN".`},
			audiences: []string{"json", "go", "python"},
			mentions:  "Level.LEVEL_LOW",
		},
		{
			finding:   diag.Finding{Type: "NOT_A_RULE"},
			audiences: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.finding.Type, func(t *testing.T) {
			t.Parallel()
			e := compat.Explain(tt.finding)
			var got []string
			text := ""
			for _, i := range e.Breaks {
				got = append(got, i.Audience)
				text += i.Detail + "\n"
			}
			if got == nil {
				got = []string{}
			}
			if diff := cmp.Diff(tt.audiences, got); diff != "" {
				t.Errorf("audiences (-want +got):\n%s", diff)
			}
			if !strings.Contains(text, tt.mentions) {
				t.Errorf("details %q do not mention %q", text, tt.mentions)
			}
			if tt.safe != nil {
				if diff := cmp.Diff(tt.safe, e.Safe); diff != "" {
					t.Errorf("safe (-want +got):\n%s", diff)
				}
			}
		})
	}
}
