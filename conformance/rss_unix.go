//go:build unix

package conformance

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"syscall"
)

// livePeakRSS is the peak resident set of a running process, in bytes,
// from /proc/<pid>/status (VmHWM), or 0 where there is no procfs. On Linux
// it is the better figure: an exited child's ru_maxrss counts the parent's
// pages it was forked with.
func livePeakRSS(pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			f := bytes.Fields(v)
			if len(f) >= 1 {
				if kib, err := strconv.ParseInt(string(f[0]), 10, 64); err == nil {
					return kib << 10
				}
			}
		}
	}
	return 0
}

// peakRSS is the largest resident set of an exited process, in bytes.
func peakRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return maxrssBytes(int64(ru.Maxrss))
}

// SelfPeakRSS is the largest resident set of this process so far, in bytes
// (0 where the platform does not say).
func SelfPeakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return maxrssBytes(int64(ru.Maxrss))
}

// maxrssBytes converts ru_maxrss: bytes on macOS, KiB elsewhere.
func maxrssBytes(v int64) int64 {
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return v
	}
	return v << 10
}
