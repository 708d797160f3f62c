package grpcconf

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSelect(t *testing.T) {
	t.Parallel()
	cases := Cases(Options{})
	names := func(cs []Case) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	tests := []struct {
		pattern string
		want    []string
	}{
		{"status/internal", []string{"status/internal"}},
		{"compression", []string{"compression/gzip_request", "compression/gzip_response", "compression/gzip_both"}},
		{"limits/raised_*", []string{"limits/raised_request", "limits/raised_response", "limits/raised_still_bounded"}},
		{"nothing", nil},
	}
	for _, tt := range tests {
		got, err := Select(cases, tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, names(got)); diff != "" {
			t.Errorf("Select(%q) (-want +got):\n%s", tt.pattern, diff)
		}
	}
	if _, err := Select(cases, "["); err == nil || !strings.Contains(err.Error(), `"["`) {
		t.Errorf(`Select("[") = %v, want an error naming the pattern`, err)
	}
	all, _ := Select(cases, "")
	if len(all) != len(cases) {
		t.Errorf("Select(\"\") has %d cases, want all %d", len(all), len(cases))
	}
}

func TestCasesCover(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	groups := map[string]int{}
	for _, c := range Cases(Options{}) {
		if seen[c.Name] {
			t.Errorf("case %q appears twice", c.Name)
		}
		seen[c.Name] = true
		groups[c.Group()]++
		if c.Server == "" || c.Run == nil {
			t.Errorf("case %q has no server profile or no Run", c.Name)
		}
	}
	// Every status code 1..16 has its case.
	for _, name := range []string{"status/canceled", "status/unknown", "status/unauthenticated", "status/data_loss"} {
		if !seen[name] {
			t.Errorf("no case %q", name)
		}
	}
	for _, g := range []string{"status", "metadata", "deadline", "limits", "compression", "keepalive", "stream", "empty", "concurrency"} {
		if groups[g] == 0 {
			t.Errorf("no case in group %q", g)
		}
	}
}

// TestRunnerReports runs cases that pass, fail, panic and ignore their
// deadline; no server is needed (connections are made lazily).
func TestRunnerReports(t *testing.T) {
	t.Parallel()
	cases := []Case{
		{Name: "fake/pass", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error { p.Notef("saw %d", 42); return nil }},
		{Name: "fake/fail", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error { return errors.New("got 1, want 2") }},
		{Name: "fake/panic", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error { panic("boom") }},
		{Name: "fake/stuck", Server: ProfileDefault, Background: true, Run: func(ctx context.Context, p *Probe) error { time.Sleep(time.Hour); return nil }},
		{Name: "fake/known_bug", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error { return errors.New("still broken") }},
		{Name: "fake/fixed_bug", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error { return nil }},
		{Name: "fake/other_mode", Server: ProfileDefault, Run: func(ctx context.Context, p *Probe) error { return errors.New("broken here") }},
	}
	exps := []Expectation{
		{Case: "fake/known_bug", Mode: "aio", Reason: "known", Source: "test"},
		{Case: "fake/fixed_bug", Mode: "aio", Reason: "was known", Source: "test"},
		{Case: "fake/other_mode", Mode: "sync", Reason: "only sync", Source: "test"},
	}
	r := &Runner{Targets: map[Profile]string{ProfileDefault: "127.0.0.1:1"}, Timeout: 200 * time.Millisecond, Mode: "aio", Expectations: exps}
	rep, err := r.Run(context.Background(), cases)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name, Message    string
		Passed, Expected bool
		Notes            []string
	}
	var got []row
	for _, res := range rep.Results {
		got = append(got, row{res.Name, res.Message, res.Passed, res.Expected, res.Notes})
	}
	want := []row{
		{"fake/pass", "", true, false, []string{"saw 42"}},
		{"fake/fail", "got 1, want 2", false, false, nil},
		{"fake/panic", "case panicked: boom", false, false, nil},
		{"fake/stuck", "case did not finish within its timeout: context deadline exceeded", false, false, nil},
		{"fake/known_bug", "still broken", false, true, nil},
		{"fake/fixed_bug", "expected to fail against the aio server (was known) but passed: remove the expectation", false, false, nil},
		{"fake/other_mode", "broken here", false, false, nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if rep.Failed() != 5 {
		t.Errorf("Failed() = %d, want 5", rep.Failed())
	}
	if _, err := (&Runner{}).Run(context.Background(), cases); err == nil || !strings.Contains(err.Error(), `profile "default"`) {
		t.Errorf("Run without targets = %v, want an error naming the profile", err)
	}
}

func TestReportFormats(t *testing.T) {
	t.Parallel()
	rep := &Report{Duration: 1500 * time.Millisecond, Results: []Result{
		{Name: "status/internal", Group: "status", Server: ProfileDefault, Passed: true, Duration: 2 * time.Millisecond, Millis: 2},
		{Name: "metadata/illegal_trailer_ends_early", Group: "metadata", Server: ProfileDefault, Passed: true, Notes: []string{"ends after 1ms with Internal"}, Duration: time.Millisecond, Millis: 1},
		{Name: "limits/request_over_default", Group: "limits", Server: ProfileDefault, Passed: false, Message: "got OK, want ResourceExhausted\nsecond line", Duration: 30 * time.Millisecond, Millis: 30},
		{Name: "compression/gzip_response", Group: "compression", Server: ProfileDefault, Expected: true, Reason: "aio ignores set_compression [test]", Message: "response grpc-encoding \"\", want \"gzip\"", Duration: time.Millisecond, Millis: 1},
	}}
	h := Header{Server: "python -m protoctl_server --workers 1", Client: "pool", Versions: map[string]string{"grpcio": "1.85.3", "grpc-go": "v1.85.0"}}
	repro := func(name string) string { return "protoctl conformance --grpc --case '" + name + "'" }
	for _, f := range []struct {
		name  string
		print func(*bytes.Buffer) error
	}{
		{"report.txt", func(b *bytes.Buffer) error { return rep.PrintText(b, h, repro) }},
		{"report.json", func(b *bytes.Buffer) error { return rep.PrintJSON(b, h, repro) }},
		{"report.xml", func(b *bytes.Buffer) error { return rep.PrintJUnit(b, repro) }},
	} {
		var b bytes.Buffer
		if err := f.print(&b); err != nil {
			t.Fatal(err)
		}
		golden(t, f.name, b.Bytes())
	}
}
