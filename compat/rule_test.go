package compat_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/protoctl/protoctl/compat"
	"github.com/protoctl/protoctl/diag"
)

type listedRule struct {
	ID         string   `json:"id"`
	Categories []string `json:"categories"`
	Purpose    string   `json:"purpose"`
}

// TestRulesMatchBuf compares the rule table with `buf config
// ls-breaking-rules --version v2`, kept in testdata/rules.golden.json.
func TestRulesMatchBuf(t *testing.T) {
	t.Parallel()
	golden := filepath.Join("testdata", "rules.golden.json")
	data, err := os.ReadFile(golden)
	buf, bufErr := pinnedBuf(t)
	if bufErr == nil {
		out, err := exec.Command(buf, "config", "ls-breaking-rules", "--version", "v2", "--format", "json").Output()
		if err != nil {
			t.Fatalf("buf config ls-breaking-rules: %v", err)
		}
		if os.Getenv("PROTOCTL_GOLDEN_UPDATE") == "1" {
			if err := os.WriteFile(golden, out, 0o644); err != nil {
				t.Fatal(err)
			}
		} else if !bytes.Equal(out, data) {
			t.Errorf("%s is stale: refresh it with PROTOCTL_GOLDEN_UPDATE=1", golden)
		}
		data = out
	} else if err != nil {
		t.Fatal(err)
	}
	var want []listedRule
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var r listedRule
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatal(err)
		}
		slices.Sort(r.Categories)
		want = append(want, r)
	}
	slices.SortFunc(want, func(a, b listedRule) int { return strings.Compare(a.ID, b.ID) })
	var got []listedRule
	for _, r := range compat.Rules() {
		got = append(got, listedRule{ID: r.ID, Categories: slices.Sorted(slices.Values(r.Categories)), Purpose: r.Purpose})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rule table differs from buf's (-buf +protoctl):\n%s", diff)
	}
	if len(got) != 64 {
		t.Errorf("got %d rules, want 64", len(got))
	}
}

// TestEveryRuleIsExercised wants each rule to fire in at least one case
// (so that its parity is tested) and to stay silent over the compatible
// case, which runs every rule.
func TestEveryRuleIsExercised(t *testing.T) {
	t.Parallel()
	goldens, err := filepath.Glob(filepath.Join("testdata", "*", "buf.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	fired := map[string]bool{}
	for _, g := range goldens {
		data, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range parseFindings(t, data) {
			fired[f.Type] = true
		}
		if filepath.Base(filepath.Dir(g)) == "compatible" && len(bytes.TrimSpace(data)) != 0 {
			t.Errorf("%s: the compatible case must have no findings", g)
		}
	}
	for _, r := range compat.Rules() {
		if !fired[r.ID] {
			t.Errorf("no case under testdata triggers %s", r.ID)
		}
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cfg      compat.Config
		want     []string
		warnings int
		err      string
	}{
		{name: "default is FILE", cfg: compat.Config{}, want: ruleIDsIn("FILE")},
		{name: "category", cfg: compat.Config{Use: []string{"WIRE"}}, want: ruleIDsIn("WIRE")},
		{name: "except", cfg: compat.Config{Use: []string{"WIRE"}, Except: []string{"FIELD_WIRE_COMPATIBLE_TYPE"}},
			want: slices.DeleteFunc(ruleIDsIn("WIRE"), func(s string) bool { return s == "FIELD_WIRE_COMPATIBLE_TYPE" })},
		{name: "deprecated id", cfg: compat.Config{Use: []string{"FIELD_SAME_LABEL", "FIELD_SAME_LABEL"}},
			want: []string{"FIELD_SAME_CARDINALITY", "FIELD_WIRE_COMPATIBLE_CARDINALITY", "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY"}, warnings: 1},
		{name: "deprecated without replacement", cfg: compat.Config{Use: []string{"FILE_SAME_PHP_GENERIC_SERVICES", "FILE_NO_DELETE"}},
			want: []string{"FILE_NO_DELETE"}, warnings: 1},
		{name: "unknown", cfg: compat.Config{Use: []string{"NOPE"}}, err: `breaking use: "NOPE" is not a known rule or category ID`},
		{name: "unknown ignore_only key", cfg: compat.Config{IgnoreOnly: map[string][]string{"NOPE": {"a"}}}, err: `breaking ignore_only: "NOPE" is not a known rule or category ID`},
		{name: "ignore outside", cfg: compat.Config{Ignore: []string{"../x"}}, err: `breaking ignore: path "../x" is outside the workspace`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, warnings, err := tt.cfg.RuleIDs()
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
			if len(warnings) != tt.warnings {
				t.Errorf("got warnings %v, want %d", warnings, tt.warnings)
			}
		})
	}
}

func ruleIDsIn(category string) []string {
	var out []string
	for _, r := range compat.Rules() {
		if slices.Contains(r.Categories, category) {
			out = append(out, r.ID)
		}
	}
	return out
}

// TestEveryRuleIsExplained wants Explain to know every rule.
func TestEveryRuleIsExplained(t *testing.T) {
	t.Parallel()
	for _, r := range compat.Rules() {
		e := compat.Explain(diag.Finding{Type: r.ID, Message: "x"})
		if len(e.Breaks) == 0 {
			t.Errorf("Explain(%s) names no audience", r.ID)
		}
		for _, i := range e.Breaks {
			if strings.Contains(i.Detail, "{") {
				t.Errorf("Explain(%s): unfilled placeholder in %q", r.ID, i.Detail)
			}
		}
	}
}
