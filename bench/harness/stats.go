package main

import (
	"slices"
	"time"
)

// sample is one counted run of one command.
type sample struct {
	Wall time.Duration // monotonic, spawn to reap
	User time.Duration // user CPU of the child and its reaped descendants
	Sys  time.Duration // system CPU, likewise
	// MaxRSS is ru_maxrss of the child as wait4 reports it: the largest
	// resident set of any single process in the reaped tree, in bytes.
	MaxRSS int64
}

func (s sample) CPU() time.Duration { return s.User + s.Sys }

// summary condenses the samples of one command.
type summary struct {
	WallMedian, WallMin, WallMax time.Duration
	CPUMedian                    time.Duration
	MaxRSSMedian                 int64
	// WallRatio and CPURatio are the medians of the per-round ratios
	// against the scenario's first command; zero for the first command.
	WallRatio, CPURatio float64
}

// median of xs (the mean of the middle two when len is even); zero for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

func durations(samples []sample, f func(sample) time.Duration) []float64 {
	out := make([]float64, len(samples))
	for i, s := range samples {
		out[i] = float64(f(s))
	}
	return out
}

// summarize one command's samples; base holds the first command's samples of
// the same rounds (nil for the first command itself).
func summarize(samples, base []sample) summary {
	walls := durations(samples, func(s sample) time.Duration { return s.Wall })
	sum := summary{
		WallMedian: time.Duration(median(walls)),
		CPUMedian:  time.Duration(median(durations(samples, sample.CPU))),
	}
	if len(walls) > 0 {
		sum.WallMin = time.Duration(slices.Min(walls))
		sum.WallMax = time.Duration(slices.Max(walls))
	}
	rss := make([]float64, len(samples))
	for i, s := range samples {
		rss[i] = float64(s.MaxRSS)
	}
	sum.MaxRSSMedian = int64(median(rss))
	if base != nil {
		sum.WallRatio = median(ratios(samples, base, func(s sample) time.Duration { return s.Wall }))
		sum.CPURatio = median(ratios(samples, base, sample.CPU))
	}
	return sum
}

// ratios are the per-round ratios of f(samples[i]) to f(base[i]), over the
// rounds both have and where the base is not zero.
func ratios(samples, base []sample, f func(sample) time.Duration) []float64 {
	var out []float64
	for i := range min(len(samples), len(base)) {
		if b := f(base[i]); b > 0 {
			out = append(out, float64(f(samples[i]))/float64(b))
		}
	}
	return out
}
