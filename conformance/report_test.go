package conformance

import (
	"strings"
	"testing"
)

func TestDriftInReports(t *testing.T) {
	t.Parallel()
	rep := &Report{Drift: &Drift{Checked: 10, Findings: []DriftFinding{{Element: "a.B.c", Message: "field 3 only in the go code"}}}}
	if rep.Failed() != 1 {
		t.Errorf("Failed() = %d, want 1", rep.Failed())
	}
	var text, js, junit strings.Builder
	if err := rep.PrintText(&text, Header{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := rep.PrintJSON(&js, Header{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := rep.PrintJUnit(&junit, nil); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ out, want string }{
		"text":       {text.String(), "a.B.c: field 3 only in the go code"},
		"text table": {strings.Join(strings.Fields(text.String()), " "), "drift descriptors 9 1 0 10"},
		"json":       {js.String(), `"element": "a.B.c"`},
		"junit":      {junit.String(), `<testcase name="a.B.c" classname="drift.descriptors">`},
	} {
		if !strings.Contains(tc.out, tc.want) {
			t.Errorf("%s report lacks %q:\n%s", name, tc.want, tc.out)
		}
	}
}
