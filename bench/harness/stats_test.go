package main

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMedian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"none", nil, 0},
		{"one", []float64{3}, 3},
		{"odd, unsorted", []float64{9, 1, 5}, 5},
		{"even takes the mean of the middle two", []float64{4, 1, 3, 10}, 3.5},
		{"ties", []float64{2, 2, 7, 2}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := append([]float64(nil), tt.in...)
			if got := median(tt.in); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", in, got, tt.want)
			}
			if diff := cmp.Diff(in, tt.in); diff != "" {
				t.Errorf("median reordered its input (-before +after):\n%s", diff)
			}
		})
	}
}

func s(wall, user, sys time.Duration, rss int64) sample {
	return sample{Wall: wall, User: user, Sys: sys, MaxRSS: rss}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	const sec = time.Second
	base := []sample{
		s(10*sec, 8*sec, 2*sec, 100),
		s(20*sec, 16*sec, 4*sec, 300),
		s(12*sec, 9*sec, 1*sec, 200),
	}
	// Per-round wall ratios 0.5, 0.2, 1.0 -> median 0.5 (while the ratio of
	// the medians would be 6/12). CPU ratios 0.5, 0.25, 0.5 -> 0.5.
	other := []sample{
		s(5*sec, 4*sec, 1*sec, 50),
		s(4*sec, 4*sec, 1*sec, 70),
		s(12*sec, 4*sec, 1*sec, 60),
	}
	tests := []struct {
		name          string
		samples, base []sample
		want          summary
	}{
		{
			name:    "baseline",
			samples: base,
			want:    summary{WallMedian: 12 * sec, WallMin: 10 * sec, WallMax: 20 * sec, CPUMedian: 10 * sec, MaxRSSMedian: 200},
		},
		{
			name:    "paired",
			samples: other, base: base,
			want: summary{WallMedian: 5 * sec, WallMin: 4 * sec, WallMax: 12 * sec, CPUMedian: 5 * sec, MaxRSSMedian: 60, WallRatio: 0.5, CPURatio: 0.5},
		},
		{
			name:    "rounds beyond the baseline's are not paired",
			samples: append(other[:2:2], s(100*sec, 0, 0, 1)), base: base[:2],
			want: summary{WallMedian: 5 * sec, WallMin: 4 * sec, WallMax: 100 * sec, CPUMedian: 5 * sec, MaxRSSMedian: 50, WallRatio: 0.35, CPURatio: 0.375},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := summarize(tt.samples, tt.base)
			approx := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })
			if diff := cmp.Diff(tt.want, got, approx); diff != "" {
				t.Errorf("summarize (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSpecCheck(t *testing.T) {
	t.Parallel()
	cmds := []command{{Name: "a", Run: "true"}}
	tests := []struct {
		name    string
		in      spec
		wantErr string
	}{
		{"defaults", spec{Scenarios: []scenario{{Name: "x", Commands: cmds}}}, ""},
		{"no scenarios", spec{}, "no scenarios"},
		{"unnamed scenario", spec{Scenarios: []scenario{{Commands: cmds}}}, "scenario 1 has no name"},
		{"twice", spec{Scenarios: []scenario{{Name: "x", Commands: cmds}, {Name: "x", Commands: cmds}}}, `scenario "x" is listed twice`},
		{"no commands", spec{Scenarios: []scenario{{Name: "x"}}}, `scenario "x" has no commands`},
		{"empty run", spec{Scenarios: []scenario{{Name: "x", Commands: []command{{Name: "a"}}}}}, "needs a name and a run"},
		{"bad timeout", spec{Timeout: "soon", Scenarios: []scenario{{Name: "x", Commands: cmds}}}, `timeout "soon"`},
		{"negative runs", spec{Runs: -2, Scenarios: []scenario{{Name: "x", Commands: cmds}}}, "runs must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.in.check()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(got, tt.wantErr)) {
				t.Fatalf("check() = %q, want error containing %q", got, tt.wantErr)
			}
			if err == nil && (tt.in.Runs != 5 || tt.in.Warmup != 1 || tt.in.timeout() != 30*time.Minute) {
				t.Errorf("defaults: runs %d, warmup %d, timeout %s; want 5, 1, 30m", tt.in.Runs, tt.in.Warmup, tt.in.timeout())
			}
		})
	}
}
