package loadgen

import (
	"slices"
	"syscall"
	"time"
)

// CurveQuantiles are the points of a result's latency curve (the plot's
// CDF): every percent, then the tail.
var CurveQuantiles = func() []float64 {
	var q []float64
	for i := 1; i < 100; i++ {
		q = append(q, float64(i)/100)
	}
	return append(q, 0.995, 0.999, 0.9995, 0.9999)
}()

// quantiles answers quantile queries over sorted latencies.
type quantiles []time.Duration

func newQuantiles(lat []time.Duration) quantiles {
	s := slices.Clone(lat)
	slices.Sort(s)
	return s
}

// ms returns the latency at quantile p in milliseconds (nearest rank), or
// 0 with no samples.
func (q quantiles) ms(p float64) float64 {
	if len(q) == 0 {
		return 0
	}
	i := int(p*float64(len(q))+0.999999) - 1
	i = max(0, min(i, len(q)-1))
	return float64(q[i].Nanoseconds()) / 1e6
}

// processCPU is the user plus system CPU time of this process so far.
func processCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
