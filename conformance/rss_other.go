//go:build !unix

package conformance

import "os"

func peakRSS(*os.ProcessState) int64 { return 0 }

func livePeakRSS(int) int64 { return 0 }

// SelfPeakRSS is 0 where the platform does not report resident set sizes.
func SelfPeakRSS() int64 { return 0 }
