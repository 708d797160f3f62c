package breaking

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/protoctl/protoctl/compile"
	"github.com/protoctl/protoctl/diag"
	"github.com/protoctl/protoctl/input"
)

// fakeChecker explains every finding with fixed lines, so the layout of
// --explain is tested apart from compat's wording.
type fakeChecker struct{}

func (fakeChecker) Rules() []rule { return nil }
func (fakeChecker) Check(context.Context, *compile.Image, *compile.Image, input.Breaking) (diag.Set, []string, error) {
	return nil, nil, nil
}
func (fakeChecker) Summarize(*compile.Image, *compile.Image) ([]byte, error) { return nil, nil }
func (fakeChecker) Explain(f diag.Finding) explanation {
	e := explanation{
		breaks: []impact{{"Go", "code breaks"}, {"wire", strings.ToLower(f.Type)}},
		safe:   []string{"Python", "JSON"},
	}
	if f.Type == "FIELD_SAME_ONEOF" {
		e.safe = []string{"JSON"}
		e.breaks = append(e.breaks, impact{"Python", "oneof"})
	}
	return e
}

func TestPrintExplained(t *testing.T) {
	t.Parallel()
	at := func(rule string, line, col int) diag.Finding {
		return diag.Finding{Path: "a.proto", StartLine: line, StartColumn: col, EndLine: line, EndColumn: col + 4, Type: rule, Message: rule + " message"}
	}
	set := diag.NewSet(
		diag.Finding{Type: "FILE_NO_DELETE", Message: "file gone"},
		at("FIELD_SAME_ONEOF", 8, 5),
		at("FIELD_SAME_CARDINALITY", 8, 5),
		at("FIELD_SAME_TYPE", 8, 9),
	)
	var b bytes.Buffer
	if err := printExplained(&b, fakeChecker{}, set); err != nil {
		t.Fatal(err)
	}
	want := `<input>:1:1:file gone
    FILE_NO_DELETE
    wire: file_no_delete
    Go: code breaks
    unaffected: JSON, Python
a.proto:8:5:FIELD_SAME_CARDINALITY message
a.proto:8:5:FIELD_SAME_ONEOF message
    one change, reported by FIELD_SAME_CARDINALITY and FIELD_SAME_ONEOF
    wire: field_same_cardinality
    wire: field_same_oneof
    Go: code breaks
    Python: oneof
    unaffected: JSON
a.proto:8:9:FIELD_SAME_TYPE message
    FIELD_SAME_TYPE
    wire: field_same_type
    Go: code breaks
    unaffected: JSON, Python
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestSelected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		paths, excludes []string
		local, display  string
		want            bool
	}{
		{local: "proto/a/x.proto", display: "proto/a/x.proto", want: true},
		{paths: []string{"proto/a"}, local: "proto/a/x.proto", display: "proto/a/x.proto", want: true},
		{paths: []string{"proto/a/"}, local: "proto/a/x.proto", display: "proto/a/x.proto", want: true},
		{paths: []string{"proto/ab"}, local: "proto/a/x.proto", display: "proto/a/x.proto", want: false},
		{paths: []string{"a"}, local: "proto/a/x.proto", display: "a/x.proto", want: true},
		{excludes: []string{"proto/a/x.proto"}, local: "proto/a/x.proto", display: "proto/a/x.proto", want: false},
		{paths: []string{"proto"}, excludes: []string{"proto/a"}, local: "proto/a/x.proto", display: "proto/a/x.proto", want: false},
		{local: "", display: "", want: true},
		{paths: []string{"proto"}, local: "", display: "", want: false},
	}
	for _, tt := range tests {
		if got := selected(tt.paths, tt.excludes, tt.local, tt.display); got != tt.want {
			t.Errorf("selected(%v, %v, %q, %q) = %v, want %v", tt.paths, tt.excludes, tt.local, tt.display, got, tt.want)
		}
	}
}
